import { afterEach, describe, expect, it, vi } from 'vitest';
import { createChatClient } from './client.js';
import type { ServerEvent } from './events.js';
import { unreadCount } from './receipts.js';
import { LIST_RELOAD_DELAY_MS } from './session-list.js';
import {
  initialSessionListState,
  type SessionListAction,
  sessionListReducer,
} from './session-list.reducer.js';
import { SAMIA, SARAH, sessionSummary } from './test/factories.js';
import { FakeSocket, fakeFetch, fakeNetwork, ok, settle } from './test/fakes.js';

const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const sessions = [
  sessionSummary(A, { last_seq: 10, unread_count: 2, last_message_at: '2024-12-02T10:00:00.000Z' }),
  sessionSummary(B, { last_seq: 3, unread_count: 0, last_message_at: '2024-12-02T11:00:00.000Z' }),
];

function activity(session_id: string, seq: number, sender_id: string): ServerEvent {
  return {
    type: 'chat_activity',
    data: {
      session_id,
      message_id: '00000000-0000-4000-8000-000000000001',
      seq,
      sender_id,
      type: 'text',
      created_at: '2024-12-02T12:00:00.000Z',
    },
    at: 0,
  };
}

function read(user_id: string, session_id: string, last_read_seq: number): ServerEvent {
  return {
    type: 'messages_read',
    data: { session_id, user_id, last_read_seq, read_at: '2024-12-02T12:00:00.000Z' },
    at: 0,
  };
}

const run = (actions: SessionListAction[]) =>
  actions.reduce(sessionListReducer, initialSessionListState(SARAH));
const badge = (state: ReturnType<typeof run>, id: string) => {
  const unread = state.unread.get(id);
  return unread ? unreadCount(unread) : null;
};

describe('sessionListReducer', () => {
  it('lists newest activity first with the server’s unread counts', () => {
    const s = run([{ type: 'loaded', sessions }]);
    expect(s.sessions?.map((x) => x.id)).toEqual([B, A]);
    expect([badge(s, A), badge(s, B)]).toEqual([2, 0]);
  });

  it('counts others’ new messages at once and moves the session up; one’s own counts as read', () => {
    let s = run([{ type: 'loaded', sessions }, activity(A, 11, SAMIA)]);
    expect(s.sessions?.map((x) => x.id)).toEqual([A, B]);
    expect(badge(s, A)).toBe(3);
    s = sessionListReducer(s, activity(A, 12, SARAH));
    expect(badge(s, A)).toBe(0);
  });

  it('clears on the viewer’s own read (any tab), not on others’', () => {
    let s = run([{ type: 'loaded', sessions }, read(SAMIA, A, 10)]);
    expect(badge(s, A)).toBe(2);
    s = sessionListReducer(s, read(SARAH, A, 10));
    expect(badge(s, A)).toBe(0);
  });
});

describe('SessionListStore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads, then reads the list again once activity calms down', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const socket = new FakeSocket();
    const { fetch, requests } = fakeFetch(() =>
      ok({ sessions, pagination: { page: 1, limit: 100, total: 2, total_pages: 1 } }),
    );
    const client = createChatClient({
      userId: SARAH,
      token: 't',
      fetch,
      createSocket: socket.create,
      network: fakeNetwork(),
    });
    const list = client.sessionList({ status: 'all', limit: 100 });
    list.start();
    await settle();
    expect(requests.map((r) => r.url)).toEqual(['/api/chat/sessions?status=all&limit=100']);

    socket.fire('chat_activity', activity(A, 11, SAMIA).data);
    socket.fire('chat_activity', activity(A, 12, SAMIA).data);
    expect(badge(list.getState(), A)).toBe(4);
    vi.advanceTimersByTime(LIST_RELOAD_DELAY_MS);
    await settle();
    expect(requests).toHaveLength(2);
    list.stop();
    socket.fire('chat_activity', activity(A, 13, SAMIA).data);
    vi.advanceTimersByTime(LIST_RELOAD_DELAY_MS);
    expect(requests).toHaveLength(2);
  });
});
