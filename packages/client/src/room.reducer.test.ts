import type { TChatMessage } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import type { ServerEvent } from './events.js';
import { initialRoomState, type RoomAction, type RoomState, roomReducer } from './room.reducer.js';
import { message, SAMIA, SARAH, SESSION, sessionDetail } from './test/factories.js';
import type { PendingItem } from './timeline.js';

const OTHER_SESSION = '88888888-8888-4888-8888-888888888888';
const AT = Date.UTC(2024, 11, 2, 12, 0, 0);
const fromSamia = { sender_id: SAMIA };

function run(actions: RoomAction[], state = initialRoomState(SESSION, SARAH)): RoomState {
  return actions.reduce(roomReducer, state);
}

/** A server event as the client hands it to the reducer. */
function event<E extends ServerEvent['type']>(
  type: E,
  data: Extract<ServerEvent, { type: E }>['data'],
): ServerEvent {
  return { type, data, at: AT } as ServerEvent;
}

function live(m: TChatMessage): ServerEvent {
  return event('new_message', {
    ...m,
    sender: { id: m.sender_id, name: 'Someone', avatar: null },
    timestamp: m.created_at,
  });
}

function opened(history: TChatMessage[], lastReadSeq = 0): RoomAction {
  return {
    type: 'opened',
    detail: sessionDetail({ last_read_seq: lastReadSeq }),
    page: { messages: history, has_more: history.length > 0 },
  };
}

function pendingText(id: string): PendingItem {
  return {
    kind: 'pending',
    id,
    sessionId: SESSION,
    senderId: SARAH,
    type: 'text',
    content: 'hi',
    createdAt: '2024-12-02T10:00:00.000Z',
    status: 'sending',
  };
}

const seqs = (s: RoomState) => s.timeline.stored.map((i) => i.message.seq);

describe('roomReducer: history and the live feed', () => {
  it('opens at the newest page: complete through its newest seq, the divider after the own cursor', () => {
    const s = run([opened([message(4, fromSamia), message(5, fromSamia)], 4)]);
    expect(seqs(s)).toEqual([4, 5]);
    expect(s.timeline.syncedSeq).toBe(5);
    expect(s.unreadAfterSeq).toBe(4);
    expect(s.ownReadSeq).toBe(4);
    expect(s.status).toBe('active');
    expect(s.hasOlder).toBe(true);
  });

  it('takes a catch-up after the join: messages in order, each once, complete through last_seq', () => {
    const s = run([
      opened([message(1), message(2)]),
      live(message(3, fromSamia)),
      event('chat_joined', {
        session_id: SESSION,
        last_seq: 4,
        messages: [message(3, fromSamia), message(4, fromSamia)].map((m) => ({
          ...m,
          sender: { id: SAMIA, name: 'Samia', avatar: null },
          timestamp: m.created_at,
        })),
        resync_required: false,
      }),
    ]);
    expect(seqs(s)).toEqual([1, 2, 3, 4]);
    expect(s.timeline.syncedSeq).toBe(4);
  });

  it('leaves the history alone when the catch-up says resync (the client pages over REST)', () => {
    const before = run([opened([message(1)])]);
    const after = roomReducer(
      before,
      event('chat_joined', {
        session_id: SESSION,
        last_seq: 900,
        messages: [],
        resync_required: true,
      }),
    );
    expect(after).toBe(before);
    const reset = roomReducer(after, {
      type: 'resynced',
      page: { messages: [message(899), message(900)], has_more: true },
    });
    expect(seqs(reset)).toEqual([899, 900]);
    expect(reset.generation).toBe(before.generation + 1);
  });

  it('ignores events of other sessions (same state object: nothing re-renders)', () => {
    const before = run([opened([message(1)])]);
    const elsewhere = { ...message(2, fromSamia), session_id: OTHER_SESSION };
    expect(roomReducer(before, live(elsewhere))).toBe(before);
    expect(
      roomReducer(
        before,
        event('session_updated', { session_id: OTHER_SESSION, status: 'closed' }),
      ),
    ).toBe(before);
  });

  it('adds older pages before what it holds without moving where the catch-up continues', () => {
    const s = run([
      opened([message(51), message(52)]),
      { type: 'older_requested' },
      { type: 'older_loaded', page: { messages: [message(49), message(50)], has_more: false } },
    ]);
    expect(seqs(s)).toEqual([49, 50, 51, 52]);
    expect(s.timeline.syncedSeq).toBe(52);
    expect([s.hasOlder, s.loadingOlder]).toEqual([false, false]);
  });
});

describe('roomReducer: read cursors', () => {
  it('moves cursors forward on messages_read, never back, and follows the viewer’s own reads', () => {
    const read = (user_id: string, last_read_seq: number) =>
      event('messages_read', {
        session_id: SESSION,
        user_id,
        last_read_seq,
        read_at: '2024-12-02T12:00:00.000Z',
      });
    const s = run([
      opened([message(1), message(2)]),
      read(SAMIA, 2),
      read(SAMIA, 1),
      read(SARAH, 2),
    ]);
    expect(s.cursors.get(SAMIA)).toBe(2);
    expect(s.ownReadSeq).toBe(2);
  });

  it('keeps a read request until it fails, then lets the next look try again', () => {
    const asked = run([
      opened([message(1, fromSamia), message(2, fromSamia)]),
      { type: 'read_requested', seq: 2 },
    ]);
    expect(asked.ownReadSeq).toBe(2);
    expect(roomReducer(asked, { type: 'read_failed', seq: 2 }).ownReadSeq).toBe(1);
  });
});

