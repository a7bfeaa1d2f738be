import { toStored } from '@chat/client';
import { describe, expect, it } from 'vitest';
import { message, SAMIA, SARAH } from '../test/factories';
import { buildRows, nextFirstItemIndex, type Row } from './grouping';

const at = (iso: string) => ({ created_at: iso });
const fromSamia = { sender_id: SAMIA };
const now = new Date('2024-12-02T15:00:00');

function shape(rows: Row[]) {
  return rows.map((r) =>
    r.kind === 'message'
      ? `${r.groupStart ? '[' : ' '}${r.key.slice(-2)}${r.groupEnd ? ']' : ' '}`
      : r.kind,
  );
}

describe('buildRows', () => {
  it('groups consecutive messages of one sender and splits on another sender', () => {
    const rows = buildRows(
      [
        toStored(message(1, at('2024-12-02T10:00:00'))),
        toStored(message(2, at('2024-12-02T10:01:00'))),
        toStored(message(3, { ...fromSamia, ...at('2024-12-02T10:02:00') })),
        toStored(message(4, at('2024-12-02T10:03:00'))),
      ],
      SARAH,
      { now },
    );
    expect(shape(rows)).toEqual(['day', '[01 ', ' 02]', '[03]', '[04]']);
    expect(rows[0]).toMatchObject({ kind: 'day', label: 'Today' });
    expect(
      rows.filter((r) => r.kind === 'message').map((r) => r.kind === 'message' && r.own),
    ).toEqual([true, true, false, true]);
  });

  it('starts a new group after a long pause and a new day after midnight', () => {
    const rows = buildRows(
      [
        toStored(message(1, at('2024-12-01T23:50:00'))),
        toStored(message(2, at('2024-12-01T23:52:00'))),
        toStored(message(3, at('2024-12-02T00:01:00'))),
        toStored(message(4, at('2024-12-02T09:00:00'))),
      ],
      SARAH,
      { now },
    );
    expect(shape(rows)).toEqual(['day', '[01 ', ' 02]', 'day', '[03]', '[04]']);
    expect(rows[0]).toMatchObject({ label: 'Yesterday' });
  });

  it('keeps system messages apart', () => {
    const rows = buildRows(
      [
        toStored(message(1, at('2024-12-02T10:00:00'))),
        toStored(message(2, { type: 'system', sender_id: null, ...at('2024-12-02T10:00:30') })),
        toStored(message(3, at('2024-12-02T10:01:00'))),
      ],
      SARAH,
      { now },
    );
    expect(shape(rows)).toEqual(['day', '[01]', '[02]', '[03]']);
  });

  it('puts the new-messages divider before the first unread message of others', () => {
    const rows = buildRows(
      [
        toStored(message(1, { ...fromSamia, ...at('2024-12-02T10:00:00') })),
        toStored(message(2, { ...fromSamia, ...at('2024-12-02T10:00:10') })),
        toStored(message(3, { ...fromSamia, ...at('2024-12-02T10:00:20') })),
      ],
      SARAH,
      { now, unreadAfterSeq: 1 },
    );
    expect(shape(rows)).toEqual(['day', '[01]', 'unread', '[02 ', ' 03]']);
  });
});

describe('nextFirstItemIndex', () => {
  const rowsFor = (seqs: number[]) =>
    buildRows(
      seqs.map((s) => toStored(message(s))),
      SARAH,
      { now },
    );

  it('moves back by exactly the rows prepended before the old first message', () => {
    const before = rowsFor([5, 6]);
    const after = rowsFor([1, 2, 3, 4, 5, 6]);
    expect(nextFirstItemIndex(before, after, 100_000)).toBe(100_000 - 4);
  });

  it('stays put when rows are appended', () => {
    expect(nextFirstItemIndex(rowsFor([5, 6]), rowsFor([5, 6, 7]), 500)).toBe(500);
  });

  it('asks for a remount when the old first message is gone', () => {
    expect(nextFirstItemIndex(rowsFor([5, 6]), rowsFor([90, 91]), 500)).toBeNull();
  });
});
