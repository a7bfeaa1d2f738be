import { describe, expect, it } from 'vitest';
import { createPresenceService, type SessionTabs } from './presence.service.js';

const SESSION = '00000000-0000-4000-8000-000000000000';
const USER = '00000000-0000-4000-8000-00000000000a';

/** Tabs answered as given; `askedNodes` counts the lookups across nodes. */
function tabs(here: boolean, anywhere: boolean | undefined): SessionTabs & { askedNodes: number } {
  const lookup = {
    askedNodes: 0,
    here: () => here,
    anywhere: async () => {
      lookup.askedNodes += 1;
      return anywhere;
    },
  };
  return lookup;
}

describe('presence', () => {
  const presence = createPresenceService();

  it('announces a participant’s first tab, on any node', async () => {
    expect(await presence.announcesJoin(tabs(false, false), SESSION, USER, true)).toBe(true);
    // A second tab, here or on another node, is not announced.
    expect(await presence.announcesJoin(tabs(true, true), SESSION, USER, true)).toBe(false);
    expect(await presence.announcesJoin(tabs(false, true), SESSION, USER, true)).toBe(false);
  });

  it('never announces an admin or monitor looking in', async () => {
    expect(await presence.announcesJoin(tabs(false, false), SESSION, USER, false)).toBe(false);
  });

  it('announces a join when the other nodes cannot be asked (at worst twice)', async () => {
    expect(await presence.announcesJoin(tabs(false, undefined), SESSION, USER, true)).toBe(true);
  });

  it('announces a leave only when no tab is left on any node', async () => {
    expect(await presence.announcesLeave(tabs(false, false), SESSION, USER)).toBe(true);
    expect(await presence.announcesLeave(tabs(false, true), SESSION, USER)).toBe(false);
  });

  it('does not announce a leave when the other nodes cannot be asked', async () => {
    expect(await presence.announcesLeave(tabs(false, undefined), SESSION, USER)).toBe(false);
  });

  it('asks no other node while this node still has a tab', async () => {
    const stillHere = tabs(true, false);
    expect(await presence.announcesLeave(stillHere, SESSION, USER)).toBe(false);
    expect(await presence.announcesJoin(stillHere, SESSION, USER, true)).toBe(false);
    expect(stillHere.askedNodes).toBe(0);
  });
});
