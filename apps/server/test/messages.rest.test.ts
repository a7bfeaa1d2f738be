import { randomUUID } from 'node:crypto';
import type { TChatMessage } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import {
  expectError,
  type MarkReadAnswer,
  type MessageAnswer,
  type MessageListAnswer,
  rest,
  type SessionAnswer,
  type SessionListAnswer,
} from './support/rest.js';
import { startTestApp, type TestUser, useTestApp } from './support/test-app.js';

const t = useTestApp();

async function list(user: TestUser, query: string) {
  const response = await rest(t.app, user).get(`/api/chat/messages?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<MessageListAnswer>().data;
}

async function send(user: TestUser, sessionId: string, content: string) {
  return t.factory.message(user, sessionId, content);
}

async function unreadCount(user: TestUser, sessionId: string): Promise<number> {
  const response = await rest(t.app, user).get(`/api/chat/sessions/${sessionId}`);
  return response.json<SessionAnswer>().data.unread_count;
}

const seqs = (messages: TChatMessage[]) => messages.map((m) => m.seq);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('POST /api/chat/messages', () => {
  it('stores a trimmed text message and answers 201 with the sender profile', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const response = await rest(t.app, client).post('/api/chat/messages', {
      session_id: sessionId,
      content: '  Thank you for the reading, it was very insightful!\n ',
      type: 'text',
      metadata: { client_ref: 7 },
    });
    expect(response.statusCode).toBe(201);
    const body = response.json<MessageAnswer>();
    expect(body.success).toBe(true);
    expect(body.message).toBe('Message sent successfully');
    expect(body.data).toMatchObject({
      session_id: sessionId,
      sender_id: client.id,
      content: 'Thank you for the reading, it was very insightful!',
      type: 'text',
      seq: 1,
      file_url: null,
      file_name: null,
      metadata: { client_ref: 7 },
      message_reactions: [],
    });
    expect(body.data.profiles).toEqual({
      id: client.id,
      first_name: client.firstName,
      last_name: client.lastName,
      avatar_url: null,
    });
    expect(new Date(body.data.created_at).toISOString()).toBe(body.data.created_at);
  });

  it('empty or whitespace-only content is a VALIDATION_ERROR and stores nothing', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    for (const content of ['', '   ', '\n\t  \n']) {
      const body = expectError(
        await rest(t.app, client).post('/api/chat/messages', { session_id: sessionId, content }),
        'VALIDATION_ERROR',
      );
      expect(body.details.join(' ')).toMatch(/content/);
    }
    expectError(
      await rest(t.app, client).post('/api/chat/messages', { session_id: sessionId }),
      'VALIDATION_ERROR',
    );
    expect((await list(client, `session_id=${sessionId}`)).messages).toEqual([]);
  });

  it('4000 code points are accepted, 4001 refused; an emoji counts once', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const api = rest(t.app, client);
    const emoji4000 = '😀'.repeat(4000);
    const ok = await api.post('/api/chat/messages', { session_id: sessionId, content: emoji4000 });
    expect(ok.statusCode).toBe(201);
    expect(ok.json<MessageAnswer>().data.content).toBe(emoji4000);
    expect(
      (await api.post('/api/chat/messages', { session_id: sessionId, content: 'a'.repeat(4000) }))
        .statusCode,
    ).toBe(201);
    // Surrounding whitespace is trimmed before counting.
    expect(
      (
        await api.post('/api/chat/messages', {
          session_id: sessionId,
          content: `  ${'b'.repeat(4000)}  `,
        })
      ).statusCode,
    ).toBe(201);

    expectError(
      await api.post('/api/chat/messages', { session_id: sessionId, content: '😀'.repeat(4001) }),
      'VALIDATION_ERROR',
    );
    expectError(
      await api.post('/api/chat/messages', { session_id: sessionId, content: 'a'.repeat(4001) }),
      'VALIDATION_ERROR',
    );
  });

  it('a NUL character in content or metadata is a VALIDATION_ERROR, not a 500', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const api = rest(t.app, client);
    const body = expectError(
      await api.post('/api/chat/messages', { session_id: sessionId, content: 'a\u0000b' }),
      'VALIDATION_ERROR',
    );
    expect(body.details.join(' ')).toMatch(/content/);
    for (const metadata of [{ k: 'a\u0000' }, { 'k\u0000': 1 }, { list: [{ deep: '\u0000' }] }]) {
      expectError(
        await api.post('/api/chat/messages', { session_id: sessionId, content: 'ok', metadata }),
        'VALIDATION_ERROR',
      );
    }
    // A literal backslash-u0000 is text like any other.
    const literal = await api.post('/api/chat/messages', {
      session_id: sessionId,
      content: 'ok',
      metadata: { note: '\\u0000' },
    });
    expect(literal.statusCode).toBe(201);
    expect(literal.json<MessageAnswer>().data).toMatchObject({
      seq: 1,
      metadata: { note: '\\u0000' },
    });
  });

  it('type system is for admins only; other types are not sent here', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    for (const user of [client, reader]) {
      expectError(
        await rest(t.app, user).post('/api/chat/messages', {
          session_id: sessionId,
          content: 'hi',
          type: 'system',
        }),
        'CHAT_ACCESS_DENIED',
      );
    }
    for (const type of ['voice', 'image', 'file', 'shout']) {
      expectError(
        await rest(t.app, client).post('/api/chat/messages', {
          session_id: sessionId,
          content: 'hi',
          type,
        }),
        'VALIDATION_ERROR',
      );
    }
    const admin = await t.factory.user('admin');
    const response = await rest(t.app, admin).post('/api/chat/messages', {
      session_id: sessionId,
      content: 'The session will close at 18:00',
      type: 'system',
    });
    expect(response.statusCode).toBe(201);
    expect(response.json<MessageAnswer>().data).toMatchObject({
      type: 'system',
      sender_id: admin.id,
      seq: 1,
    });
    expect((await list(client, `session_id=${sessionId}`)).messages.map((m) => m.type)).toEqual([
      'system',
    ]);
  });

  it('a retry with the same client id answers 200 with the stored message and stores no duplicate', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const id = randomUUID();
    const payload = { id, session_id: sessionId, content: 'Are you there?' };
    const first = await rest(t.app, client).post('/api/chat/messages', payload);
    expect(first.statusCode).toBe(201);
    expect(first.json<MessageAnswer>().data).toMatchObject({ id, seq: 1 });

    const retry = await rest(t.app, client).post('/api/chat/messages', {
      ...payload,
      content: 'changed on retry',
    });
    expect(retry.statusCode).toBe(200);
    expect(retry.json<MessageAnswer>().message).toBe('Message sent successfully');
    expect(retry.json<MessageAnswer>().data).toMatchObject({
      id,
      seq: 1,
      content: 'Are you there?',
    });

    const concurrent = await Promise.all(
      [1, 2, 3].map(() => rest(t.app, client).post('/api/chat/messages', payload)),
    );
    expect(concurrent.map((r) => r.statusCode)).toEqual([200, 200, 200]);

    const after = await send(client, sessionId, 'next');
    expect(after.seq).toBe(2);
    const seen = await list(reader, `session_id=${sessionId}`);
    expect(seen.messages.map((m) => m.id)).toEqual([id, after.id]);
  });

  it('concurrent first sends of one client id store it once', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const payload = { id: randomUUID(), session_id: sessionId, content: 'flaky network' };
    const responses = await Promise.all(
      [1, 2, 3, 4].map(() => rest(t.app, client).post('/api/chat/messages', payload)),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(responses.map((r) => r.json<MessageAnswer>().data.seq))).toEqual(new Set([1]));
    const next = await send(client, sessionId, 'after');
    expect(next.seq).toBe(2);
  });

  it('two nodes committing the same ids at once (retries landing on both) store each once, seqs gap-free', async () => {
    // A second app on the same database: its own group committer, as another node has.
    const other = await startTestApp({}, { database: t.database });
    try {
      const chats = await Promise.all([1, 2, 3, 4].map(() => t.factory.bookingChat()));
      const sends = chats.flatMap(({ client, sessionId }) =>
        range(1, 10).map((i) => ({
          user: client,
          body: { id: randomUUID(), session_id: sessionId, content: `m${i}` },
        })),
      );
      // Every message goes to both nodes at once, interleaved with the others' batches.
      const responses = await Promise.all(
        sends.flatMap(({ user, body }) => [
          rest(t.app, user).post('/api/chat/messages', body),
          rest(other.app, user).post('/api/chat/messages', body),
        ]),
      );
      for (let i = 0; i < sends.length; i += 1) {
        const [first, second] = [responses[2 * i], responses[2 * i + 1]];
        expect([first?.statusCode, second?.statusCode].sort()).toEqual([200, 201]);
        expect(first?.json<MessageAnswer>().data.seq).toBe(second?.json<MessageAnswer>().data.seq);
        expect(first?.json<MessageAnswer>().data.id).toBe(sends[i]?.body.id);
      }
      for (const { client, sessionId } of chats) {
        const stored = await list(client, `session_id=${sessionId}&limit=100`);
        expect(seqs(stored.messages)).toEqual(range(1, 10));
        expect(stored.messages.map((m) => m.content).sort()).toEqual(
          range(1, 10)
            .map((i) => `m${i}`)
            .sort(),
        );
      }
    } finally {
      await other.close();
    }
  });

  it('the same client id from another user is a VALIDATION_ERROR, in the same session or another', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const id = randomUUID();
    await rest(t.app, client).post('/api/chat/messages', {
      id,
      session_id: sessionId,
      content: 'mine',
    });
    expectError(
      await rest(t.app, reader).post('/api/chat/messages', {
        id,
        session_id: sessionId,
        content: 'theirs',
      }),
      'VALIDATION_ERROR',
    );
    const other = await t.factory.bookingChat();
    expectError(
      await rest(t.app, other.client).post('/api/chat/messages', {
        id,
        session_id: other.sessionId,
        content: 'x',
      }),
      'VALIDATION_ERROR',
    );
    // The same sender reusing the id in another session of theirs is refused as well.
    const second = await t.factory.user('reader');
    const booking = await t.factory.booking(client, second);
    const s2 = await rest(t.app, client).post('/api/chat/sessions', { booking_id: booking.id });
    expectError(
      await rest(t.app, client).post('/api/chat/messages', {
        id,
        session_id: s2.json<SessionAnswer>().data.id,
        content: 'mine',
      }),
      'VALIDATION_ERROR',
    );
    const stored = await list(reader, `session_id=${sessionId}`);
    expect(stored.messages.map((m) => [m.id, m.content])).toEqual([[id, 'mine']]);
  });

  it('30 parallel sends get the gap-free seqs 1..30', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const responses = await Promise.all(
      range(1, 30).map((i) =>
        rest(t.app, i % 2 ? client : reader).post('/api/chat/messages', {
          session_id: sessionId,
          content: `m${i}`,
        }),
      ),
    );
    expect(responses.every((r) => r.statusCode === 201)).toBe(true);
    expect(responses.map((r) => r.json<MessageAnswer>().data.seq).sort((a, b) => a - b)).toEqual(
      range(1, 30),
    );
    const all = await list(client, `session_id=${sessionId}&limit=100`);
    expect(seqs(all.messages)).toEqual(range(1, 30));
    const session = await rest(t.app, client).get(`/api/chat/sessions/${sessionId}`);
    expect(session.json<SessionAnswer>().data.last_seq).toBe(30);
  });

  it('SESSION_INACTIVE once an admin closes the session; sends work again when reopened', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const admin = await t.factory.user('admin');
    for (const status of ['closed', 'archived']) {
      await rest(t.app, admin).patch(`/api/chat/sessions/${sessionId}`, { status });
      expectError(
        await rest(t.app, client).post('/api/chat/messages', {
          session_id: sessionId,
          content: 'hello?',
        }),
        'SESSION_INACTIVE',
      );
    }
    // History stays readable.
    expect((await list(client, `session_id=${sessionId}`)).messages).toEqual([]);
    await rest(t.app, admin).patch(`/api/chat/sessions/${sessionId}`, { status: 'active' });
    expect((await send(client, sessionId, 'back')).seq).toBe(1);
  });

  it('an unknown session is CHAT_ACCESS_DENIED for a client (as a session they are not in), SESSION_NOT_FOUND for an admin', async () => {
    const client = await t.factory.user('client');
    const admin = await t.factory.user('admin');
    const payload = { session_id: randomUUID(), content: 'x' };
    expectError(
      await rest(t.app, client).post('/api/chat/messages', payload),
      'CHAT_ACCESS_DENIED',
    );
    expectError(await rest(t.app, admin).post('/api/chat/messages', payload), 'SESSION_NOT_FOUND');
  });
});

describe('GET /api/chat/messages', () => {
  async function chatWith(count: number) {
    const chat = await t.factory.bookingChat();
    const ids: string[] = [];
    for (let i = 1; i <= count; i += 1)
      ids.push((await send(chat.client, chat.sessionId, `m${i}`)).id);
    return { ...chat, ids };
  }

  it('page 1 is the newest page, ascending inside; page 2 the one before; default limit 50', async () => {
    const { reader, sessionId } = await chatWith(7);
    const page1 = await list(reader, `session_id=${sessionId}&limit=3`);
    expect(seqs(page1.messages)).toEqual([5, 6, 7]);
    expect(page1.messages.map((m) => m.content)).toEqual(['m5', 'm6', 'm7']);
    expect(page1.has_more).toBe(true);
    const page2 = await list(reader, `session_id=${sessionId}&limit=3&page=2`);
    expect(seqs(page2.messages)).toEqual([2, 3, 4]);
    expect(page2.has_more).toBe(true);
    const page3 = await list(reader, `session_id=${sessionId}&limit=3&page=3`);
    expect(seqs(page3.messages)).toEqual([1]);
    expect(page3.has_more).toBe(false);
    const all = await list(reader, `session_id=${sessionId}`);
    expect(seqs(all.messages)).toEqual(range(1, 7));
    expect(all.has_more).toBe(false);
  });

  it('before_message_id pages backwards over the whole history and equals the full list', async () => {
    const { reader, sessionId } = await chatWith(12);
    const full = await list(reader, `session_id=${sessionId}&limit=100`);
    expect(seqs(full.messages)).toEqual(range(1, 12));

    const collected: TChatMessage[] = [];
    let page = await list(reader, `session_id=${sessionId}&limit=5`);
    collected.unshift(...page.messages);
    const hasMore = [page.has_more];
    while (page.has_more) {
      const oldest = page.messages[0];
      if (!oldest) throw new Error('empty page with has_more');
      page = await list(reader, `session_id=${sessionId}&limit=5&before_message_id=${oldest.id}`);
      collected.unshift(...page.messages);
      hasMore.push(page.has_more);
    }
    expect(hasMore).toEqual([true, true, false]);
    expect(collected.map((m) => m.id)).toEqual(full.messages.map((m) => m.id));
  });

  it('before_message_id keeps pages stable while new messages arrive', async () => {
    const { client, reader, sessionId, ids } = await chatWith(6);
    const anchor = ids[3];
    await send(client, sessionId, 'newer');
    const older = await list(reader, `session_id=${sessionId}&limit=2&before_message_id=${anchor}`);
    expect(seqs(older.messages)).toEqual([2, 3]);
    expect(older.has_more).toBe(true);
  });

  it('before_message_id from another session or unknown is a VALIDATION_ERROR', async () => {
    const { reader, sessionId } = await chatWith(1);
    const other = await chatWith(1);
    for (const anchor of [other.ids[0], randomUUID()]) {
      expectError(
        await rest(t.app, reader).get(
          `/api/chat/messages?session_id=${sessionId}&before_message_id=${anchor}`,
        ),
        'VALIDATION_ERROR',
      );
    }
  });

  it('after_seq catches up forwards, oldest first, with has_more', async () => {
    const { reader, sessionId } = await chatWith(6);
    const missed = await list(reader, `session_id=${sessionId}&after_seq=2&limit=3`);
    expect(seqs(missed.messages)).toEqual([3, 4, 5]);
    expect(missed.has_more).toBe(true);
    const rest2 = await list(reader, `session_id=${sessionId}&after_seq=5`);
    expect(seqs(rest2.messages)).toEqual([6]);
    expect(rest2.has_more).toBe(false);
    const none = await list(reader, `session_id=${sessionId}&after_seq=6`);
    expect(none.messages).toEqual([]);
    expect(none.has_more).toBe(false);
  });

  it('refuses a missing session_id, limit=0 and bad numbers; clamps limit to 100', async () => {
    const { reader, sessionId } = await chatWith(1);
    for (const query of [
      '',
      'session_id=abc',
      `session_id=${sessionId}&limit=0`,
      `session_id=${sessionId}&page=0`,
      `session_id=${sessionId}&after_seq=-1`,
    ]) {
      expectError(await rest(t.app, reader).get(`/api/chat/messages?${query}`), 'VALIDATION_ERROR');
    }
    expect(
      (await rest(t.app, reader).get(`/api/chat/messages?session_id=${sessionId}&limit=1000`))
        .statusCode,
    ).toBe(200);
  });

  it('an unknown session is CHAT_ACCESS_DENIED for a client, SESSION_NOT_FOUND for a monitor', async () => {
    const client = await t.factory.user('client');
    const monitor = await t.factory.user('monitor');
    const url = `/api/chat/messages?session_id=${randomUUID()}`;
    expectError(await rest(t.app, client).get(url), 'CHAT_ACCESS_DENIED');
    expectError(await rest(t.app, monitor).get(url), 'SESSION_NOT_FOUND');
  });

  it('embeds the sender profile and message_reactions', async () => {
    const { client, reader, sessionId, ids } = await chatWith(1);
    await rest(t.app, reader).post(`/api/chat/messages/${ids[0]}/reactions`, { reaction: '❤️' });
    const [message] = (await list(client, `session_id=${sessionId}`)).messages;
    expect(message?.profiles).toMatchObject({ id: client.id, first_name: client.firstName });
    expect(
      (message as unknown as { message_reactions: unknown[] }).message_reactions,
    ).toMatchObject([
      { user_id: reader.id, reaction: '❤️', profiles: { first_name: reader.firstName } },
    ]);
  });
});

describe('read status', () => {
  it('is_read: on a received message your own cursor, on a sent one every other participant’s', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const m1 = await send(client, sessionId, 'one');
    const m2 = await send(client, sessionId, 'two');

    const readerBefore = await list(reader, `session_id=${sessionId}`);
    expect(readerBefore.messages.map((m) => m.is_read)).toEqual([false, false]);
    const clientBefore = await list(client, `session_id=${sessionId}`);
    expect(clientBefore.messages.map((m) => m.is_read)).toEqual([false, false]);

    const marked = await rest(t.app, reader).put(`/api/chat/messages/${m1.id}/read`);
    expect(marked.statusCode).toBe(200);
    expect(marked.json<MarkReadAnswer>()).toMatchObject({
      success: true,
      message: 'Message marked as read',
      data: { session_id: sessionId, user_id: reader.id, last_read_seq: 1 },
    });

    expect((await list(reader, `session_id=${sessionId}`)).messages.map((m) => m.is_read)).toEqual([
      true,
      false,
    ]);
    expect((await list(client, `session_id=${sessionId}`)).messages.map((m) => m.is_read)).toEqual([
      true,
      false,
    ]);
    await rest(t.app, reader).put(`/api/chat/messages/${m2.id}/read`);
    expect((await list(client, `session_id=${sessionId}`)).messages.map((m) => m.is_read)).toEqual([
      true,
      true,
    ]);
  });

  it('a sent message in a group is read only when every other participant has read it', async () => {
    const a = await t.factory.user('client');
    const b = await t.factory.user('reader');
    const c = await t.factory.user('reader');
    // Manual sessions are opened by admins (issue 12).
    const created = await rest(t.app, await t.factory.user('admin')).post('/api/chat/sessions', {
      participant_ids: [a.id, b.id, c.id],
    });
    const sessionId = created.json<SessionAnswer>().data.id;
    const m = await send(a, sessionId, 'hello both');
    await rest(t.app, b).put(`/api/chat/messages/${m.id}/read`);
    expect((await list(a, `session_id=${sessionId}`)).messages[0]?.is_read).toBe(false);
    expect((await list(b, `session_id=${sessionId}`)).messages[0]?.is_read).toBe(true);
    expect((await list(c, `session_id=${sessionId}`)).messages[0]?.is_read).toBe(false);
    await rest(t.app, c).put(`/api/chat/messages/${m.id}/read`);
    expect((await list(a, `session_id=${sessionId}`)).messages[0]?.is_read).toBe(true);
  });

  it('the read cursor only moves forward and marking read is idempotent', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const m1 = await send(client, sessionId, 'one');
    await send(client, sessionId, 'two');
    const m3 = await send(client, sessionId, 'three');
    const api = rest(t.app, reader);

    const forward = await api.put(`/api/chat/messages/${m3.id}/read`);
    expect(forward.json<MarkReadAnswer>().data.last_read_seq).toBe(3);
    const again = await api.put(`/api/chat/messages/${m3.id}/read`);
    expect(again.statusCode).toBe(200);
    expect(again.json<MarkReadAnswer>().data.last_read_seq).toBe(3);
    expect(again.json<MarkReadAnswer>().data.read_at).toBe(
      forward.json<MarkReadAnswer>().data.read_at,
    );
    const backwards = await api.put(`/api/chat/messages/${m1.id}/read`);
    expect(backwards.statusCode).toBe(200);
    expect(backwards.json<MarkReadAnswer>().data.last_read_seq).toBe(3);

    expect((await list(reader, `session_id=${sessionId}`)).messages.map((m) => m.is_read)).toEqual([
      true,
      true,
      true,
    ]);
    const detail = await api.get(`/api/chat/sessions/${sessionId}`);
    expect(detail.json<SessionAnswer>().data.last_read_seq).toBe(3);
  });

  it('unread_count counts others’ messages after your cursor and drops after mark read', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    await send(client, sessionId, 'one');
    const m2 = await send(client, sessionId, 'two');
    const m3 = await send(client, sessionId, 'three');
    expect(await unreadCount(reader, sessionId)).toBe(3);
    expect(await unreadCount(client, sessionId)).toBe(0);

    await rest(t.app, reader).put(`/api/chat/messages/${m2.id}/read`);
    expect(await unreadCount(reader, sessionId)).toBe(1);
    const listed = (await rest(t.app, reader).get('/api/chat/sessions')).json<SessionListAnswer>()
      .data.sessions;
    expect(listed.find((s) => s.id === sessionId)?.unread_count).toBe(1);

    await rest(t.app, reader).put(`/api/chat/messages/${m3.id}/read`);
    expect(await unreadCount(reader, sessionId)).toBe(0);
  });

  it('a message deleted before you read it is not unread: list and detail agree, mark read still lands', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const admin = await t.factory.user('admin');
    const m1 = await send(client, sessionId, 'one');
    await rest(t.app, reader).put(`/api/chat/messages/${m1.id}/read`);
    const m2 = await send(client, sessionId, 'abusive');
    const m3 = await send(client, sessionId, 'three');
    const m4 = await send(client, sessionId, 'oops, wrong chat');
    const listedUnread = async () =>
      (await rest(t.app, reader).get('/api/chat/sessions'))
        .json<SessionListAnswer>()
        .data.sessions.find((s) => s.id === sessionId)?.unread_count;
    expect(await unreadCount(reader, sessionId)).toBe(3);

    // An admin moderates one message, the sender deletes another: one is left to read.
    expect((await rest(t.app, admin).delete(`/api/chat/messages/${m2.id}`)).statusCode).toBe(200);
    expect((await rest(t.app, client).delete(`/api/chat/messages/${m4.id}`)).statusCode).toBe(200);
    expect(await unreadCount(reader, sessionId)).toBe(1);
    expect(await listedUnread()).toBe(1);

    // A deletion before the cursor does not lower the count of what came after it.
    await rest(t.app, admin).delete(`/api/chat/messages/${m1.id}`);
    expect(await unreadCount(reader, sessionId)).toBe(1);
    expect(await listedUnread()).toBe(1);

    await rest(t.app, reader).put(`/api/chat/messages/${m3.id}/read`);
    expect(await unreadCount(reader, sessionId)).toBe(0);
    expect(await listedUnread()).toBe(0);
    // A new message after it all counts once.
    await send(client, sessionId, 'five');
    expect(await unreadCount(reader, sessionId)).toBe(1);
    expect(await listedUnread()).toBe(1);
  });

  it('sending moves your own cursor: replying clears your unread count', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    await send(client, sessionId, 'one');
    await send(client, sessionId, 'two');
    expect(await unreadCount(reader, sessionId)).toBe(2);
    await send(reader, sessionId, 'reply');
    expect(await unreadCount(reader, sessionId)).toBe(0);
    expect(await unreadCount(client, sessionId)).toBe(1);
    const readerView = await list(reader, `session_id=${sessionId}`);
    expect(readerView.messages.map((m) => m.is_read)).toEqual([true, true, false]);
  });

  it('an unknown message is CHAT_ACCESS_DENIED for a client, MESSAGE_NOT_FOUND for an admin; a non-UUID a VALIDATION_ERROR', async () => {
    const client = await t.factory.user('client');
    const admin = await t.factory.user('admin');
    expectError(
      await rest(t.app, client).put(`/api/chat/messages/${randomUUID()}/read`),
      'CHAT_ACCESS_DENIED',
    );
    expectError(
      await rest(t.app, admin).put(`/api/chat/messages/${randomUUID()}/read`),
      'MESSAGE_NOT_FOUND',
    );
    expectError(await rest(t.app, client).put('/api/chat/messages/xyz/read'), 'VALIDATION_ERROR');
  });
});

describe('DELETE /api/chat/messages/:id', () => {
  it('the sender deletes their message: it stays as a tombstone without content, seq kept', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const m1 = await send(client, sessionId, 'oops');
    const m2 = await send(client, sessionId, 'fine');
    const deleted = await rest(t.app, client).delete(`/api/chat/messages/${m1.id}`);
    expect(deleted.statusCode).toBe(200);
    const tombstone = deleted.json<MessageAnswer>().data;
    expect(tombstone).toMatchObject({ id: m1.id, seq: 1, content: null });
    expect(tombstone.deleted_at).not.toBeNull();

    const seen = await list(reader, `session_id=${sessionId}`);
    expect(seen.messages.map((m) => [m.id, m.content, m.deleted_at !== null])).toEqual([
      [m1.id, null, true],
      [m2.id, 'fine', false],
    ]);
    const again = await rest(t.app, client).delete(`/api/chat/messages/${m1.id}`);
    expect(again.statusCode).toBe(200);
  });

  it('another participant cannot delete your message; an admin can', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const m = await send(client, sessionId, 'rude words');
    expectError(
      await rest(t.app, reader).delete(`/api/chat/messages/${m.id}`),
      'CHAT_ACCESS_DENIED',
    );
    expect((await list(reader, `session_id=${sessionId}`)).messages[0]?.content).toBe('rude words');
    const admin = await t.factory.user('admin');
    const removed = await rest(t.app, admin).delete(`/api/chat/messages/${m.id}`);
    expect(removed.statusCode).toBe(200);
    expect((await list(reader, `session_id=${sessionId}`)).messages[0]?.content).toBeNull();
  });

  it('the last message of a deleted message shows no content in the session list', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const m = await send(client, sessionId, 'secret');
    await rest(t.app, client).delete(`/api/chat/messages/${m.id}`);
    const listed = (await rest(t.app, reader).get('/api/chat/sessions')).json<SessionListAnswer>()
      .data.sessions[0];
    expect(listed?.last_message).toMatchObject({ id: m.id, content: null });
    const detail = (
      await rest(t.app, reader).get(`/api/chat/sessions/${sessionId}`)
    ).json<SessionAnswer>().data;
    expect(detail.last_message).toMatchObject({ id: m.id, content: null });
  });

  it('an unknown message is CHAT_ACCESS_DENIED for a client, MESSAGE_NOT_FOUND for an admin', async () => {
    const client = await t.factory.user('client');
    const admin = await t.factory.user('admin');
    expectError(
      await rest(t.app, client).delete(`/api/chat/messages/${randomUUID()}`),
      'CHAT_ACCESS_DENIED',
    );
    expectError(
      await rest(t.app, admin).delete(`/api/chat/messages/${randomUUID()}`),
      'MESSAGE_NOT_FOUND',
    );
  });
});

describe('rate limit', () => {
  const limited = useTestApp({ RATE_LIMIT_MESSAGES_PER_MINUTE: '3' }, { sharesDatabaseWith: t });

  it('the 4th send in a minute is 429 RATE_LIMIT_EXCEEDED with Retry-After; counted per user', async () => {
    const { client, reader, sessionId } = await limited.factory.bookingChat();
    const api = rest(limited.app, client);
    for (let i = 1; i <= 3; i += 1) {
      expect(
        (await api.post('/api/chat/messages', { session_id: sessionId, content: `m${i}` }))
          .statusCode,
      ).toBe(201);
    }
    const refused = await api.post('/api/chat/messages', { session_id: sessionId, content: 'm4' });
    const body = expectError(refused, 'RATE_LIMIT_EXCEEDED');
    expect(body.details.length).toBeGreaterThan(0);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Another user in the same session (same IP) still has their own budget.
    const other = await rest(limited.app, reader).post('/api/chat/messages', {
      session_id: sessionId,
      content: 'hi',
    });
    expect(other.statusCode).toBe(201);
    expect(other.json<MessageAnswer>().data.seq).toBe(4);
    // The refused message was not stored.
    const stored = await rest(limited.app, reader).get(
      `/api/chat/messages?session_id=${sessionId}`,
    );
    expect(stored.json<MessageListAnswer>().data.messages.map((m) => m.content)).toEqual([
      'm1',
      'm2',
      'm3',
      'hi',
    ]);
  });

  it('retries of an existing id do not consume budget', async () => {
    const { client, sessionId } = await limited.factory.bookingChat();
    const api = rest(limited.app, client);
    const payload = { id: randomUUID(), session_id: sessionId, content: 'once' };
    expect((await api.post('/api/chat/messages', payload)).statusCode).toBe(201);
    for (let i = 0; i < 5; i += 1)
      expect((await api.post('/api/chat/messages', payload)).statusCode).toBe(200);
    expect(
      (await api.post('/api/chat/messages', { session_id: sessionId, content: 'two' })).statusCode,
    ).toBe(201);
    expect(
      (await api.post('/api/chat/messages', { session_id: sessionId, content: 'three' }))
        .statusCode,
    ).toBe(201);
    expectError(
      await api.post('/api/chat/messages', { session_id: sessionId, content: 'four' }),
      'RATE_LIMIT_EXCEEDED',
    );
    // A retry is still answered while the budget is spent.
    expect((await api.post('/api/chat/messages', payload)).statusCode).toBe(200);
  });

  it('sends refused because the session is closed do not spend the budget', async () => {
    const { client, sessionId } = await limited.factory.bookingChat();
    const admin = await limited.factory.user('admin');
    const api = rest(limited.app, client);
    await rest(limited.app, admin).patch(`/api/chat/sessions/${sessionId}`, { status: 'closed' });
    for (let i = 0; i < 4; i += 1) {
      expectError(
        await api.post('/api/chat/messages', { session_id: sessionId, content: `closed ${i}` }),
        'SESSION_INACTIVE',
      );
    }
    await rest(limited.app, admin).patch(`/api/chat/sessions/${sessionId}`, { status: 'active' });
    for (let i = 1; i <= 3; i += 1) {
      expect(
        (await api.post('/api/chat/messages', { session_id: sessionId, content: `m${i}` }))
          .statusCode,
      ).toBe(201);
    }
  });

  it('reads and refused sends do not touch the budget', async () => {
    const { client, sessionId } = await limited.factory.bookingChat();
    const api = rest(limited.app, client);
    for (let i = 0; i < 5; i += 1) {
      expect((await api.get(`/api/chat/messages?session_id=${sessionId}`)).statusCode).toBe(200);
      expectError(
        await api.post('/api/chat/messages', { session_id: sessionId, content: ' ' }),
        'VALIDATION_ERROR',
      );
    }
    for (let i = 1; i <= 3; i += 1) {
      expect(
        (await api.post('/api/chat/messages', { session_id: sessionId, content: `m${i}` }))
          .statusCode,
      ).toBe(201);
    }
  });
});
