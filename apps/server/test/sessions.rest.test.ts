import { randomUUID } from 'node:crypto';
import { ZChatSessionSummary } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { expectError, rest, type SessionAnswer, type SessionListAnswer } from './support/rest.js';
import { type TestUser, useTestApp } from './support/test-app.js';

const t = useTestApp();

const sorted = (ids: string[]) => [...ids].sort();

async function openBookingSession(caller: TestUser, bookingId: string): Promise<string> {
  const response = await rest(t.app, caller).post('/api/chat/sessions', { booking_id: bookingId });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<SessionAnswer>().data.id;
}

async function setStatus(sessionId: string, status: 'active' | 'closed' | 'archived') {
  const admin = await t.factory.user('admin');
  const response = await rest(t.app, admin).patch(`/api/chat/sessions/${sessionId}`, { status });
  expect(response.statusCode, response.body).toBe(200);
}

/** A client with `count` booking sessions, each with its own reader. */
async function clientWithSessions(count: number) {
  const client = await t.factory.user('client');
  const sessions: Array<{ id: string; bookingId: string; reader: TestUser }> = [];
  for (let i = 0; i < count; i += 1) {
    const reader = await t.factory.user('reader');
    const booking = await t.factory.booking(client, reader);
    sessions.push({
      id: await openBookingSession(client, booking.id),
      bookingId: booking.id,
      reader,
    });
  }
  return { client, sessions };
}

describe('POST /api/chat/sessions (booking)', () => {
  it('the first create answers 201 "Chat session created successfully" with the booking parties as participants', async () => {
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    const booking = await t.factory.booking(client, reader);
    const response = await rest(t.app, client).post('/api/chat/sessions', {
      booking_id: booking.id,
    });
    expect(response.statusCode).toBe(201);
    const body = response.json<SessionAnswer>();
    expect(body.success).toBe(true);
    expect(body.message).toBe('Chat session created successfully');
    expect(body.data).toMatchObject({
      booking_id: booking.id,
      session_type: 'booking',
      status: 'active',
      unread_count: 0,
      last_message: null,
    });
    expect(sorted(body.data.participants)).toEqual(sorted([client.id, reader.id]));
    expect(new Date(body.data.created_at).toISOString()).toBe(body.data.created_at);
  });

  it('creating the same booking session again answers 200 with the same id and "Chat session already exists"', async () => {
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    const booking = await t.factory.booking(client, reader);
    const first = await rest(t.app, client).post('/api/chat/sessions', { booking_id: booking.id });
    const again = await rest(t.app, reader).post('/api/chat/sessions', { booking_id: booking.id });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json<SessionAnswer>().message).toBe('Chat session already exists');
    expect(again.json<SessionAnswer>().data.id).toBe(first.json<SessionAnswer>().data.id);
  });

  it('concurrent creates of one booking session produce one session', async () => {
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    const booking = await t.factory.booking(client, reader);
    const responses = await Promise.all(
      [client, reader, client, reader, client, reader].map((u) =>
        rest(t.app, u).post('/api/chat/sessions', { booking_id: booking.id }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 201]);
    const ids = new Set(responses.map((r) => r.json<SessionAnswer>().data.id));
    expect(ids.size).toBe(1);

    const listed = await rest(t.app, client).get(
      `/api/chat/sessions?booking_id=${booking.id}&status=all`,
    );
    expect(listed.json<SessionListAnswer>().data.pagination.total).toBe(1);
  });

  it.each(['cancelled', 'refunded'])(
    'a %s booking cannot get a session: CHAT_ACCESS_DENIED',
    async (status) => {
      const client = await t.factory.user('client');
      const reader = await t.factory.user('reader');
      const booking = await t.factory.booking(client, reader, status);
      const response = await rest(t.app, client).post('/api/chat/sessions', {
        booking_id: booking.id,
      });
      expectError(response, 'CHAT_ACCESS_DENIED');
    },
  );

  it('a booking in any other status (pending, completed) can get a session', async () => {
    for (const status of ['pending', 'completed']) {
      const client = await t.factory.user('client');
      const reader = await t.factory.user('reader');
      const booking = await t.factory.booking(client, reader, status);
      const response = await rest(t.app, reader).post('/api/chat/sessions', {
        booking_id: booking.id,
      });
      expect(response.statusCode, status).toBe(201);
    }
  });

  it('someone who is not a party of the booking cannot create its session', async () => {
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    const booking = await t.factory.booking(client, reader);
    for (const outsider of [await t.factory.user('client'), await t.factory.user('reader')]) {
      const response = await rest(t.app, outsider).post('/api/chat/sessions', {
        booking_id: booking.id,
      });
      expectError(response, 'CHAT_ACCESS_DENIED');
    }
    // Nor may the outsider learn the session once it exists.
    await openBookingSession(client, booking.id);
    const outsider = await t.factory.user('client');
    expectError(
      await rest(t.app, outsider).post('/api/chat/sessions', { booking_id: booking.id }),
      'CHAT_ACCESS_DENIED',
    );
  });

  it('an admin may create a booking session; its participants are the client and the reader', async () => {
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    const admin = await t.factory.user('admin');
    const booking = await t.factory.booking(client, reader);
    const response = await rest(t.app, admin).post('/api/chat/sessions', {
      booking_id: booking.id,
    });
    expect(response.statusCode).toBe(201);
    expect(sorted(response.json<SessionAnswer>().data.participants)).toEqual(
      sorted([client.id, reader.id]),
    );
    const mine = await rest(t.app, client).get('/api/chat/sessions');
    expect(mine.json<SessionListAnswer>().data.sessions.map((s) => s.id)).toEqual([
      response.json<SessionAnswer>().data.id,
    ]);
  });

  it('a monitor cannot create sessions', async () => {
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    const monitor = await t.factory.user('monitor');
    const booking = await t.factory.booking(client, reader);
    expectError(
      await rest(t.app, monitor).post('/api/chat/sessions', { booking_id: booking.id }),
      'CHAT_ACCESS_DENIED',
    );
    expectError(
      await rest(t.app, monitor).post('/api/chat/sessions', {
        participant_ids: [monitor.id, client.id],
      }),
      'CHAT_ACCESS_DENIED',
    );
  });

  it('an unknown booking or a body without booking_id or participant_ids is a VALIDATION_ERROR', async () => {
    const client = await t.factory.user('client');
    expectError(
      await rest(t.app, client).post('/api/chat/sessions', { booking_id: randomUUID() }),
      'VALIDATION_ERROR',
    );
    expectError(await rest(t.app, client).post('/api/chat/sessions', {}), 'VALIDATION_ERROR');
    expectError(
      await rest(t.app, client).post('/api/chat/sessions', { booking_id: 'not-a-uuid' }),
      'VALIDATION_ERROR',
    );
  });
});

