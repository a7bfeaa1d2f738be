import { randomUUID } from 'node:crypto';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AppRouter } from '../src/transport/trpc/app.router.js';
import { type MessageListAnswer, rest } from './support/rest.js';
import { type TestUser, useTestApp } from './support/test-app.js';

const t = useTestApp();

function trpcFor(user?: TestUser, headers: Record<string, string> = {}) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${t.baseUrl}/trpc`,
        headers: () => ({ ...headers, ...(user ? user.auth : {}) }),
      }),
    ],
  });
}

interface ErrorData {
  errorCode: string;
  httpStatus: number;
  details: string[];
  stack?: unknown;
}

/** The rejection of a tRPC call, with the service's error code in its data. */
async function trpcError(call: Promise<unknown>): Promise<{ message: string; data: ErrorData }> {
  const error = await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  const clientError = error as TRPCClientError<AppRouter>;
  return { message: clientError.message, data: clientError.data as unknown as ErrorData };
}

async function bookingParties() {
  const client = await t.factory.user('client');
  const reader = await t.factory.user('reader');
  const booking = await t.factory.booking(client, reader);
  return { client, reader, booking };
}

describe('tRPC at /trpc', () => {
  it('creates, lists and gets sessions; a second create answers the same session', async () => {
    const { client, reader, booking } = await bookingParties();
    const api = trpcFor(client);
    const created = await api.sessions.create.mutate({ booking_id: booking.id });
    expect(created.created).toBe(true);
    expect(created.session).toMatchObject({
      booking_id: booking.id,
      session_type: 'booking',
      status: 'active',
    });
    expect([...created.session.participants].sort()).toEqual([client.id, reader.id].sort());

    const again = await trpcFor(reader).sessions.create.mutate({ booking_id: booking.id });
    expect(again.created).toBe(false);
    expect(again.session.id).toBe(created.session.id);

    const list = await api.sessions.list.query({});
    expect(list.pagination).toEqual({ page: 1, limit: 20, total: 1, total_pages: 1 });
    expect(list.sessions.map((s) => s.id)).toEqual([created.session.id]);
    expect(list.sessions[0]?.bookings?.services?.name).toBe('Full Tarot Reading');

    const detail = await api.sessions.get.query({ id: created.session.id });
    expect(detail.participant_profiles.map((p) => p.id).sort()).toEqual(
      [client.id, reader.id].sort(),
    );
  });

  it('sends, lists and marks read; a retried id returns the stored message', async () => {
    const { client, reader, booking } = await bookingParties();
    const { session } = await trpcFor(client).sessions.create.mutate({ booking_id: booking.id });
    const id = randomUUID();
    const sent = await trpcFor(client).messages.send.mutate({
      id,
      session_id: session.id,
      content: '  hi there  ',
    });
    expect(sent.created).toBe(true);
    expect(sent.message).toMatchObject({
      id,
      seq: 1,
      content: 'hi there',
      sender_id: client.id,
      type: 'text',
    });
    const retry = await trpcFor(client).messages.send.mutate({
      id,
      session_id: session.id,
      content: 'hi there',
    });
    expect(retry.created).toBe(false);
    expect(retry.message.seq).toBe(1);
    await trpcFor(client).messages.send.mutate({ session_id: session.id, content: 'second' });

    const readerApi = trpcFor(reader);
    const page = await readerApi.messages.list.query({ session_id: session.id, limit: 1 });
    expect(page.messages.map((m) => m.content)).toEqual(['second']);
    expect(page.has_more).toBe(true);
    const all = await readerApi.messages.list.query({ session_id: session.id });
    expect(all.messages.map((m) => [m.seq, m.is_read])).toEqual([
      [1, false],
      [2, false],
    ]);
    const [listed] = (await readerApi.sessions.list.query({})).sessions;
    expect(listed?.unread_count).toBe(2);

    const read = await readerApi.messages.markRead.mutate({ id });
    expect(read).toMatchObject({ session_id: session.id, user_id: reader.id, last_read_seq: 1 });
    expect((await readerApi.sessions.get.query({ id: session.id })).unread_count).toBe(1);
  });

  it('a message sent over tRPC is visible over REST, and the other way round', async () => {
    const { client, reader, booking } = await bookingParties();
    const { session } = await trpcFor(client).sessions.create.mutate({ booking_id: booking.id });
    const { message } = await trpcFor(client).messages.send.mutate({
      session_id: session.id,
      content: 'via tRPC',
    });
    const viaRest = await rest(t.app, reader).get(`/api/chat/messages?session_id=${session.id}`);
    expect(viaRest.json<MessageListAnswer>().data.messages).toMatchObject([
      { id: message.id, content: 'via tRPC', seq: 1 },
    ]);

    await rest(t.app, reader).post('/api/chat/messages', {
      session_id: session.id,
      content: 'via REST',
    });
    const viaTrpc = await trpcFor(client).messages.list.query({ session_id: session.id });
    expect(viaTrpc.messages.map((m) => m.content)).toEqual(['via tRPC', 'via REST']);
  });

  it('adds and removes reactions', async () => {
    const { client, reader, booking } = await bookingParties();
    const { session } = await trpcFor(client).sessions.create.mutate({ booking_id: booking.id });
    const { message } = await trpcFor(client).messages.send.mutate({
      session_id: session.id,
      content: 'react to me',
    });
    const added = await trpcFor(reader).reactions.add.mutate({ id: message.id, reaction: '👍🏽' });
    expect(added).toMatchObject({
      action: 'added',
      reactions: [{ reaction: '👍🏽', count: 1, user_ids: [reader.id] }],
    });
    const twice = await trpcFor(reader).reactions.add.mutate({ id: message.id, reaction: '👍🏽' });
    expect(twice.reactions).toEqual([{ reaction: '👍🏽', count: 1, user_ids: [reader.id] }]);
    const removed = await trpcFor(reader).reactions.remove.mutate({
      id: message.id,
      reaction: '👍🏽',
    });
    expect(removed).toMatchObject({ action: 'removed', reactions: [] });
  });

  it('batches several calls in one request', async () => {
    const { client, booking } = await bookingParties();
    const api = trpcFor(client);
    const { session } = await api.sessions.create.mutate({ booking_id: booking.id });
    const [list, detail, messages] = await Promise.all([
      api.sessions.list.query({}),
      api.sessions.get.query({ id: session.id }),
      api.messages.list.query({ session_id: session.id }),
    ]);
    expect(list.sessions).toHaveLength(1);
    expect(detail.id).toBe(session.id);
    expect(messages.messages).toEqual([]);
  });

  it('output types flow from the router', () => {
    type Outputs = inferRouterOutputs<AppRouter>;
    type Inputs = inferRouterInputs<AppRouter>;
    expectTypeOf<Outputs['messages']['send']['message']['seq']>().toEqualTypeOf<number>();
    expectTypeOf<Outputs['messages']['list']['has_more']>().toEqualTypeOf<boolean>();
    expectTypeOf<Outputs['sessions']['create']['created']>().toEqualTypeOf<boolean>();
    expectTypeOf<
      Outputs['sessions']['get']['participant_profiles'][number]['role']
    >().toEqualTypeOf<'client' | 'reader' | 'admin' | 'monitor'>();
    expectTypeOf<Outputs['reactions']['add']['action']>().toEqualTypeOf<'added' | 'removed'>();
    expectTypeOf<Inputs['messages']['send']['session_id']>().toEqualTypeOf<string>();
    expectTypeOf<Inputs['messages']['send']['type']>().toEqualTypeOf<
      'text' | 'system' | undefined
    >();
    const api = trpcFor();
    expectTypeOf(api.sessions.list.query).returns.resolves.toHaveProperty('pagination');
    expectTypeOf(api.messages.markRead.mutate).returns.resolves.toEqualTypeOf<
      Outputs['messages']['markRead']
    >();
  });
});

describe('tRPC errors carry the service error code', () => {
  it('AUTHENTICATION_REQUIRED without a token or with a bad one', async () => {
    const noToken = await trpcError(trpcFor().sessions.list.query({}));
    expect(noToken.data.errorCode).toBe('AUTHENTICATION_REQUIRED');
    expect(noToken.data.httpStatus).toBe(401);
    const badToken = await trpcError(
      trpcFor(undefined, { authorization: 'Bearer not-a-jwt' }).messages.send.mutate({
        session_id: randomUUID(),
        content: 'x',
      }),
    );
    expect(badToken.data.errorCode).toBe('AUTHENTICATION_REQUIRED');
  });

  it('CHAT_ACCESS_DENIED for an outsider: no read, send, react or mark read', async () => {
    const { client, booking } = await bookingParties();
    const { session } = await trpcFor(client).sessions.create.mutate({ booking_id: booking.id });
    const { message } = await trpcFor(client).messages.send.mutate({
      session_id: session.id,
      content: 'secret',
    });
    const outsider = trpcFor(await t.factory.user('client'));
    // One at a time: a batch of this many procedure names overflows the URL parameter limit
    // (see the report on maxParamLength).
    const calls: Array<() => Promise<unknown>> = [
      () => outsider.sessions.get.query({ id: session.id }),
      () => outsider.messages.list.query({ session_id: session.id }),
      () => outsider.messages.send.mutate({ session_id: session.id, content: 'hi' }),
      () => outsider.messages.markRead.mutate({ id: message.id }),
      () => outsider.messages.remove.mutate({ id: message.id }),
      () => outsider.reactions.add.mutate({ id: message.id, reaction: '👍' }),
      () => outsider.reactions.remove.mutate({ id: message.id, reaction: '👍' }),
      () => outsider.sessions.create.mutate({ booking_id: booking.id }),
      () => outsider.sessions.updateStatus.mutate({ id: session.id, status: 'closed' }),
    ];
    for (const call of calls) {
      const { message: text, data } = await trpcError(call());
      expect(data.errorCode).toBe('CHAT_ACCESS_DENIED');
      expect(data.httpStatus).toBe(403);
      expect(text).not.toContain('secret');
    }
    const after = await trpcFor(client).messages.list.query({ session_id: session.id });
    expect(after.messages.map((m) => [m.content, m.message_reactions.length])).toEqual([
      ['secret', 0],
    ]);
  });

  it('VALIDATION_ERROR for bad input, with details and no stack', async () => {
    const { client, booking } = await bookingParties();
    const api = trpcFor(client);
    const { session } = await api.sessions.create.mutate({ booking_id: booking.id });
    const empty = await trpcError(
      api.messages.send.mutate({ session_id: session.id, content: '   ' }),
    );
    expect(empty.data.errorCode).toBe('VALIDATION_ERROR');
    expect(empty.data.httpStatus).toBe(400);
    expect(empty.data.details.join(' ')).toMatch(/content/);
    expect(empty.data.stack).toBeUndefined();

    const notUuid = await trpcError(api.sessions.get.query({ id: 'nope' }));
    expect(notUuid.data.errorCode).toBe('VALIDATION_ERROR');
    const badEmoji = await trpcError(
      api.reactions.add.mutate({ id: randomUUID(), reaction: 'ok' }),
    );
    expect(badEmoji.data.errorCode).toBe('VALIDATION_ERROR');
    const zeroLimit = await trpcError(
      api.messages.list.query({ session_id: session.id, limit: 0 }),
    );
    expect(zeroLimit.data.errorCode).toBe('VALIDATION_ERROR');
  });

  it('SESSION_NOT_FOUND, MESSAGE_NOT_FOUND (to staff) and SESSION_INACTIVE travel too', async () => {
    const { client, booking } = await bookingParties();
    const api = trpcFor(client);
    // Only admins and monitors learn that an id names nothing (issue 12).
    const admin = trpcFor(await t.factory.user('admin'));
    expect((await trpcError(admin.sessions.get.query({ id: randomUUID() }))).data.errorCode).toBe(
      'SESSION_NOT_FOUND',
    );
    expect(
      (await trpcError(admin.messages.markRead.mutate({ id: randomUUID() }))).data.errorCode,
    ).toBe('MESSAGE_NOT_FOUND');
    const { session } = await api.sessions.create.mutate({ booking_id: booking.id });
    const closed = await admin.sessions.updateStatus.mutate({ id: session.id, status: 'closed' });
    expect(closed.status).toBe('closed');
    const inactive = await trpcError(
      api.messages.send.mutate({ session_id: session.id, content: 'hello?' }),
    );
    expect(inactive.data.errorCode).toBe('SESSION_INACTIVE');
    expect(inactive.data.httpStatus).toBe(409);
  });

  it('an unknown procedure is NOT_FOUND', async () => {
    const user = await t.factory.user('client');
    const response = await fetch(`${t.baseUrl}/trpc/sessions.nope?input=%7B%7D`, {
      headers: user.auth,
    });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { data: { errorCode: string } } };
    expect(body.error.data.errorCode).toBe('NOT_FOUND');
  });
});
