import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { signUserToken } from '../src/auth/token-verifier.js';
import type { MessageListAnswer } from './support/rest.js';
import {
  type ClientSocket,
  collect,
  connectClient,
  nextEvent,
  openClient,
  sleep,
} from './support/sockets.js';
import { startTestApp, TEST_JWT_SECRET, useTestApp } from './support/test-app.js';

const open: ClientSocket[] = [];

const t = useTestApp(
  {
    RATE_LIMIT_MESSAGES_PER_MINUTE: '10000',
    RATE_LIMIT_REACTIONS_PER_MINUTE: '5',
  },
  { sockets: open },
);

async function connect(token: string, options?: Parameters<typeof connectClient>[2]) {
  const socket = await connectClient(t.baseUrl, token, options);
  open.push(socket);
  return socket;
}

async function joinedPair() {
  const chat = await t.factory.bookingChat();
  const c = await connect(chat.client.token);
  const r = await connect(chat.reader.token);
  for (const s of [c, r])
    await s.timeout(3000).emitWithAck('join_chat', { session_id: chat.sessionId });
  return { ...chat, c, r };
}

describe('socket connection', () => {
  it('accepts a Bearer Authorization header from non-browser clients', async () => {
    const user = await t.factory.user('client');
    const socket = await connect('', { extraHeaders: { authorization: `Bearer ${user.token}` } });
    expect(socket.connected).toBe(true);
  });

  it('says who you are in authenticated', async () => {
    const user = await t.factory.user('reader', { firstName: 'Samia', lastName: 'Reader' });
    const socket = openClient(t.baseUrl, user.token);
    open.push(socket);
    expect(await nextEvent(socket, 'authenticated')).toEqual({
      user: { id: user.id, name: 'Samia Reader', avatar: null, role: 'reader' },
    });
  });

  it('ends the socket with auth_error when its token expires while connected', async () => {
    const user = await t.factory.user('client');
    const { token } = await signUserToken(TEST_JWT_SECRET, user.id, 2);
    const socket = await connect(token);
    const authError = await nextEvent(socket, 'auth_error', () => true, 5_000);
    expect(authError).toEqual({ code: 'AUTHENTICATION_REQUIRED', message: 'Token expired' });
    await sleep(100);
    expect(socket.connected).toBe(false);
  });

  it('refuses a browser from an origin that is not allowed, accepts FRONTEND_URL', async () => {
    const user = await t.factory.user('client');
    const evil = openClient(t.baseUrl, user.token, {
      extraHeaders: { origin: 'http://evil.example' },
    });
    open.push(evil);
    const refused = await new Promise<boolean>((resolve) => {
      evil.once('connect_error', () => resolve(true));
      evil.once('authenticated', () => resolve(false));
    });
    expect(refused).toBe(true);
    const good = await connect(user.token, { extraHeaders: { origin: 'http://allowed.example' } });
    expect(good.connected).toBe(true);
  });

  it('drops a connection that sends a frame over 64 KB', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const socket = await connect(client.token);
    const gone = new Promise<string>((resolve) =>
      socket.once('disconnect', (reason) => resolve(reason)),
    );
    socket.emit('send_message', {
      session_id: sessionId,
      message: { content: 'x'.repeat(70 * 1024) },
    });
    expect(await gone).toBe('transport close');
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/chat/messages?session_id=${sessionId}`,
      headers: client.auth,
    });
    expect(list.json<MessageListAnswer>().data.messages).toEqual([]);
  });

  it('answers an invalid payload with an error event and a failed ack', async () => {
    const user = await t.factory.user('client');
    const socket = await connect(user.token);
    const errorEvent = nextEvent(socket, 'error');
    const ack = await socket.timeout(3000).emitWithAck('join_chat', { session_id: 'not-a-uuid' });
    expect(ack.ok).toBe(false);
    expect(ack.ok === false && ack.error.code).toBe('VALIDATION_ERROR');
    expect(await errorEvent).toEqual(
      expect.objectContaining({ code: 'VALIDATION_ERROR', error: 'Invalid request data' }),
    );
  });
});

describe('socket events', () => {
  it('message_reaction toggles and everyone gets the summary', async () => {
    const { client, reader, sessionId, c, r } = await joinedPair();
    const msg = await t.factory.message(client, sessionId, 'react to me');
    const update = nextEvent(c, 'message_reaction_update');
    const added = await r.timeout(3000).emitWithAck('message_reaction', {
      message_id: msg.id,
      reaction: '❤️',
      session_id: sessionId,
    });
    expect(added.ok && added.data.action).toBe('added');
    expect(await update).toEqual({
      message_id: msg.id,
      session_id: sessionId,
      user_id: reader.id,
      user_name: `${reader.firstName} ${reader.lastName}`,
      reaction: '❤️',
      action: 'added',
      reactions: [{ reaction: '❤️', count: 1, user_ids: [reader.id] }],
    });
    const removed = await r.timeout(3000).emitWithAck('message_reaction', {
      message_id: msg.id,
      reaction: '❤️',
      session_id: sessionId,
    });
    expect(removed.ok && removed.data).toEqual(
      expect.objectContaining({ action: 'removed', reactions: [] }),
    );
    const refused = await r.timeout(3000).emitWithAck('message_reaction', {
      message_id: msg.id,
      reaction: 'lol',
      session_id: sessionId,
    });
    expect(refused.ok === false && refused.error.code).toBe('VALIDATION_ERROR');
  });

  it('reactions have their own per-user budget', async () => {
    const { client, sessionId, r } = await joinedPair();
    const msg = await t.factory.message(client, sessionId, 'spam target');
    const results = [];
    for (let i = 0; i < 6; i++) {
      results.push(
        await r.timeout(3000).emitWithAck('message_reaction', {
          message_id: msg.id,
          reaction: '👍',
          session_id: sessionId,
        }),
      );
    }
    expect(results.slice(0, 5).every((a) => a.ok)).toBe(true);
    expect(results[5]?.ok === false && results[5].error.code).toBe('RATE_LIMIT_EXCEEDED');
  });

  it('mark_read and the REST read both broadcast messages_read', async () => {
    const { client, reader, sessionId, c, r } = await joinedPair();
    const first = await t.factory.message(client, sessionId, 'one');
    const second = await t.factory.message(client, sessionId, 'two');
    const viaSocket = nextEvent(c, 'messages_read');
    const ack = await r.timeout(3000).emitWithAck('mark_read', { message_id: first.id });
    expect(ack.ok && ack.data.last_read_seq).toBe(first.seq);
    expect(await viaSocket).toEqual(
      expect.objectContaining({
        session_id: sessionId,
        user_id: reader.id,
        last_read_seq: first.seq,
      }),
    );
    const viaRest = nextEvent(c, 'messages_read');
    await t.app.inject({
      method: 'PUT',
      url: `/api/chat/messages/${second.id}/read`,
      headers: reader.auth,
    });
    expect((await viaRest).last_read_seq).toBe(second.seq);
  });

  it("a user's other device hears chat_activity without joining the session", async () => {
    const { client, reader, sessionId, c } = await joinedPair();
    const otherDevice = await connect(reader.token);
    const activity = nextEvent(otherDevice, 'chat_activity');
    const sent = await c
      .timeout(3000)
      .emitWithAck('send_message', { session_id: sessionId, message: { content: 'ping' } });
    expect(await activity).toEqual(
      expect.objectContaining({
        session_id: sessionId,
        message_id: sent.ok ? sent.data.message_id : '',
        sender_id: client.id,
      }),
    );
  });

  it('a socket that joined the session gets new_message, not chat_activity too', async () => {
    const { client, reader, sessionId, c, r } = await joinedPair();
    const otherDevice = await connect(reader.token);
    const atReaderRoom = collect(r, 'chat_activity');
    const atClientRoom = collect(c, 'chat_activity');
    const delivered = nextEvent(r, 'new_message');
    const elsewhere = nextEvent(otherDevice, 'chat_activity');
    await c
      .timeout(3000)
      .emitWithAck('send_message', { session_id: sessionId, message: { content: 'ping' } });
    const message = await delivered;
    const activity = await elsewhere;
    // The list needs the same fields from new_message as from chat_activity.
    expect(message).toEqual(
      expect.objectContaining({
        session_id: activity.session_id,
        id: activity.message_id,
        seq: activity.seq,
        sender_id: client.id,
        created_at: activity.created_at,
      }),
    );
    await sleep(300);
    expect(atReaderRoom).toEqual([]);
    expect(atClientRoom).toEqual([]);
    otherDevice.disconnect();
  });

  it('writes over REST and tRPC reach every joined socket exactly once', async () => {
    const { client, reader, sessionId, c, r } = await joinedPair();
    const atClient = collect(c, 'new_message');
    const atReader = collect(r, 'new_message');
    await t.app.inject({
      method: 'POST',
      url: '/api/chat/messages',
      headers: client.auth,
      payload: { session_id: sessionId, content: 'over rest' },
    });
    await t.app.inject({
      method: 'POST',
      url: '/trpc/messages.send',
      headers: { ...reader.auth, 'content-type': 'application/json' },
      payload: { session_id: sessionId, content: 'over trpc' },
    });
    await sleep(300);
    expect(atClient.map((m) => m.content)).toEqual(['over rest', 'over trpc']);
    expect(atReader.map((m) => m.content)).toEqual(['over rest', 'over trpc']);
  });

  it('a retried socket send with the same id is stored and broadcast once', async () => {
    const { sessionId, c, r } = await joinedPair();
    const atReader = collect(r, 'new_message');
    const id = randomUUID();
    const a = await c
      .timeout(3000)
      .emitWithAck('send_message', { session_id: sessionId, message: { id, content: 'once' } });
    const b = await c
      .timeout(3000)
      .emitWithAck('send_message', { session_id: sessionId, message: { id, content: 'once' } });
    expect(a).toEqual(b);
    await sleep(300);
    expect(atReader.map((m) => m.id)).toEqual([id]);
  });

  it('send_message shares the REST message budget', async () => {
    const small = await startTestApp({ RATE_LIMIT_MESSAGES_PER_MINUTE: '2' });
    try {
      const url = await small.listen();
      const { client, sessionId } = await small.factory.bookingChat();
      await small.factory.message(client, sessionId, 'rest 1');
      const socket = await connectClient(url, client.token);
      open.push(socket);
      const second = await socket
        .timeout(3000)
        .emitWithAck('send_message', { session_id: sessionId, message: { content: 'socket 2' } });
      const third = await socket
        .timeout(3000)
        .emitWithAck('send_message', { session_id: sessionId, message: { content: 'socket 3' } });
      expect(second.ok).toBe(true);
      expect(third.ok === false && third.error.code).toBe('RATE_LIMIT_EXCEEDED');
    } finally {
      await small.close();
    }
  });

  it('catch-up past 500 missed messages asks for a resync', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    for (let i = 0; i < 502; i++) await t.factory.message(client, sessionId, `n${i}`);
    const r = await connect(reader.token);
    const ack = await r
      .timeout(5000)
      .emitWithAck('join_chat', { session_id: sessionId, since_seq: 0 });
    expect(ack.ok && ack.data.resync_required).toBe(true);
    expect(ack.ok && ack.data.messages.length).toBe(500);
    expect(ack.ok && ack.data.messages[0]?.seq).toBe(1);
    expect(ack.ok && ack.data.last_seq).toBe(502);
  }, 60_000);

  it('a message the typist sends over REST ends their typing indicator at once', async () => {
    const { client, sessionId, c, r } = await joinedPair();
    const started = nextEvent(r, 'user_typing');
    await c.timeout(3000).emitWithAck('typing_start', { session_id: sessionId });
    expect((await started).is_typing).toBe(true);
    // Well before the server's own 6 s timeout would end it.
    const stopped = nextEvent(r, 'user_typing', (e) => !e.is_typing, 2_000);
    // Telling other nodes is the adapter's job; one node alone has none to tell (the in-memory
    // adapter would print a warning for every message sent over REST).
    const warn = vi.spyOn(console, 'warn');
    const sent = await t.app.inject({
      method: 'POST',
      url: '/api/chat/messages',
      headers: client.auth,
      payload: { session_id: sessionId, content: 'sent over REST' },
    });
    expect(sent.statusCode).toBe(201);
    expect(await stopped).toEqual(
      expect.objectContaining({ user_id: client.id, session_id: sessionId, is_typing: false }),
    );
    expect(warn.mock.calls.map((args) => String(args[0]))).not.toContainEqual(
      expect.stringContaining('serverSideEmit'),
    );
    warn.mockRestore();
    // Typing again is announced again (the server's state was reset, not just the event sent).
    const again = nextEvent(r, 'user_typing', (e) => e.is_typing);
    await c.timeout(3000).emitWithAck('typing_start', { session_id: sessionId });
    expect((await again).user_id).toBe(client.id);
  });

  it('typing in a closed session is refused, and leave stops typing', async () => {
    const { client, sessionId, c, r } = await joinedPair();
    const started = nextEvent(r, 'user_typing');
    await c.timeout(3000).emitWithAck('typing_start', { session_id: sessionId });
    expect((await started).is_typing).toBe(true);
    const stopped = nextEvent(r, 'user_typing', (e) => !e.is_typing);
    await c.timeout(3000).emitWithAck('leave_chat', { session_id: sessionId });
    expect((await stopped).user_id).toBe(client.id);
  });
});