describe('POST /api/chat/sessions (manual)', () => {
  it('an admin creates a session with the given participants', async () => {
    const admin = await t.factory.user('admin');
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    const response = await rest(t.app, admin).post('/api/chat/sessions', {
      participant_ids: [client.id, reader.id],
      session_type: 'support',
      metadata: { topic: 'refund' },
    });
    expect(response.statusCode, response.body).toBe(201);
    const data = response.json<SessionAnswer>().data;
    expect(data).toMatchObject({
      booking_id: null,
      session_type: 'support',
      status: 'active',
      bookings: null,
    });
    expect(data.metadata).toEqual({ topic: 'refund' });
    expect(sorted(data.participants)).toEqual(sorted([client.id, reader.id]));
  });

  it('a manual session defaults to session_type general', async () => {
    const admin = await t.factory.user('admin');
    const client = await t.factory.user('client');
    const other = await t.factory.user('client');
    const response = await rest(t.app, admin).post('/api/chat/sessions', {
      participant_ids: [client.id, other.id],
    });
    expect(response.statusCode).toBe(201);
    expect(response.json<SessionAnswer>().data.session_type).toBe('general');
  });

  it('an admin may create a session for others without being in it', async () => {
    const admin = await t.factory.user('admin');
    const a = await t.factory.user('client');
    const b = await t.factory.user('reader');
    const response = await rest(t.app, admin).post('/api/chat/sessions', {
      participant_ids: [a.id, b.id],
    });
    expect(response.statusCode).toBe(201);
    expect(sorted(response.json<SessionAnswer>().data.participants)).toEqual(sorted([a.id, b.id]));
  });

  it('unknown participant ids, non-UUIDs and a lone participant are VALIDATION_ERROR', async () => {
    const admin = await t.factory.user('admin');
    const client = await t.factory.user('client');
    const unknown = randomUUID();
    const body = expectError(
      await rest(t.app, admin).post('/api/chat/sessions', {
        participant_ids: [client.id, unknown],
      }),
      'VALIDATION_ERROR',
    );
    // The answer does not say which id is unknown (see security-sessions.test.ts).
    expect(body.details.join(' ')).not.toContain(unknown);
    expectError(
      await rest(t.app, admin).post('/api/chat/sessions', { participant_ids: [client.id, 'bob'] }),
      'VALIDATION_ERROR',
    );
    expectError(
      await rest(t.app, admin).post('/api/chat/sessions', { participant_ids: [client.id] }),
      'VALIDATION_ERROR',
    );
  });

  it('session metadata with a NUL character is a VALIDATION_ERROR, not a 500', async () => {
    const admin = await t.factory.user('admin');
    const client = await t.factory.user('client');
    const other = await t.factory.user('reader');
    expectError(
      await rest(t.app, admin).post('/api/chat/sessions', {
        participant_ids: [client.id, other.id],
        metadata: { topic: 'x\u0000' },
      }),
      'VALIDATION_ERROR',
    );
  });

  it('a booking session type without a booking_id is a VALIDATION_ERROR', async () => {
    const admin = await t.factory.user('admin');
    const client = await t.factory.user('client');
    const other = await t.factory.user('reader');
    expectError(
      await rest(t.app, admin).post('/api/chat/sessions', {
        participant_ids: [client.id, other.id],
        session_type: 'booking',
      }),
      'VALIDATION_ERROR',
    );
  });
});

