import { describe, expect, it } from 'vitest';
import {
  applyRead,
  cursorsFromMessages,
  onActivity,
  onOwnRead,
  tickFor,
  toUnreadState,
  unreadCount,
} from './receipts.js';
import { message, SAMIA, SARAH } from './test/factories.js';
import { toStored } from './timeline.js';

const participants = [SARAH, SAMIA];
const fromSamia = {
  sender_id: SAMIA,
  profiles: { id: SAMIA, first_name: 'Samia', last_name: 'Reader', avatar_url: null },
};

describe('read ticks', () => {
  it('shows sent until the other participant reads, then read', () => {
    const mine = toStored(message(3));
    let cursors = cursorsFromMessages(
      new Map(),
      [message(1, fromSamia), message(3)],
      SARAH,
      participants,
    );
    expect(tickFor(mine, SARAH, participants, cursors)).toBe('sent');
    cursors = applyRead(cursors, SAMIA, 3);
    expect(tickFor(mine, SARAH, participants, cursors)).toBe('read');
  });

  it('learns from a loaded page that the other side read up to an own message', () => {
    const cursors = cursorsFromMessages(
      new Map(),
      [message(1), message(2, { is_read: true }), message(3)],
      SARAH,
      participants,
    );
    expect(tickFor(toStored(message(1)), SARAH, participants, cursors)).toBe('read');
    expect(tickFor(toStored(message(3)), SARAH, participants, cursors)).toBe('sent');
  });

  it('counts a reply as having read what came before it', () => {
    const cursors = cursorsFromMessages(
      new Map(),
      [message(4), message(5, fromSamia)],
      SARAH,
      participants,
    );
    expect(tickFor(toStored(message(4)), SARAH, participants, cursors)).toBe('read');
  });

  it('never moves a cursor back', () => {
    const cursors = applyRead(new Map([[SAMIA, 9]]), SAMIA, 4);
    expect(cursors.get(SAMIA)).toBe(9);
  });

  it('has no tick on messages of others', () => {
    expect(tickFor(toStored(message(1, fromSamia)), SARAH, participants, new Map())).toBeNull();
  });

  it('shows sending and failed for messages on their way', () => {
    const base = {
      kind: 'pending' as const,
      id: 'x',
      sessionId: 's',
      senderId: SARAH,
      type: 'text' as const,
      content: 'hi',
      createdAt: '',
    };
    expect(tickFor({ ...base, status: 'sending' }, SARAH, participants, new Map())).toBe('sending');
    expect(tickFor({ ...base, status: 'failed' }, SARAH, participants, new Map())).toBe('failed');
  });
});

describe('unread badges', () => {
  it('starts from the list and counts others’ new messages only', () => {
    let state = toUnreadState({ last_seq: 10, unread_count: 2 });
    expect(unreadCount(state)).toBe(2);
    state = onActivity(state, 11, false);
    expect(unreadCount(state)).toBe(3);
    state = onActivity(state, 12, true);
    expect(unreadCount(state)).toBe(0);
  });

  it('clears when any tab of the user reads, and ignores stale events', () => {
    let state = toUnreadState({ last_seq: 10, unread_count: 4 });
    state = onOwnRead(state, 8);
    expect(unreadCount(state)).toBe(2);
    state = onOwnRead(state, 5);
    expect(unreadCount(state)).toBe(2);
    state = onActivity(state, 9, false);
    expect(unreadCount(state)).toBe(2);
  });
});
