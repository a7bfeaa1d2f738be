import { describe, expect, it } from 'vitest';
import type { MessageAnswer, MessageListAnswer } from './support/rest.js';
import { type ClientSocket, collect, connectClient, nextEvent, sleep } from './support/sockets.js';
import { useTestApp } from './support/test-app.js';

const open: ClientSocket[] = [];

const t = useTestApp({}, { sockets: open });

async function connect(token: string) {
  const socket = await connectClient(t.baseUrl, token);
  open.push(socket);
  return socket;
}

describe('socket: join, send, receive', () => {
  it('two participants join and exchange a message; the sender gets message_sent and both get new_message', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const c = await connect(client.token);
    const r = await connect(reader.token);
    const joinedC = nextEvent(c, 'chat_joined');
    c.emit('join_chat', { session_id: sessionId });
    expect((await joinedC).session_id).toBe(sessionId);
    const userJoined = nextEvent(c, 'user_joined');
    const joinedR = await r.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    expect(joinedR.ok).toBe(true);
    expect((await userJoined).user_id).toBe(reader.id);

    const sent = nextEvent(c, 'message_sent');
    const atReader = nextEvent(r, 'new_message');
    const atSender = nextEvent(c, 'new_message');
    c.emit('send_message', {
      session_id: sessionId,
      message: { content: 'Hello, I need help with my reading', type: 'text' },
    });
    const message = await atReader;
    expect(message.content).toBe('Hello, I need help with my reading');
    expect(message.sender).toEqual({
      id: client.id,
      name: `${client.firstName} ${client.lastName}`,
      avatar: null,
    });
    expect(message.timestamp).toBe(message.created_at);
    expect(message.seq).toBe(1);
    expect((await sent).message_id).toBe(message.id);
    expect((await atSender).id).toBe(message.id);
  });

  it("the reference's flow (REST first, then emit the stored message) stores and broadcasts once", async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const c = await connect(client.token);
    const r = await connect(reader.token);
    await c.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    await r.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    const seen = collect(r, 'new_message');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/chat/messages',
      headers: client.auth,
      payload: { session_id: sessionId, content: 'Thank you', type: 'text' },
    });
    const stored = response.json<MessageAnswer>().data;
    const ack = await c
      .timeout(3000)
      .emitWithAck('send_message', { session_id: sessionId, message: stored });
    expect(ack).toEqual({
      ok: true,
      data: {
        message_id: stored.id,
        session_id: sessionId,
        seq: stored.seq,
        created_at: stored.created_at,
      },
    });
    await sleep(300);
    expect(seen.map((m) => m.id)).toEqual([stored.id]);
  });

  it('events emitted before authenticated are handled after it, in order', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const { openClient } = await import('./support/sockets.js');
    const socket = openClient(t.baseUrl, client.token);
    open.push(socket);
    const joined = nextEvent(socket, 'chat_joined');
    const authenticated = nextEvent(socket, 'authenticated');
    const echoed = nextEvent(socket, 'new_message');
    socket.emit('join_chat', { session_id: sessionId });
    socket.emit('send_message', { session_id: sessionId, message: { content: 'early bird' } });
    await authenticated;
    await joined;
    expect((await echoed).content).toBe('early bird');
  });

  it('an invalid token gets auth_error and is disconnected, and nothing it sent is acted on', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const { openClient } = await import('./support/sockets.js');
    const socket = openClient(t.baseUrl, 'not-a-jwt');
    open.push(socket);
    const authError = nextEvent(socket, 'auth_error');
    const gone = new Promise<void>((resolve) => socket.on('disconnect', () => resolve()));
    socket.emit('send_message', { session_id: sessionId, message: { content: 'should not land' } });
    expect((await authError).code).toBe('AUTHENTICATION_REQUIRED');
    await gone;
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/chat/messages?session_id=${sessionId}`,
      headers: client.auth,
    });
    expect(list.json<MessageListAnswer>().data.messages).toEqual([]);
  });

  it('an outsider cannot join, send, type or react, and learns nothing about whether the session exists', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const outsider = await t.factory.user('client');
    const msg = await t.factory.message(client, sessionId);
    const s = await connect(outsider.token);
    const join = await s.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    const joinUnknown = await s
      .timeout(3000)
      .emitWithAck('join_chat', { session_id: crypto.randomUUID() });
    expect(join).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'CHAT_ACCESS_DENIED' }),
    });
    expect(joinUnknown).toEqual(join);
    const send = await s
      .timeout(3000)
      .emitWithAck('send_message', { session_id: sessionId, message: { content: 'x' } });
    expect(send.ok === false && send.error.code).toBe('CHAT_ACCESS_DENIED');
    const type = await s.timeout(3000).emitWithAck('typing_start', { session_id: sessionId });
    expect(type.ok === false && type.error.code).toBe('CHAT_ACCESS_DENIED');
    const react = await s.timeout(3000).emitWithAck('message_reaction', {
      message_id: msg.id,
      reaction: '❤️',
      session_id: sessionId,
    });
    expect(react.ok === false && react.error.code).toBe('CHAT_ACCESS_DENIED');
  });

  it('message_reaction toggles one reaction whatever the selector: "❤" removes what "❤️" added', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const msg = await t.factory.message(client, sessionId, 'Three of Cups');
    const c = await connect(client.token);
    const r = await connect(reader.token);
    for (const s of [c, r])
      await s.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    const toggle = (reaction: string) =>
      r.timeout(3000).emitWithAck('message_reaction', {
        message_id: msg.id,
        reaction,
        session_id: sessionId,
      });

    const addedSeen = nextEvent(c, 'message_reaction_update');
    const added = await toggle('\u2764\uFE0F');
    expect(added.ok && added.data.action).toBe('added');
    expect(await addedSeen).toMatchObject({
      reaction: '\u2764\uFE0F',
      action: 'added',
      reactions: [{ reaction: '\u2764\uFE0F', count: 1, user_ids: [reader.id] }],
    });

    const removedSeen = nextEvent(c, 'message_reaction_update');
    const removed = await toggle('\u2764');
    expect(removed.ok && removed.data).toMatchObject({
      reaction: '\u2764\uFE0F',
      action: 'removed',
      reactions: [],
    });
    expect(await removedSeen).toMatchObject({ action: 'removed', reactions: [] });
  });

  it('typing reaches the others, never the typist, and stops by itself after 6 s', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const c = await connect(client.token);
    const c2 = await connect(client.token);
    const r = await connect(reader.token);
    for (const s of [c, c2, r])
      await s.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    const ownTabs = collect(c2, 'user_typing');
    const started = nextEvent(r, 'user_typing');
    c.emit('typing_start');
    expect(await started).toEqual({
      user_id: client.id,
      user_name: `${client.firstName} ${client.lastName}`,
      is_typing: true,
      session_id: sessionId,
    });
    const stopped = await nextEvent(r, 'user_typing', (e) => !e.is_typing, 8_000);
    expect(stopped.user_id).toBe(client.id);
    expect(ownTabs).toEqual([]);
  }, 15_000);

  it('user_left only when the last tab of a user leaves', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const r = await connect(reader.token);
    await r.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    const tab1 = await connect(client.token);
    const tab2 = await connect(client.token);
    await tab1.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    await tab2.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    const left = collect(r, 'user_left');
    tab1.disconnect();
    await sleep(300);
    expect(left).toEqual([]);
    await tab2.timeout(3000).emitWithAck('leave_chat', { session_id: sessionId });
    await sleep(300);
    expect(left).toEqual([
      {
        user_id: client.id,
        user_name: `${client.firstName} ${client.lastName}`,
        session_id: sessionId,
      },
    ]);
  });

  it('join_chat with since_seq returns exactly what was missed, in order', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    for (let i = 1; i <= 5; i++) await t.factory.message(client, sessionId, `m${i}`);
    const r = await connect(reader.token);
    const ack = await r
      .timeout(3000)
      .emitWithAck('join_chat', { session_id: sessionId, since_seq: 2 });
    expect(ack.ok && ack.data.messages.map((m) => m.content)).toEqual(['m3', 'm4', 'm5']);
    expect(ack.ok && ack.data.last_seq).toBe(5);
    expect(ack.ok && ack.data.resync_required).toBe(false);
  });
});