describe('GET /api/chat/sessions', () => {
  it('paginates: page and limit, default limit 20, limit above 100 clamped to 100', async () => {
    const { client, sessions } = await clientWithSessions(3);
    const api = rest(t.app, client);

    const defaults = (await api.get('/api/chat/sessions')).json<SessionListAnswer>().data;
    expect(defaults.pagination).toEqual({ page: 1, limit: 20, total: 3, total_pages: 1 });
    expect(defaults.sessions).toHaveLength(3);

    const page1 = (await api.get('/api/chat/sessions?page=1&limit=2')).json<SessionListAnswer>()
      .data;
    const page2 = (await api.get('/api/chat/sessions?page=2&limit=2')).json<SessionListAnswer>()
      .data;
    expect(page1.pagination).toEqual({ page: 1, limit: 2, total: 3, total_pages: 2 });
    expect(page2.pagination).toEqual({ page: 2, limit: 2, total: 3, total_pages: 2 });
    expect(page1.sessions).toHaveLength(2);
    expect(page2.sessions).toHaveLength(1);
    const seen = [...page1.sessions, ...page2.sessions].map((s) => s.id);
    expect(sorted(seen)).toEqual(sorted(sessions.map((s) => s.id)));

    const clamped = await api.get('/api/chat/sessions?limit=500');
    expect(clamped.statusCode).toBe(200);
    expect(clamped.json<SessionListAnswer>().data.pagination.limit).toBe(100);

    const beyond = (await api.get('/api/chat/sessions?page=5&limit=2')).json<SessionListAnswer>()
      .data;
    expect(beyond.sessions).toEqual([]);
    expect(beyond.pagination.total).toBe(3);
  });

  it('limit=0, page=0 and non-numbers are VALIDATION_ERROR', async () => {
    const client = await t.factory.user('client');
    for (const query of [
      'limit=0',
      'page=0',
      'limit=abc',
      'limit=-5',
      'status=deleted',
      'booking_id=nope',
    ]) {
      expectError(await rest(t.app, client).get(`/api/chat/sessions?${query}`), 'VALIDATION_ERROR');
    }
  });

  it('lists the most recently active session first', async () => {
    const { client, sessions } = await clientWithSessions(3);
    const [first, second] = sessions;
    if (!first || !second) throw new Error('setup');
    await t.factory.message(client, first.id, 'bump');
    const list = (await rest(t.app, client).get('/api/chat/sessions')).json<SessionListAnswer>()
      .data.sessions;
    expect(list[0]?.id).toBe(first.id);
  });

  it('orders by the exact time of the last message, also within one second', async () => {
    const { client, sessions } = await clientWithSessions(4);
    // Written to in this order, all within a few milliseconds.
    const order = [sessions[2], sessions[0], sessions[3], sessions[1]];
    for (const session of order) await t.factory.message(client, session?.id ?? '', 'x');
    const list = (await rest(t.app, client).get('/api/chat/sessions')).json<SessionListAnswer>()
      .data.sessions;
    expect(list.slice(0, 4).map((s) => s.id)).toEqual([...order].reverse().map((s) => s?.id));
  });

  it('status filter: active by default, closed and all on request', async () => {
    const { client, sessions } = await clientWithSessions(2);
    const [open, closed] = sessions;
    if (!open || !closed) throw new Error('setup');
    await setStatus(closed.id, 'closed');
    const api = rest(t.app, client);
    const ids = async (query: string) =>
      (await api.get(`/api/chat/sessions${query}`))
        .json<SessionListAnswer>()
        .data.sessions.map((s) => s.id);

    expect(await ids('')).toEqual([open.id]);
    expect(await ids('?status=active')).toEqual([open.id]);
    expect(await ids('?status=closed')).toEqual([closed.id]);
    expect(sorted(await ids('?status=all'))).toEqual(sorted([open.id, closed.id]));
    const closedOnly = (await api.get('/api/chat/sessions?status=closed')).json<SessionListAnswer>()
      .data.sessions[0];
    expect(closedOnly?.status).toBe('closed');
  });

  it('booking_id filter returns that booking’s session only', async () => {
    const { client, sessions } = await clientWithSessions(2);
    const [target] = sessions;
    if (!target) throw new Error('setup');
    const data = (
      await rest(t.app, client).get(`/api/chat/sessions?booking_id=${target.bookingId}`)
    ).json<SessionListAnswer>().data;
    expect(data.sessions.map((s) => s.id)).toEqual([target.id]);
    expect(data.pagination.total).toBe(1);
  });

  it('never lists a session the caller is not in, even by booking_id', async () => {
    const { sessions } = await clientWithSessions(1);
    const [target] = sessions;
    if (!target) throw new Error('setup');
    const outsider = await t.factory.user('client');
    const data = (
      await rest(t.app, outsider).get(`/api/chat/sessions?booking_id=${target.bookingId}`)
    ).json<SessionListAnswer>().data;
    expect(data.sessions).toEqual([]);
    expect(data.pagination.total).toBe(0);
  });

  it('embeds bookings with services and profiles, participants, unread_count and last_message', async () => {
    const client = await t.factory.user('client', { firstName: 'Sarah', lastName: 'Johnson' });
    const reader = await t.factory.user('reader', { firstName: 'Samia', lastName: 'Reader' });
    const booking = await t.factory.booking(client, reader);
    const sessionId = await openBookingSession(client, booking.id);
    await t.factory.message(client, sessionId, 'first');
    const last = await t.factory.message(client, sessionId, 'second');

    const list = await rest(t.app, reader).get('/api/chat/sessions');
    expect(list.statusCode).toBe(200);
    const [session] = list.json<SessionListAnswer>().data.sessions;
    expect(session).toBeDefined();
    if (!session) return;
    expect(session.id).toBe(sessionId);
    expect(session.session_type).toBe('booking');
    expect(sorted(session.participants)).toEqual(sorted([client.id, reader.id]));
    expect(session.unread_count).toBe(2);
    expect(session.last_message).toMatchObject({
      id: last.id,
      seq: 2,
      content: 'second',
      sender_id: client.id,
    });
    expect(session.bookings?.id).toBe(booking.id);
    expect(session.bookings?.services).toMatchObject({
      name: 'Full Tarot Reading',
      type: 'comprehensive',
    });
    const profiles = session.bookings?.profiles ?? [];
    expect(profiles.map((p) => [p.id, p.first_name, p.role]).sort()).toEqual(
      [
        [client.id, 'Sarah', 'client'],
        [reader.id, 'Samia', 'reader'],
      ].sort(),
    );

    const senderView = (
      await rest(t.app, client).get('/api/chat/sessions')
    ).json<SessionListAnswer>().data.sessions[0];
    expect(senderView?.unread_count).toBe(0);
  });

  it('each listed session shows exactly what its own GET shows (one statement builds the list)', async () => {
    const viewer = await t.factory.user('reader', {
      firstName: 'Vera',
      avatarUrl: 'https://a/v.png',
    });
    const client = await t.factory.user('client');
    const booking = await t.factory.booking(client, viewer);
    const bookingSession = await openBookingSession(client, booking.id);
    await t.factory.message(client, bookingSession, 'one');
    await t.factory.message(viewer, bookingSession, 'two');
    const deleted = await t.factory.message(client, bookingSession, 'three');
    const removed = await rest(t.app, client).delete(`/api/chat/messages/${deleted.id}`);
    expect(removed.statusCode, removed.body).toBe(200);

    const admin = await t.factory.user('admin');
    const others = [await t.factory.user('client'), admin];
    // Manual sessions are opened by admins (issue 12).
    const manual = await rest(t.app, admin).post('/api/chat/sessions', {
      participant_ids: [others[0]?.id, viewer.id, admin.id],
    });
    expect(manual.statusCode, manual.body).toBe(201);
    const manualId = manual.json<SessionAnswer>().data.id;
    await t.factory.message(viewer, manualId, 'manual');

    const emptyBooking = await t.factory.booking(await t.factory.user('client'), viewer);
    const emptyId = await openBookingSession(viewer, emptyBooking.id);
    await setStatus(emptyId, 'closed');

    const listed = await rest(t.app, viewer).get('/api/chat/sessions?status=all');
    expect(listed.statusCode, listed.body).toBe(200);
    const sessions = listed.json<SessionListAnswer>().data.sessions;
    expect(sessions.map((s) => s.id)).toEqual([emptyId, manualId, bookingSession]);
    for (const summary of sessions) {
      // Read by key below: the summary's keys, looked up in the detail.
      const detail: Record<string, unknown> = (
        await rest(t.app, viewer).get(`/api/chat/sessions/${summary.id}`)
      ).json<SessionAnswer>().data;
      expect(Object.keys(summary)).toEqual(Object.keys(ZChatSessionSummary.shape));
      expect(summary).toEqual(
        Object.fromEntries(Object.keys(summary).map((key) => [key, detail[key]])),
      );
    }
    const [, manualSummary, bookingSummary] = sessions;
    expect(bookingSummary?.last_message).toMatchObject({ id: deleted.id, content: null });
    // The one message after the viewer's cursor was deleted: nothing is left to read.
    expect(bookingSummary?.unread_count).toBe(0);
    expect(manualSummary?.bookings).toBeNull();
    expect(sorted(manualSummary?.participants ?? [])).toEqual(
      sorted([viewer.id, ...others.map((o) => o?.id ?? '')]),
    );
  });

  it('scope=all: every session with the admin’s own cursor where they take part, total past the last page', async () => {
    const admin = await t.factory.user('admin');
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    const booking = await t.factory.booking(client, reader);
    const sessionId = await openBookingSession(client, booking.id);
    await t.factory.message(client, sessionId, 'for the reader');
    const adminIn = await rest(t.app, admin).post('/api/chat/sessions', {
      participant_ids: [admin.id, client.id],
    });
    const adminSession = adminIn.json<SessionAnswer>().data.id;
    await t.factory.message(client, adminSession, 'for the admin');

    const all = async (query: string) =>
      (
        await rest(t.app, admin).get(`/api/chat/sessions?scope=all&status=all${query}`)
      ).json<SessionListAnswer>().data;
    const notIn = await all(`&booking_id=${booking.id}`);
    expect(notIn.sessions.map((s) => [s.id, s.unread_count])).toEqual([[sessionId, 0]]);
    expect(sorted(notIn.sessions[0]?.participants ?? [])).toEqual(sorted([client.id, reader.id]));
    expect(notIn.sessions[0]?.bookings?.profiles.map((p) => p.id)).toEqual([client.id, reader.id]);

    const page = await all('&limit=100');
    const own = page.sessions.find((s) => s.id === adminSession);
    expect(own?.unread_count).toBe(1);
    expect(own?.last_message?.content).toBe('for the admin');

    const beyond = await all(`&booking_id=${booking.id}&page=3`);
    expect(beyond.sessions).toEqual([]);
    expect(beyond.pagination).toEqual({ page: 3, limit: 20, total: 1, total_pages: 1 });
  });

  it('scope=all is for admins and monitors only', async () => {
    const { sessions } = await clientWithSessions(1);
    const [target] = sessions;
    if (!target) throw new Error('setup');
    const client = await t.factory.user('client');
    const reader = await t.factory.user('reader');
    expectError(
      await rest(t.app, client).get('/api/chat/sessions?scope=all'),
      'CHAT_ACCESS_DENIED',
    );
    expectError(
      await rest(t.app, reader).get('/api/chat/sessions?scope=all'),
      'CHAT_ACCESS_DENIED',
    );

    for (const role of ['admin', 'monitor'] as const) {
      const staff = await t.factory.user(role);
      const mine = (
        await rest(t.app, staff).get(`/api/chat/sessions?booking_id=${target.bookingId}`)
      ).json<SessionListAnswer>().data;
      expect(mine.sessions).toEqual([]);
      const all = await rest(t.app, staff).get(
        `/api/chat/sessions?scope=all&booking_id=${target.bookingId}`,
      );
      expect(all.statusCode).toBe(200);
      expect(all.json<SessionListAnswer>().data.sessions.map((s) => s.id)).toEqual([target.id]);
      expect(all.json<SessionListAnswer>().data.sessions[0]?.unread_count).toBe(0);
    }
  });
});

