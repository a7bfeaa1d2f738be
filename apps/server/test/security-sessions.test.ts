import { randomUUID } from 'node:crypto';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/transport/trpc/app.router.js';
import { form, pngOf } from './support/media-fixtures.js';
import {
  expectError,
  expectStatus,
  type MessageListAnswer,
  rest,
  type SessionAnswer,
  type SessionListAnswer,
  upload,
} from './support/rest.js';
import { type ClientSocket, connectClient } from './support/sockets.js';
import { type TestUser, useTestApp } from './support/test-app.js';

/**
 * Issue 12, findings 4, 10a, 10b and the read budget of 10c: who may open which chat, how many,
 * what an unknown id gives away, deleting evidence after a close, and scraping by reads.
 */

const READS_PER_MINUTE = 6;
const sockets: ClientSocket[] = [];
/** The app with the default budgets (30 sessions an hour, 600 reads a minute). */
const t = useTestApp();
/** The same database with a read budget small enough to spend in a test (closes first). */
const limited = useTestApp(
  { RATE_LIMIT_READS_PER_MINUTE: String(READS_PER_MINUTE) },
  { sharesDatabaseWith: t, sockets },
);

function trpcFor(user: TestUser, url = t.baseUrl) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${url}/trpc`, headers: () => user.auth })],
  });
}

interface TrpcFailure {
  message: string;
  code: string;
  httpStatus: number;
  details: string[];
}

/** The rejection of a tRPC call: its message and the service's error code. */
async function trpcError(call: Promise<unknown>): Promise<TrpcFailure> {
  const error = await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  const data = (error as TRPCClientError<AppRouter>).data as unknown as {
    errorCode: string;
    httpStatus: number;
    details: string[];
  };
  return {
    message: (error as Error).message,
    code: data.errorCode,
    httpStatus: data.httpStatus,
    details: data.details,
  };
}

async function socketFor(user: TestUser, url = t.baseUrl): Promise<ClientSocket> {
  const socket = await connectClient(url, user.token);
  sockets.push(socket);
  return socket;
}

/** What a caller sees of an answer: status and body. */
const seen = (response: LightMyRequestResponse) => ({
  status: response.statusCode,
  body: response.json<unknown>(),
});

describe('finding 4: who opens which chat', () => {
  it('a client can no longer open a manual chat with an admin (or anyone), over REST or tRPC, and nothing is created', async () => {
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    const admin = await t.factory.user('admin');

    const withAdmin = await rest(t.app, client).post('/api/chat/sessions', {
      participant_ids: [client.id, admin.id],
      session_type: 'support',
    });
    expectError(withAdmin, 'CHAT_ACCESS_DENIED');
    // A made-up id gets the same answer: nothing about the named users is looked up.
    const withNobody = await rest(t.app, client).post('/api/chat/sessions', {
      participant_ids: [client.id, randomUUID()],
      session_type: 'support',
    });
    expect(seen(withNobody)).toEqual(seen(withAdmin));
    expectError(
      await rest(t.app, reader).post('/api/chat/sessions', {
        participant_ids: [reader.id, client.id],
      }),
      'CHAT_ACCESS_DENIED',
    );
    const overTrpc = await trpcError(
      trpcFor(client).sessions.create.mutate({ participant_ids: [client.id, admin.id] }),
    );
    expect(overTrpc.code).toBe('CHAT_ACCESS_DENIED');
    expect(overTrpc.httpStatus).toBe(403);

    for (const user of [client, reader, admin]) {
      const listed = await rest(t.app, user).get('/api/chat/sessions?status=all');
      expect(listed.json<SessionListAnswer>().data.pagination.total).toBe(0);
    }
  });

  it('a client’s support request opens a support session only they and admins can see and write (REST, tRPC, socket)', async () => {
    const client = await t.factory.user('client');
    const outsider = await t.factory.user('client');
    const admin = await t.factory.user('admin');

    const opened = await rest(t.app, client).post('/api/chat/sessions', {
      session_type: 'support',
      metadata: { topic: 'refund' },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const request = opened.json<SessionAnswer>().data;
    expect(request).toMatchObject({
      session_type: 'support',
      booking_id: null,
      status: 'active',
      participants: [client.id],
      metadata: { topic: 'refund' },
    });
    // While it is open, asking again answers the same request (REST and tRPC).
    const again = await rest(t.app, client).post('/api/chat/sessions', { session_type: 'support' });
    expect(again.statusCode).toBe(200);
    expect(again.json<SessionAnswer>().message).toBe('Chat session already exists');
    expect(again.json<SessionAnswer>().data.id).toBe(request.id);
    const viaTrpc = await trpcFor(client).sessions.create.mutate({ session_type: 'support' });
    expect(viaTrpc).toMatchObject({ created: false, session: { id: request.id } });

    // The client and an admin (the override) write there; the admin sees it in the console.
    await t.factory.message(client, request.id, 'I was charged twice');
    await t.factory.message(admin, request.id, 'Refund on its way');
    const thread = await rest(t.app, client).get(`/api/chat/messages?session_id=${request.id}`);
    expect(thread.json<MessageListAnswer>().data.messages.map((m) => m.content)).toEqual([
      'I was charged twice',
      'Refund on its way',
    ]);
    const console_ = await rest(t.app, admin).get('/api/chat/sessions?scope=all&limit=100');
    expect(console_.json<SessionListAnswer>().data.sessions.map((s) => s.id)).toContain(request.id);
    const adminSocket = await socketFor(admin);
    const adminJoin = await adminSocket
      .timeout(3000)
      .emitWithAck('join_chat', { session_id: request.id });
    expect(adminJoin.ok).toBe(true);

    // Nobody else sees or writes it.
    const api = rest(t.app, outsider);
    expectError(await api.get(`/api/chat/sessions/${request.id}`), 'CHAT_ACCESS_DENIED');
    expectError(await api.get(`/api/chat/messages?session_id=${request.id}`), 'CHAT_ACCESS_DENIED');
    expectError(
      await api.post('/api/chat/messages', { session_id: request.id, content: 'hi' }),
      'CHAT_ACCESS_DENIED',
    );
    expect((await trpcError(trpcFor(outsider).sessions.get.query({ id: request.id }))).code).toBe(
      'CHAT_ACCESS_DENIED',
    );
    const outsiderSocket = await socketFor(outsider);
    const outsiderJoin = await outsiderSocket
      .timeout(3000)
      .emitWithAck('join_chat', { session_id: request.id });
    expect(outsiderJoin.ok === false && outsiderJoin.error.code).toBe('CHAT_ACCESS_DENIED');

    // Once an admin closes it, the next request is a new session.
    await rest(t.app, admin).patch(`/api/chat/sessions/${request.id}`, { status: 'closed' });
    const next = await rest(t.app, client).post('/api/chat/sessions', { session_type: 'support' });
    expect(next.statusCode).toBe(201);
    expect(next.json<SessionAnswer>().data.id).not.toBe(request.id);
  });

  it('an admin’s support chat names its participants; an admin cannot open an empty support request', async () => {
    const admin = await t.factory.user('admin');
    const client = await t.factory.user('client');
    const withClient = await rest(t.app, admin).post('/api/chat/sessions', {
      participant_ids: [admin.id, client.id],
      session_type: 'support',
    });
    expect(withClient.statusCode, withClient.body).toBe(201);
    expectError(
      await rest(t.app, admin).post('/api/chat/sessions', { session_type: 'support' }),
      'VALIDATION_ERROR',
    );
  });

  it('the 31st session a user creates in an hour is 429 with Retry-After over REST and tRPC; opening an existing one still answers', async () => {
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    const api = rest(t.app, client);
    const bookings: Array<{ id: string }> = [];
    for (let i = 0; i < 30; i += 1) bookings.push(await t.factory.booking(client, reader));
    const [lastAllowed, refusedBooking] = bookings.slice(28);
    if (!lastAllowed || !refusedBooking) throw new Error('bookings missing');

    // 30 creations: a support request, 28 booking chats over REST, one over tRPC.
    expect((await api.post('/api/chat/sessions', { session_type: 'support' })).statusCode).toBe(
      201,
    );
    for (const booking of bookings.slice(0, 28)) {
      const created = await api.post('/api/chat/sessions', { booking_id: booking.id });
      expect(created.statusCode, created.body).toBe(201);
    }
    const viaTrpc = await trpcFor(client).sessions.create.mutate({ booking_id: lastAllowed.id });
    expect(viaTrpc.created).toBe(true);

    const refused = await api.post('/api/chat/sessions', { booking_id: refusedBooking.id });
    const body = expectError(refused, 'RATE_LIMIT_EXCEEDED');
    expect(body.details.join(' ')).toContain('30 sessions per hour');
    // An hour's window, not a minute's.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
    const overTrpc = await trpcError(
      trpcFor(client).sessions.create.mutate({ booking_id: refusedBooking.id }),
    );
    expect(overTrpc.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(overTrpc.httpStatus).toBe(429);

    // Out of budget, sessions that exist still open (not a creation); the budget is per user.
    expect((await api.post('/api/chat/sessions', { booking_id: lastAllowed.id })).statusCode).toBe(
      200,
    );
    expect((await api.post('/api/chat/sessions', { session_type: 'support' })).statusCode).toBe(
      200,
    );
    const byReader = await rest(t.app, reader).post('/api/chat/sessions', {
      booking_id: refusedBooking.id,
    });
    expect(byReader.statusCode).toBe(201);
  });

  it('an unknown participant id is not named: an admin gets the same answer as for any other bad list (REST and tRPC)', async () => {
    const admin = await t.factory.user('admin');
    const client = await t.factory.user('client');
    const unknown = randomUUID();
    const api = rest(t.app, admin);
    const withUnknown = await api.post('/api/chat/sessions', {
      participant_ids: [client.id, unknown],
    });
    expectError(withUnknown, 'VALIDATION_ERROR');
    expect(withUnknown.body).not.toContain(unknown);
    for (const ids of [[client.id], [client.id, client.id]]) {
      expect(seen(await api.post('/api/chat/sessions', { participant_ids: ids }))).toEqual(
        seen(withUnknown),
      );
    }
    const overTrpc = await trpcError(
      trpcFor(admin).sessions.create.mutate({ participant_ids: [client.id, unknown] }),
    );
    expect(overTrpc.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(overTrpc)).not.toContain(unknown);
  });
});

describe('finding 10a: deleting after a close', () => {
  it('the sender cannot delete their message after an admin closed the session (REST and tRPC); an admin still can', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const admin = await t.factory.user('admin');
    const first = await t.factory.message(client, sessionId, 'pay me on WhatsApp');
    const second = await t.factory.message(client, sessionId, 'my number is in my profile');
    await rest(t.app, admin).patch(`/api/chat/sessions/${sessionId}`, { status: 'closed' });

    expectError(
      await rest(t.app, client).delete(`/api/chat/messages/${first.id}`),
      'SESSION_INACTIVE',
    );
    const overTrpc = await trpcError(trpcFor(client).messages.remove.mutate({ id: second.id }));
    expect(overTrpc.code).toBe('SESSION_INACTIVE');
    expect(overTrpc.httpStatus).toBe(409);
    const evidence = await rest(t.app, reader).get(`/api/chat/messages?session_id=${sessionId}`);
    expect(evidence.json<MessageListAnswer>().data.messages.map((m) => m.content)).toEqual([
      'pay me on WhatsApp',
      'my number is in my profile',
    ]);

    const moderated = await rest(t.app, admin).delete(`/api/chat/messages/${first.id}`);
    expect(moderated.statusCode, moderated.body).toBe(200);
    expect(moderated.json<SessionAnswer>().data).toMatchObject({ id: first.id, content: null });
  });
});

describe('finding 10b: an unknown id answers like a foreign one', () => {
  it('an unknown session and someone else’s session answer the same 403 CHAT_ACCESS_DENIED (REST, tRPC, socket); staff still get 404', async () => {
    const foreign = await t.factory.bookingChat();
    const foreignMessage = await t.factory.message(foreign.client, foreign.sessionId, 'private');
    const outsider = await t.factory.user('client');
    const unknownSession = randomUUID();
    const unknownMessage = randomUUID();
    const api = rest(t.app, outsider);

    const restPairs: Array<[string, (id: string) => Promise<LightMyRequestResponse>]> = [
      ['GET session', (id) => api.get(`/api/chat/sessions/${id}`)],
      ['GET messages', (id) => api.get(`/api/chat/messages?session_id=${id}`)],
      ['POST message', (id) => api.post('/api/chat/messages', { session_id: id, content: 'x' })],
    ];
    for (const [what, call] of restPairs) {
      const ofForeign = await call(foreign.sessionId);
      expectError(ofForeign, 'CHAT_ACCESS_DENIED');
      expect(seen(await call(unknownSession)), what).toEqual(seen(ofForeign));
    }
    const messagePairs: Array<[string, (id: string) => Promise<LightMyRequestResponse>]> = [
      ['mark read', (id) => api.put(`/api/chat/messages/${id}/read`)],
      ['delete', (id) => api.delete(`/api/chat/messages/${id}`)],
      ['react', (id) => api.post(`/api/chat/messages/${id}/reactions`, { reaction: '👍' })],
      ['download', (id) => api.get(`/api/chat/files/${id}`)],
    ];
    for (const [what, call] of messagePairs) {
      const ofForeign = await call(foreignMessage.id);
      expectError(ofForeign, 'CHAT_ACCESS_DENIED');
      expect(seen(await call(unknownMessage)), what).toEqual(seen(ofForeign));
    }
    // Without a token or a valid link, the download does not look the message up either.
    const anonymous = rest(t.app);
    const anonymousForeign = await anonymous.get(`/api/chat/files/${foreignMessage.id}`);
    expectError(anonymousForeign, 'AUTHENTICATION_REQUIRED');
    expect(seen(await anonymous.get(`/api/chat/files/${unknownMessage}`))).toEqual(
      seen(anonymousForeign),
    );

    const trpc = trpcFor(outsider);
    const trpcPairs: Array<[string, (session: string, message: string) => Promise<unknown>]> = [
      ['sessions.get', (id) => trpc.sessions.get.query({ id })],
      ['messages.list', (id) => trpc.messages.list.query({ session_id: id })],
      ['messages.markRead', (_, id) => trpc.messages.markRead.mutate({ id })],
      ['messages.remove', (_, id) => trpc.messages.remove.mutate({ id })],
      ['reactions.add', (_, id) => trpc.reactions.add.mutate({ id, reaction: '👍' })],
    ];
    for (const [what, call] of trpcPairs) {
      const ofForeign = await trpcError(call(foreign.sessionId, foreignMessage.id));
      expect(ofForeign.code, what).toBe('CHAT_ACCESS_DENIED');
      expect(await trpcError(call(unknownSession, unknownMessage)), what).toEqual(ofForeign);
    }

    const socket = await socketFor(outsider);
    const joinForeign = await socket
      .timeout(3000)
      .emitWithAck('join_chat', { session_id: foreign.sessionId });
    expect(joinForeign.ok === false && joinForeign.error.code).toBe('CHAT_ACCESS_DENIED');
    expect(
      await socket.timeout(3000).emitWithAck('join_chat', { session_id: unknownSession }),
    ).toEqual(joinForeign);
    const readForeign = await socket
      .timeout(3000)
      .emitWithAck('mark_read', { message_id: foreignMessage.id });
    expect(readForeign.ok === false && readForeign.error.code).toBe('CHAT_ACCESS_DENIED');
    expect(
      await socket.timeout(3000).emitWithAck('mark_read', { message_id: unknownMessage }),
    ).toEqual(readForeign);
    const reactForeign = await socket
      .timeout(3000)
      .emitWithAck('message_reaction', { message_id: foreignMessage.id, reaction: '👍' });
    expect(reactForeign.ok === false && reactForeign.error.code).toBe('CHAT_ACCESS_DENIED');
    expect(
      await socket
        .timeout(3000)
        .emitWithAck('message_reaction', { message_id: unknownMessage, reaction: '👍' }),
    ).toEqual(reactForeign);

    // Admins and monitors may read every session: for them an unknown id is simply not found.
    for (const role of ['admin', 'monitor'] as const) {
      const staff = await t.factory.user(role);
      expectError(
        await rest(t.app, staff).get(`/api/chat/sessions/${unknownSession}`),
        'SESSION_NOT_FOUND',
      );
      expect(
        (await trpcError(trpcFor(staff).sessions.get.query({ id: unknownSession }))).code,
      ).toBe('SESSION_NOT_FOUND');
    }
  });
});

describe('finding 10c: reads have a budget', () => {
  it(`reads past the per-minute budget (scraping history) are 429 with Retry-After over REST, tRPC and the socket; sends and signed file links are not counted`, async () => {
    const { client, reader, sessionId } = await limited.factory.bookingChat();
    const uploaded = await upload(
      limited.baseUrl,
      client,
      '/api/chat/files',
      form(
        { session_id: sessionId },
        { field: 'file', name: 'p.png', data: await pngOf(8, 8), type: 'image/png' },
      ),
    );
    expectStatus(uploaded, 201);
    const { id: fileMessageId, file_url: fileUrl } = uploaded.body.data;
    if (!fileUrl) throw new Error('the upload has no file_url');

    // Every kind of read counts against the same budget, whichever transport carries it.
    const api = rest(limited.app, client);
    expect((await api.get('/api/chat/sessions')).statusCode).toBe(200);
    expect((await api.get(`/api/chat/sessions/${sessionId}`)).statusCode).toBe(200);
    expect((await api.get(`/api/chat/messages?session_id=${sessionId}`)).statusCode).toBe(200);
    await trpcFor(client, limited.baseUrl).messages.list.query({
      session_id: sessionId,
      after_seq: 0,
    });
    const socket = await socketFor(client, limited.baseUrl);
    const joined = await socket
      .timeout(3000)
      .emitWithAck('join_chat', { session_id: sessionId, since_seq: 0 });
    expect(joined.ok).toBe(true);
    expect((await api.get(`/api/chat/files/${fileMessageId}`)).statusCode).toBe(200);

    const refused = await api.get(`/api/chat/messages?session_id=${sessionId}`);
    const body = expectError(refused, 'RATE_LIMIT_EXCEEDED');
    expect(body.details.join(' ')).toContain(`${READS_PER_MINUTE} reads per minute`);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expectError(await api.get(`/api/chat/files/${fileMessageId}`), 'RATE_LIMIT_EXCEEDED');
    expect((await trpcError(trpcFor(client, limited.baseUrl).sessions.list.query({}))).code).toBe(
      'RATE_LIMIT_EXCEEDED',
    );
    const rejoin = await socket.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    expect(rejoin.ok === false && rejoin.error.code).toBe('RATE_LIMIT_EXCEEDED');

    // A signed link has no user to count; writing is another budget; the reader has their own.
    expect((await fetch(fileUrl)).status).toBe(200);
    expect(
      (await api.post('/api/chat/messages', { session_id: sessionId, content: 'still here' }))
        .statusCode,
    ).toBe(201);
    expect(
      (await rest(limited.app, reader).get(`/api/chat/messages?session_id=${sessionId}`))
        .statusCode,
    ).toBe(200);
  });
});