describe('roomReducer: typing, presence, reactions, deletions, status', () => {
  const typing = (user_id: string, is_typing: boolean) =>
    event('user_typing', { user_id, user_name: 'Samia Reader', is_typing, session_id: SESSION });

  it('shows others typing until they stop or their message arrives; never the viewer', () => {
    expect([...run([typing(SAMIA, true)]).typing]).toEqual([[SAMIA, 'Samia Reader']]);
    expect(run([typing(SARAH, true)]).typing.size).toBe(0);
    expect(run([typing(SAMIA, true), typing(SAMIA, false)]).typing.size).toBe(0);
    expect(run([typing(SAMIA, true), live(message(1, fromSamia))]).typing.size).toBe(0);
    expect(run([typing(SAMIA, true), { type: 'typing_expired', userId: SAMIA }]).typing.size).toBe(
      0,
    );
  });

  it('tells who came and went, when; leaving ends their typing', () => {
    const presence = { user_id: SAMIA, user_name: 'Samia Reader', session_id: SESSION };
    const s = run([typing(SAMIA, true), event('user_left', presence)]);
    expect(s.presence).toEqual({ userId: SAMIA, name: 'Samia Reader', state: 'left', at: AT });
    expect(s.typing.size).toBe(0);
    expect(run([event('user_joined', presence)]).presence?.state).toBe('joined');
    expect(run([event('user_joined', { ...presence, user_id: SARAH })]).presence).toBeNull();
  });

  it('replaces a message’s reactions with the server’s summary', () => {
    const summary = [{ reaction: '❤️', count: 1, user_ids: [SAMIA] }];
    const s = run([
      opened([message(1)]),
      event('message_reaction_update', {
        message_id: message(1).id,
        session_id: SESSION,
        user_id: SAMIA,
        user_name: 'Samia Reader',
        reaction: '❤️',
        action: 'added',
        reactions: summary,
      }),
    ]);
    expect(s.timeline.stored[0]?.reactions).toEqual(summary);
  });

  it('turns a deleted message into a tombstone, dated when the event came', () => {
    const s = run([
      opened([message(1)]),
      event('message_deleted', { session_id: SESSION, message_id: message(1).id }),
    ]);
    expect(s.timeline.stored[0]?.message).toMatchObject({
      content: null,
      deleted_at: new Date(AT).toISOString(),
    });
  });

  it('follows the session’s status', () => {
    const s = run([
      opened([]),
      event('session_updated', { session_id: SESSION, status: 'closed' }),
    ]);
    expect(s.status).toBe('closed');
  });
});

describe('roomReducer: the outbox', () => {
  const ID = 'a0000000-0000-4000-8000-000000000001';

  it('shows a message at once, and replaces it with the stored one under the same id', () => {
    const shown = run([opened([message(1)]), { type: 'pending_added', item: pendingText(ID) }]);
    expect(shown.timeline.pending.map((p) => p.id)).toEqual([ID]);
    const stored = roomReducer(shown, {
      type: 'pending_sent',
      id: ID,
      message: message(2, { id: ID }),
    });
    expect(stored.timeline.pending).toEqual([]);
    expect(seqs(stored)).toEqual([1, 2]);
  });

  it('the live copy arriving first also replaces it; the late answer adds nothing', () => {
    const s = run([
      opened([]),
      { type: 'pending_added', item: pendingText(ID) },
      live(message(1, { id: ID })),
      { type: 'pending_sent', id: ID, message: message(1, { id: ID }) },
    ]);
    expect(s.timeline.pending).toEqual([]);
    expect(seqs(s)).toEqual([1]);
  });

  it('a failed try keeps the message with its reason; the retry clears it and restarts the upload', () => {
    const upload = { ...pendingText(ID), upload: { fileName: 'a.png', size: 3, progress: 0 } };
    const failed = run([
      opened([]),
      { type: 'pending_added', item: upload },
      { type: 'upload_progress', id: ID, progress: 0.5 },
      { type: 'pending_failed', id: ID, error: { code: 'NETWORK_ERROR', message: 'offline' } },
    ]);
    expect(failed.timeline.pending[0]).toMatchObject({
      status: 'failed',
      upload: { progress: 0.5 },
    });
    const again = roomReducer(failed, { type: 'pending_sending', id: ID });
    expect(again.timeline.pending[0]).toMatchObject({
      status: 'sending',
      error: undefined,
      upload: { progress: 0 },
    });
  });

  it('a text refused as SESSION_INACTIVE closes the chat; an upload refused so does not', () => {
    const error = { code: 'SESSION_INACTIVE' as const, message: 'closed' };
    const text = run([
      opened([]),
      { type: 'pending_added', item: pendingText(ID) },
      { type: 'pending_failed', id: ID, error },
    ]);
    expect(text.status).toBe('closed');
    const upload = run([
      opened([]),
      {
        type: 'pending_added',
        item: { ...pendingText(ID), upload: { fileName: 'a.png', size: 1, progress: 0 } },
      },
      { type: 'pending_failed', id: ID, error },
    ]);
    expect(upload.status).toBe('active');
  });

  it('an own upload arriving live drops its placeholder', () => {
    const placeholder = {
      ...pendingText(ID),
      type: 'image' as const,
      upload: { fileName: 'plan.png', size: 3, progress: 0.9 },
    };
    const s = run([
      opened([]),
      { type: 'pending_added', item: placeholder },
      live(message(1, { type: 'image', file_name: 'plan.png' })),
    ]);
    expect(s.timeline.pending).toEqual([]);
    expect(seqs(s)).toEqual([1]);
  });

  it('discards a message for good', () => {
    const s = run([
      opened([]),
      { type: 'pending_added', item: pendingText(ID) },
      { type: 'pending_discarded', id: ID },
    ]);
    expect(s.timeline.pending).toEqual([]);
  });
});