describe('GET /api/chat/sessions/:id', () => {
  it('returns the session with participant_profiles, metadata and the booking', async () => {
    const client = await t.factory.user('client', {
      firstName: 'Sarah',
      lastName: 'Johnson',
      avatarUrl: 'https://img.example/s.png',
    });
    const reader = await t.factory.user('reader', { firstName: 'Samia', lastName: 'Reader' });
    const booking = await t.factory.booking(client, reader);
    const sessionId = await openBookingSession(client, booking.id);

    const response = await rest(t.app, reader).get(`/api/chat/sessions/${sessionId}`);
    expect(response.statusCode).toBe(200);
    const { data } = response.json<SessionAnswer>();
    expect(data).toMatchObject({
      id: sessionId,
      booking_id: booking.id,
      session_type: 'booking',
      status: 'active',
      metadata: {},
    });
    expect(sorted(data.participants)).toEqual(sorted([client.id, reader.id]));
    const byId = new Map(data.participant_profiles.map((p) => [p.id, p] as const));
    expect(byId.get(client.id)).toEqual({
      id: client.id,
      first_name: 'Sarah',
      last_name: 'Johnson',
      avatar_url: 'https://img.example/s.png',
      role: 'client',
    });
    expect(byId.get(reader.id)).toMatchObject({ first_name: 'Samia', role: 'reader' });
    expect(data.bookings?.services).toMatchObject({
      name: 'Full Tarot Reading',
      type: 'comprehensive',
    });
  });

  it('an unknown id is CHAT_ACCESS_DENIED for a client (as a session they are not in), SESSION_NOT_FOUND for staff; a non-UUID is VALIDATION_ERROR', async () => {
    const client = await t.factory.user('client');
    expectError(
      await rest(t.app, client).get(`/api/chat/sessions/${randomUUID()}`),
      'CHAT_ACCESS_DENIED',
    );
    for (const role of ['admin', 'monitor'] as const) {
      expectError(
        await rest(t.app, await t.factory.user(role)).get(`/api/chat/sessions/${randomUUID()}`),
        'SESSION_NOT_FOUND',
      );
    }
    expectError(await rest(t.app, client).get('/api/chat/sessions/123'), 'VALIDATION_ERROR');
  });
});

