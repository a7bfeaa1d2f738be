import { describe, expect, it } from 'vitest';
import { message, SARAH, SESSION } from './test/factories.js';
import {
  addPending,
  emptyTimeline,
  markDeleted,
  markSynced,
  mergeStored,
  newestSeq,
  type PendingItem,
  resetStored,
  summarize,
  timelineItems,
  updatePending,
} from './timeline.js';

const seqs = (t: { stored: { message: { seq: number } }[] }) => t.stored.map((s) => s.message.seq);

function pending(id: string, content = 'hi'): PendingItem {
  return {
    kind: 'pending',
    id,
    sessionId: SESSION,
    senderId: SARAH,
    type: 'text',
    content,
    createdAt: new Date().toISOString(),
    status: 'sending',
  };
}

describe('mergeStored', () => {
  it('keeps messages in seq order whatever order pages arrive in', () => {
    let t = mergeStored(emptyTimeline, [message(51), message(52), message(53)]);
    t = mergeStored(t, [message(48), message(49), message(50)]);
    t = mergeStored(t, [message(54)]);
    expect(seqs(t)).toEqual([48, 49, 50, 51, 52, 53, 54]);
  });

  it('drops a message seen twice (live and in the catch-up) and keeps the newer copy', () => {
    let t = mergeStored(emptyTimeline, [message(1), message(2)]);
    t = mergeStored(t, [message(2, { is_read: true }), message(3)]);
    t = mergeStored(t, [message(3)]);
    expect(seqs(t)).toEqual([1, 2, 3]);
    expect(t.stored[1]?.message.is_read).toBe(true);
  });

  it('never shows two messages with one seq', () => {
    const t = mergeStored(mergeStored(emptyTimeline, [message(5)]), [
      message(5, { id: '00000000-0000-4000-8000-0000000000ff' }),
    ]);
    expect(t.stored).toHaveLength(1);
    expect(t.stored[0]?.message.id).toBe('00000000-0000-4000-8000-0000000000ff');
  });

  it('replaces the optimistic copy when the stored message with its id arrives', () => {
    const id = message(7).id;
    let t = addPending(mergeStored(emptyTimeline, [message(6)]), pending(id));
    expect(timelineItems(t).map((i) => i.kind)).toEqual(['stored', 'pending']);
    t = mergeStored(t, [message(7)]);
    expect(t.pending).toHaveLength(0);
    expect(seqs(t)).toEqual([6, 7]);
  });

  it('does not add a pending copy of a message already stored (a late retry)', () => {
    const t = addPending(mergeStored(emptyTimeline, [message(1)]), pending(message(1).id));
    expect(t.pending).toHaveLength(0);
  });

  it('takes a live message at the end without re-sorting', () => {
    const base = mergeStored(emptyTimeline, [message(1), message(2)]);
    const t = mergeStored(base, [message(3)]);
    expect(t.stored.slice(0, 2)).toEqual(base.stored);
    expect(newestSeq(t)).toBe(3);
  });
});

describe('syncedSeq (where a catch-up continues)', () => {
  it('follows live messages that arrive in order', () => {
    let t = markSynced(mergeStored(emptyTimeline, [message(41), message(42)]), 42);
    t = mergeStored(t, [message(43)]);
    t = mergeStored(t, [message(44)]);
    expect(t.syncedSeq).toBe(44);
  });

  it('stays before messages missed while away, even when an own send came back newer', () => {
    // Seen up to 3; 4..6 were missed; the own message 7 was stored over REST meanwhile.
    let t = markSynced(mergeStored(emptyTimeline, [message(1), message(2), message(3)]), 3);
    t = mergeStored(t, [message(7)]);
    expect(newestSeq(t)).toBe(7);
    expect(t.syncedSeq).toBe(3);
    // The catch-up fills the gap: now everything through 7 is known.
    t = mergeStored(t, [message(4), message(5), message(6), message(7)]);
    expect(t.syncedSeq).toBe(7);
  });

  it('starts from nothing in an empty chat, so the first catch-up asks for everything', () => {
    const t = mergeStored(emptyTimeline, [message(5)]);
    expect(t.syncedSeq).toBe(0);
  });

  it('is not moved by older pages', () => {
    let t = markSynced(mergeStored(emptyTimeline, [message(51), message(52)]), 52);
    t = mergeStored(t, [message(49), message(50)]);
    expect(t.syncedSeq).toBe(52);
  });
});

describe('pending messages', () => {
  it('marks a failed send and keeps it in place for a retry', () => {
    let t = addPending(emptyTimeline, pending('a0000000-0000-4000-8000-000000000001', 'one'));
    t = addPending(t, pending('a0000000-0000-4000-8000-000000000002', 'two'));
    t = updatePending(t, 'a0000000-0000-4000-8000-000000000001', {
      status: 'failed',
      error: { code: 'NETWORK_ERROR', message: 'offline' },
    });
    expect(t.pending.map((p) => [p.content, p.status])).toEqual([
      ['one', 'failed'],
      ['two', 'sending'],
    ]);
  });
});

describe('resetStored', () => {
  it('replaces history with the newest page but keeps what is being sent', () => {
    let t = mergeStored(emptyTimeline, [message(1), message(2)]);
    t = addPending(t, pending('a0000000-0000-4000-8000-000000000009'));
    t = resetStored(t, [message(700), message(701)]);
    expect(seqs(t)).toEqual([700, 701]);
    expect(t.syncedSeq).toBe(701);
    expect(t.pending).toHaveLength(1);
  });
});

describe('markDeleted', () => {
  it('turns a message into a tombstone without its content, file or reactions', () => {
    const t = markDeleted(
      mergeStored(emptyTimeline, [
        message(1, {
          type: 'image',
          file_url: 'http://x/f',
          message_reactions: [
            {
              user_id: SARAH,
              reaction: '👍',
              created_at: '',
              profiles: { first_name: 'S', last_name: null },
            },
          ],
        }),
      ]),
      message(1).id,
      '2024-12-02T10:00:00.000Z',
    );
    expect(t.stored[0]?.message).toMatchObject({
      content: null,
      file_url: null,
      deleted_at: '2024-12-02T10:00:00.000Z',
    });
    expect(t.stored[0]?.reactions).toEqual([]);
  });
});

describe('summarize', () => {
  it('groups reactions by emoji in first-use order', () => {
    const r = (user_id: string, reaction: string) => ({
      user_id,
      reaction,
      created_at: '',
      profiles: { first_name: null, last_name: null },
    });
    expect(summarize([r('u1', '❤️'), r('u2', '👍'), r('u2', '❤️')])).toEqual([
      { reaction: '❤️', count: 2, user_ids: ['u1', 'u2'] },
      { reaction: '👍', count: 1, user_ids: ['u2'] },
    ]);
  });
});
