import type { TChatMessage } from '@chat/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createChatClient } from './client.js';
import type { UploadAnswer, UploadRequest } from './rest.js';
import { ACK_TIMEOUT_MS, TYPING_EXPIRY_MS } from './room.js';
import { message, SAMIA, SARAH, SESSION, sessionDetail } from './test/factories.js';
import {
  type FakeAnswer,
  type FakeRequest,
  FakeSocket,
  fakeFetch,
  fakeNetwork,
  ok,
  refused,
  settle,
} from './test/fakes.js';

const fromSamia = {
  sender_id: SAMIA,
  profiles: { id: SAMIA, first_name: 'Samia', last_name: 'Reader', avatar_url: null },
};

const plan = {
  kind: 'file' as const,
  blob: new Blob(['png'], { type: 'image/png' }),
  fileName: 'plan.png',
};

/**
 * One open chat of Sarah's over a fake socket and a fake fetch: the test plays the server by
 * setting what history pages, sends and uploads answer.
 */
function chat(history: TChatMessage[] = []) {
  const socket = new FakeSocket();
  const network = fakeNetwork();
  const server = {
    page: (_query: URLSearchParams): FakeAnswer => ok({ messages: history, has_more: false }),
    send: (request: FakeRequest): FakeAnswer => {
      const body = request.body as { id: string; content: string };
      return ok(message(history.length + 1, { id: body.id, content: body.content }));
    },
    upload: async (_request: UploadRequest): Promise<UploadAnswer> => {
      throw new Error('no upload expected');
    },
    markRead: (): FakeAnswer => refused(500, 'INTERNAL_ERROR'),
  };
  const { fetch, requests } = fakeFetch((request) => {
    const url = new URL(request.url, 'http://chat.test');
    if (request.method === 'GET' && url.pathname === `/api/chat/sessions/${SESSION}`)
      return ok(sessionDetail({ last_read_seq: history.at(-1)?.seq ?? 0 }));
    if (request.method === 'GET' && url.pathname === '/api/chat/messages')
      return server.page(url.searchParams);
    if (request.method === 'POST' && url.pathname === '/api/chat/messages')
      return server.send(request);
    if (request.method === 'PUT' && url.pathname.endsWith('/read')) return server.markRead();
    throw new Error(`unexpected ${request.method} ${request.url}`);
  });
  const uploads: UploadRequest[] = [];
  const client = createChatClient({
    userId: SARAH,
    token: 'token',
    fetch,
    network,
    createSocket: socket.create,
    upload: (request) => {
      uploads.push(request);
      return { promise: server.upload(request), abort() {} };
    },
  });
  const room = client.room(SESSION);
  const problems: string[] = [];
  room.onProblem((problem) => problems.push(problem.message));
  return {
    socket,
    network,
    server,
    requests,
    uploads,
    room,
    problems,
    pending: (id: string) => room.getState().timeline.pending.find((p) => p.id === id),
    seqs: () => room.getState().timeline.stored.map((s) => s.message.seq),
    sends: () => requests.filter((r) => r.method === 'POST' && r.url === '/api/chat/messages'),
    async open() {
      room.start();
      await settle();
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('sending a text', () => {
  it('waits quietly when the network is down, and its retry stores it once under the same id', async () => {
    const c = chat();
    await c.open();
    const seenWhileSending: unknown[] = [];
    let networkDown = true;
    c.server.send = (request) => {
      seenWhileSending.push(c.room.getState().timeline.pending[0]);
      if (networkDown) throw new TypeError('fetch failed');
      const body = request.body as { id: string };
      return ok(message(1, { id: body.id, content: 'Are you there?' }));
    };

    const id = c.room.sendText('Are you there?');
    await settle();
    expect(c.pending(id)).toMatchObject({
      status: 'failed',
      error: { code: 'NETWORK_ERROR', message: 'No connection to the server.' },
    });
    expect(c.problems).toEqual([]);

    networkDown = false;
    c.room.retry(id);
    await settle();
    expect(
      seenWhileSending.map((p) => [
        (p as { status: string }).status,
        (p as { error?: unknown }).error,
      ]),
    ).toEqual([
      ['sending', undefined],
      ['sending', undefined],
    ]);
    expect(c.room.getState().timeline.pending).toEqual([]);
    expect(c.room.getState().timeline.stored.map((s) => s.message.id)).toEqual([id]);
    const body = { id, session_id: SESSION, content: 'Are you there?' };
    expect(c.sends().map((r) => [r.headers.Authorization, r.body])).toEqual([
      ['Bearer token', body],
      ['Bearer token', body],
    ]);
  });

  it('refused because the chat closed: fails, closes the chat and says why', async () => {
    const c = chat();
    await c.open();
    c.server.send = () => refused(409, 'SESSION_INACTIVE');

    const id = c.room.sendText('One more thing');
    await settle();
    const closed = 'This chat is closed: no new messages can be sent.';
    expect(c.pending(id)).toMatchObject({
      status: 'failed',
      error: { code: 'SESSION_INACTIVE', message: closed },
    });
    expect(c.room.getState().status).toBe('closed');
    expect(c.problems).toEqual([closed]);
  });

  it('an answer that does not match the contract fails as BAD_RESPONSE and is shown', async () => {
    const c = chat();
    await c.open();
    c.server.send = () => ({ body: '<html>Bad gateway</html>' });

    const id = c.room.sendText('Hello');
    await settle();
    const text = 'Unexpected POST /api/chat/messages answer ((root))';
    expect(c.pending(id)?.error).toEqual({ code: 'BAD_RESPONSE', message: text });
    expect(c.room.getState().status).toBe('active');
    expect(c.problems).toEqual([text]);
  });

  it('sends again by itself what failed on the network, when the network or the socket is back', async () => {
    const c = chat();
    await c.open();
    let networkDown = true;
    c.server.send = (request) => {
      if (networkDown) throw new TypeError('fetch failed');
      const body = request.body as { id: string; content: string };
      return ok(message(1, { id: body.id, content: body.content }));
    };
    const id = c.room.sendText('Written while offline');
    await settle();
    expect(c.pending(id)?.status).toBe('failed');

    c.network.set(false);
    c.network.set(true);
    await settle();
    expect(c.pending(id)?.status).toBe('failed');
    networkDown = false;
    await c.socket.open();
    await settle();
    expect(c.room.getState().timeline.stored.map((s) => s.message.id)).toEqual([id]);
    expect(new Set(c.sends().map((r) => (r.body as { id: string }).id))).toEqual(new Set([id]));
  });
});

describe('sending an upload', () => {
  it('names the file that failed, and its retry starts again from 0 and stores it under the same id', async () => {
    const c = chat();
    await c.open();
    const seenWhileSending: Array<[string, unknown, number | undefined]> = [];
    const seen = () => {
      const p = c.room.getState().timeline.pending[0];
      seenWhileSending.push([p?.status ?? '', p?.error, p?.upload?.progress]);
    };
    let attempt = 0;
    c.server.upload = async (request) => {
      attempt += 1;
      if (attempt === 1) {
        request.onProgress(0.5);
        seen();
        return {
          status: 503,
          body: refused(503, 'SCANNER_UNAVAILABLE').body,
          retryAfter: null,
        };
      }
      seen();
      const id = String(request.form.get('id'));
      const stored = message(2, { id, type: 'image', file_name: plan.fileName });
      return { status: 201, body: { success: true, data: stored }, retryAfter: null };
    };

    const id = c.room.sendUpload(plan);
    await settle();
    expect(c.pending(id)).toMatchObject({
      status: 'failed',
      error: { code: 'SCANNER_UNAVAILABLE' },
      upload: { fileName: 'plan.png', size: 3, progress: 0.5 },
    });
    expect(c.problems).toEqual([
      '“plan.png” was not sent. Files cannot be checked for viruses right now. Try again later.',
    ]);

    c.room.retry(id);
    await settle();
    expect(seenWhileSending).toEqual([
      ['sending', undefined, 0.5],
      ['sending', undefined, 0],
    ]);
    expect(c.room.getState().timeline.pending).toEqual([]);
    expect(c.room.getState().timeline.stored.map((s) => s.message.id)).toEqual([id]);
    const forms = c.uploads.map((u) => [
      u.url,
      u.headers.Authorization,
      u.form.get('id'),
      u.form.get('session_id'),
      (u.form.get('file') as File | null)?.name,
    ]);
    const sent = ['/api/chat/files', 'Bearer token', id, SESSION, 'plan.png'];
    expect(forms).toEqual([sent, sent]);
    expect(c.sends()).toEqual([]);
  });

  it('a discarded upload is not sent again', async () => {
    const c = chat();
    await c.open();
    c.server.upload = async () => ({
      status: 503,
      body: refused(503, 'SCANNER_UNAVAILABLE').body,
      retryAfter: null,
    });
    const id = c.room.sendUpload(plan);
    await settle();
    c.room.discard(id);
    const before = c.room.getState();

    c.room.retry(id);
    c.room.retryNetworkFailures();
    await settle();
    expect(c.uploads).toHaveLength(1);
    expect(c.sends()).toEqual([]);
    expect(c.room.getState()).toBe(before);
  });

  it('an upload whose file is gone is not sent (nor turned into a text)', async () => {
    const c = chat();
    await c.open();
    const id = '99999999-9999-4999-8999-999999999999';
    c.room.dispatch({
      type: 'pending_added',
      item: {
        kind: 'pending',
        id,
        sessionId: SESSION,
        senderId: SARAH,
        type: 'image',
        content: plan.fileName,
        createdAt: '2024-12-02T10:00:00.000Z',
        status: 'failed',
        upload: { fileName: plan.fileName, size: plan.blob.size, progress: 0 },
      },
    });
    const before = c.room.getState();

    c.room.retry(id);
    await settle();
    expect(c.uploads).toEqual([]);
    expect(c.sends()).toEqual([]);
    expect(c.room.getState()).toBe(before);
  });
});

describe('the live feed', () => {
  it('joins with since_seq after loading and after every reconnect, from what it holds without a gap', async () => {
    const c = chat([message(1), message(2), message(3)]);
    await c.open();
    await c.socket.open();
    expect(c.socket.sent('join_chat').map((args) => args[0])).toEqual([
      { session_id: SESSION, since_seq: 3 },
    ]);
    c.socket.answer('join_chat', {
      ok: true,
      data: {
        session_id: SESSION,
        last_seq: 5,
        messages: [message(4), message(5)],
        resync_required: false,
      },
    });
    c.socket.fire('new_message', message(6, fromSamia));
    expect(c.seqs()).toEqual([1, 2, 3, 4, 5, 6]);

    // The connection drops; 7 is missed; Sarah's own 8 is stored over REST meanwhile.
    c.socket.drop();
    c.server.send = (request) => ok(message(8, { id: (request.body as { id: string }).id }));
    c.room.sendText('sent while the feed was down');
    await settle();
    expect(c.seqs()).toEqual([1, 2, 3, 4, 5, 6, 8]);

    await c.socket.open();
    expect(c.socket.sent('join_chat').map((args) => args[0])).toEqual([
      { session_id: SESSION, since_seq: 3 },
      { session_id: SESSION, since_seq: 6 },
    ]);
    c.socket.answer('join_chat', {
      ok: true,
      data: {
        session_id: SESSION,
        last_seq: 8,
        messages: [message(7, fromSamia), c.room.getState().timeline.stored.at(-1)?.message],
        resync_required: false,
      },
    });
    expect(c.seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(c.room.getState().timeline.syncedSeq).toBe(8);
  });

  it('past the catch-up bound, pages over REST: the newest page replaces the history', async () => {
    const c = chat([message(1), message(2)]);
    await c.open();
    await c.socket.open();
    c.server.page = (query) => {
      expect(Object.fromEntries(query)).toEqual({ session_id: SESSION, limit: '50' });
      return ok({ messages: [message(700), message(701)], has_more: true });
    };
    c.socket.answer('join_chat', {
      ok: true,
      data: { session_id: SESSION, last_seq: 701, messages: [], resync_required: true },
    });
    await settle();
    const state = c.room.getState();
    expect(c.seqs()).toEqual([700, 701]);
    expect(state.timeline.syncedSeq).toBe(701);
    expect(state.hasOlder).toBe(true);
    expect(state.generation).toBe(1);
  });

  it('a join the server refuses is told, not retried in a loop', async () => {
    const c = chat();
    await c.open();
    await c.socket.open();
    c.socket.answer('join_chat', {
      ok: false,
      error: { code: 'CHAT_ACCESS_DENIED', message: 'no' },
    });
    expect(c.problems).toEqual(['You do not have access to this chat.']);
    expect(c.socket.sent('join_chat')).toHaveLength(1);
  });

  it('tells about each new message of others once, and not about its own', async () => {
    const c = chat();
    await c.open();
    const heard: number[] = [];
    c.room.onIncoming((m) => heard.push(m.seq));
    c.socket.fire('new_message', message(1, fromSamia));
    c.socket.fire('new_message', message(1, fromSamia));
    c.socket.fire('new_message', message(2));
    c.socket.fire('new_message', message(3, { ...fromSamia, session_id: SAMIA }));
    expect(heard).toEqual([1]);
    expect(c.seqs()).toEqual([1, 2]);
  });

  it('leaves the chat when stopped, and hears nothing after', async () => {
    const c = chat();
    await c.open();
    await c.socket.open();
    c.room.stop();
    expect(c.socket.sent('leave_chat').map((args) => args[0])).toEqual([{ session_id: SESSION }]);
    c.socket.fire('new_message', message(1, fromSamia));
    expect(c.seqs()).toEqual([]);
  });
});

describe('typing', () => {
  it('shows who types until they stop, send, or go quiet for 8 s; a new start restarts the wait', async () => {
    vi.useFakeTimers();
    const c = chat();
    c.room.start();
    const typing = (is_typing: boolean) =>
      c.socket.fire('user_typing', {
        user_id: SAMIA,
        user_name: 'Samia Reader',
        is_typing,
        session_id: SESSION,
      });
    const names = () => [...c.room.getState().typing.values()];

    typing(true);
    expect(names()).toEqual(['Samia Reader']);
    vi.advanceTimersByTime(TYPING_EXPIRY_MS - 1_000);
    typing(true);
    vi.advanceTimersByTime(TYPING_EXPIRY_MS - 1_000);
    expect(names()).toEqual(['Samia Reader']);
    vi.advanceTimersByTime(1_000);
    expect(names()).toEqual([]);

    typing(true);
    c.socket.fire('new_message', message(1, fromSamia));
    expect(names()).toEqual([]);
    typing(true);
    typing(false);
    expect(names()).toEqual([]);
  });
});

describe('read receipts', () => {
  it('marks the newest message read over the socket once, and again after a refusal', async () => {
    const c = chat([message(1), message(2, fromSamia)]);
    await c.open();
    c.room.dispatch({ type: 'read_failed', seq: 2 });
    await c.socket.open();

    c.room.markNewestRead();
    c.room.markNewestRead();
    expect(c.socket.sent('mark_read').map((args) => args[0])).toEqual([
      { message_id: message(2).id, session_id: SESSION },
    ]);
    c.socket.answer('mark_read', { ok: false, error: { code: 'INTERNAL_ERROR', message: 'x' } });
    c.room.markNewestRead();
    expect(c.socket.sent('mark_read')).toHaveLength(2);
  });

  it('goes over REST while the socket is down; no answer in time lets it try again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const c = chat([message(1, fromSamia)]);
    await c.open();
    c.room.dispatch({ type: 'read_failed', seq: 1 });

    c.room.markNewestRead();
    await settle();
    expect(c.requests.filter((r) => r.method === 'PUT').map((r) => r.url)).toEqual([
      `/api/chat/messages/${message(1).id}/read`,
    ]);
    expect(c.room.getState().ownReadSeq).toBe(0);

    await c.socket.open();
    c.room.markNewestRead();
    expect(c.room.getState().ownReadSeq).toBe(1);
    vi.advanceTimersByTime(ACK_TIMEOUT_MS);
    expect(c.room.getState().ownReadSeq).toBe(0);
  });

  it('does not mark when nothing of others is unread', async () => {
    const c = chat([message(1), message(2)]);
    await c.open();
    c.room.dispatch({ type: 'read_failed', seq: 1 });
    await c.socket.open();
    c.room.markNewestRead();
    expect(c.socket.sent('mark_read')).toEqual([]);
  });
});