describe('PATCH /api/chat/sessions/:id', () => {
  it('an admin closes, archives and reopens a session', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const admin = await t.factory.user('admin');
    const api = rest(t.app, admin);
    for (const status of ['closed', 'archived', 'active'] as const) {
      const response = await api.patch(`/api/chat/sessions/${sessionId}`, { status });
      expect(response.statusCode).toBe(200);
      expect(response.json<SessionAnswer>().data.status).toBe(status);
      expect(response.json<SessionAnswer>().message).toBe('Chat session updated');
      const seen = await rest(t.app, client).get(`/api/chat/sessions/${sessionId}`);
      expect(seen.json<SessionAnswer>().data.status).toBe(status);
    }
  });

  it('participants and monitors cannot change the status', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const monitor = await t.factory.user('monitor');
    for (const user of [client, reader, monitor]) {
      expectError(
        await rest(t.app, user).patch(`/api/chat/sessions/${sessionId}`, { status: 'closed' }),
        'CHAT_ACCESS_DENIED',
      );
    }
    const seen = await rest(t.app, client).get(`/api/chat/sessions/${sessionId}`);
    expect(seen.json<SessionAnswer>().data.status).toBe('active');
  });

  it('an unknown status or session is refused', async () => {
    const { sessionId } = await t.factory.bookingChat();
    const admin = await t.factory.user('admin');
    expectError(
      await rest(t.app, admin).patch(`/api/chat/sessions/${sessionId}`, { status: 'deleted' }),
      'VALIDATION_ERROR',
    );
    expectError(
      await rest(t.app, admin).patch(`/api/chat/sessions/${randomUUID()}`, { status: 'closed' }),
      'SESSION_NOT_FOUND',
    );
  });
});
