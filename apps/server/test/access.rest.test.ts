import { randomUUID } from 'node:crypto';
import type { TErrorEnvelope } from '@chat/contracts';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { queryRows, sql } from '../src/db/database.js';
import {
  expectError,
  type MessageListAnswer,
  rest,
  type SessionAnswer,
  type SessionListAnswer,
} from './support/rest.js';
import { TEST_JWT_SECRET, type TestUser, useTestApp } from './support/test-app.js';

const t = useTestApp();

interface AuditRow {
  actor_id: string;
  actor_role: string;
  action: string;
  session_id: string | null;
}

async function auditRows(actorId: string): Promise<AuditRow[]> {
  return queryRows<AuditRow>(
    t.database.db,
    sql`SELECT actor_id, actor_role, action, session_id FROM chat_audit_log WHERE actor_id = ${actorId} ORDER BY id`,
  );
}

/** A booking chat with one message from the client. */
async function chatWithMessage() {
  const chat = await t.factory.bookingChat();
  const message = await t.factory.message(chat.client, chat.sessionId, 'private words');
  return { ...chat, messageId: message.id };
}

async function contentSeenBy(user: TestUser, sessionId: string) {
  const response = await rest(t.app, user).get(`/api/chat/messages?session_id=${sessionId}`);
  expect(response.statusCode).toBe(200);
  return response.json<MessageListAnswer>().data.messages.map((m) => m.content);
}

const secretKey = new TextEncoder().encode(TEST_JWT_SECRET);

/** A Supabase-shaped token with any claims, signed with the test secret unless told otherwise. */
async function token(
  claims: Record<string, unknown>,
  options: { sub?: string; secret?: Uint8Array; expiresAt?: number } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  if (options.sub !== undefined) jwt.setSubject(options.sub);
  jwt.setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 600);
  return jwt.sign(options.secret ?? secretKey);
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

// What each role may do in a session, over REST, tRPC and the socket: access.matrix.test.ts.

describe('a user outside a session', () => {
  it('does not see the session in their list', async () => {
    await chatWithMessage();
    for (const user of [await t.factory.user('client'), await t.factory.user('reader')]) {
      const listed = (
        await rest(t.app, user).get('/api/chat/sessions?status=all')
      ).json<SessionListAnswer>().data;
      expect(listed.sessions).toEqual([]);
    }
  });

  it('cannot reuse a participant’s message id to read the stored message', async () => {
    const { sessionId, messageId } = await chatWithMessage();
    const outsider = await t.factory.user('client');
    const other = await t.factory.bookingChat();
    const response = await rest(t.app, other.client).post('/api/chat/messages', {
      id: messageId,
      session_id: other.sessionId,
      content: 'what did they say?',
    });
    const body = expectError(response, 'VALIDATION_ERROR');
    expect(JSON.stringify(body)).not.toContain('private words');
    expectError(
      await rest(t.app, outsider).post('/api/chat/messages', {
        id: messageId,
        session_id: sessionId,
        content: 'x',
      }),
      'CHAT_ACCESS_DENIED',
    );
  });
});

describe('admin and monitor', () => {
  it('an admin reads and moderates any session, and each access is audited', async () => {
    const { client, sessionId, messageId } = await chatWithMessage();
    const admin = await t.factory.user('admin');
    const api = rest(t.app, admin);

    const detail = await api.get(`/api/chat/sessions/${sessionId}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json<SessionAnswer>().data.last_read_seq).toBeNull();
    expect(await contentSeenBy(admin, sessionId)).toEqual(['private words']);
    const system = await api.post('/api/chat/messages', {
      session_id: sessionId,
      content: 'A moderator joined',
      type: 'system',
    });
    expect(system.statusCode).toBe(201);
    expect((await api.delete(`/api/chat/messages/${messageId}`)).statusCode).toBe(200);
    expect(
      (await api.patch(`/api/chat/sessions/${sessionId}`, { status: 'closed' })).statusCode,
    ).toBe(200);

    expect(await contentSeenBy(client, sessionId)).toEqual([null, 'A moderator joined']);
    const audit = await auditRows(admin.id);
    expect(audit.every((r) => r.session_id === sessionId && r.actor_role === 'admin')).toBe(true);
    expect(audit.map((r) => r.action)).toEqual([
      'session.read',
      'messages.list',
      'message.send',
      'message.delete',
      'session.update_status',
    ]);
  });

  it('a monitor reads any session, each read audited (its refused writes: the matrix)', async () => {
    const { client, sessionId } = await chatWithMessage();
    const monitor = await t.factory.user('monitor');
    const api = rest(t.app, monitor);

    expect((await api.get(`/api/chat/sessions/${sessionId}`)).statusCode).toBe(200);
    expect(await contentSeenBy(monitor, sessionId)).toEqual(['private words']);
    const all = await api.get(
      `/api/chat/sessions?scope=all&status=all&booking_id=${(await rest(t.app, client).get(`/api/chat/sessions/${sessionId}`)).json<SessionAnswer>().data.booking_id}`,
    );
    expect(all.json<SessionListAnswer>().data.sessions.map((s) => s.id)).toEqual([sessionId]);

    expect(await contentSeenBy(client, sessionId)).toEqual(['private words']);
    const audit = await auditRows(monitor.id);
    const reads = audit.filter((r) => r.session_id === sessionId);
    expect(reads.map((r) => r.action)).toEqual(['session.read', 'messages.list']);
    expect(reads.every((r) => r.actor_role === 'monitor')).toBe(true);
    expect(audit.some((r) => r.action === 'sessions.list_all')).toBe(true);
  });

  it('an admin or monitor who is a participant is not audited for their own session', async () => {
    const admin = await t.factory.user('admin');
    const client = await t.factory.user('client');
    const created = await rest(t.app, admin).post('/api/chat/sessions', {
      participant_ids: [admin.id, client.id],
      session_type: 'support',
    });
    const sessionId = created.json<SessionAnswer>().data.id;
    await rest(t.app, admin).get(`/api/chat/sessions/${sessionId}`);
    await rest(t.app, admin).get(`/api/chat/messages?session_id=${sessionId}`);
    expect(await auditRows(admin.id)).toEqual([]);
  });
});

describe('authentication', () => {
  async function expectUnauthenticated(headers: Record<string, string>) {
    const { sessionId } = await t.factory.bookingChat();
    for (const request of [
      { method: 'GET' as const, url: '/api/chat/sessions' },
      { method: 'GET' as const, url: `/api/chat/sessions/${sessionId}` },
      { method: 'GET' as const, url: `/api/chat/messages?session_id=${sessionId}` },
      {
        method: 'POST' as const,
        url: '/api/chat/messages',
        payload: { session_id: sessionId, content: 'hi' },
      },
    ]) {
      expectError(await t.app.inject({ ...request, headers }), 'AUTHENTICATION_REQUIRED');
    }
  }

  it('a missing token or a header that is not a bearer token', async () => {
    await expectUnauthenticated({});
    await expectUnauthenticated({ authorization: '' });
    await expectUnauthenticated({ authorization: 'Bearer' });
    const user = await t.factory.user('client');
    await expectUnauthenticated({ authorization: `Basic ${user.token}` });
    await expectUnauthenticated({ authorization: user.token });
  });

  it('malformed tokens', async () => {
    await expectUnauthenticated({ authorization: 'Bearer not-a-jwt' });
    await expectUnauthenticated({ authorization: 'Bearer a.b.c' });
    await expectUnauthenticated({
      authorization: `Bearer ${base64url({ alg: 'HS256' })}.${base64url({})}`,
    });
  });

  it('an expired token', async () => {
    const user = await t.factory.user('client');
    const expired = await token(
      { role: 'authenticated', aud: 'authenticated' },
      { sub: user.id, expiresAt: Math.floor(Date.now() / 1000) - 3600 },
    );
    const body = expectError(
      await rest(t.app, { auth: { authorization: `Bearer ${expired}` } }).get('/api/chat/sessions'),
      'AUTHENTICATION_REQUIRED',
    );
    expect(body.error).toMatch(/expired/i);
  });

  it('a token signed with another secret', async () => {
    const user = await t.factory.user('client');
    const forged = await token(
      { role: 'authenticated', aud: 'authenticated' },
      {
        sub: user.id,
        secret: new TextEncoder().encode('another-secret-that-is-long-enough-0123456789'),
      },
    );
    await expectUnauthenticated({ authorization: `Bearer ${forged}` });
  });

  it.each([
    ['aud anon', { role: 'authenticated', aud: 'anon' }],
    ['role anon', { role: 'anon', aud: 'authenticated' }],
    ['role service_role', { role: 'service_role', aud: 'authenticated' }],
    ['Supabase anon key (no aud)', { iss: 'supabase', role: 'anon' }],
    ['Supabase service key (no aud)', { iss: 'supabase', role: 'service_role' }],
  ])('a token that is not a user token: %s', async (_name, claims) => {
    const user = await t.factory.user('admin');
    await expectUnauthenticated({
      authorization: `Bearer ${await token(claims, { sub: user.id })}`,
    });
  });

  it('an unsigned token (alg none)', async () => {
    const user = await t.factory.user('admin');
    const payload = {
      sub: user.id,
      aud: 'authenticated',
      role: 'authenticated',
      exp: Math.floor(Date.now() / 1000) + 600,
    };
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
    await expectUnauthenticated({ authorization: `Bearer ${unsigned}` });
  });

  it('a valid token for a profile that does not exist, or whose sub is not a UUID', async () => {
    const claims = { role: 'authenticated', aud: 'authenticated' };
    await expectUnauthenticated({
      authorization: `Bearer ${await token(claims, { sub: randomUUID() })}`,
    });
    await expectUnauthenticated({
      authorization: `Bearer ${await token(claims, { sub: 'user-42' })}`,
    });
    await expectUnauthenticated({
      authorization: `Bearer ${await token(claims, { sub: "1' OR '1'='1" })}`,
    });
    await expectUnauthenticated({ authorization: `Bearer ${await token(claims)}` });
  });

  it('the role comes from the profile, not from the token', async () => {
    const { sessionId } = await t.factory.bookingChat();
    const user = await t.factory.user('client');
    const claimsAdmin = await token(
      {
        role: 'authenticated',
        aud: 'authenticated',
        user_role: 'admin',
        app_metadata: { role: 'admin' },
      },
      { sub: user.id },
    );
    expectError(
      await rest(t.app, { auth: { authorization: `Bearer ${claimsAdmin}` } }).get(
        `/api/chat/sessions/${sessionId}`,
      ),
      'CHAT_ACCESS_DENIED',
    );
  });

  it('a correct token works, whatever the case of "Bearer"', async () => {
    const user = await t.factory.user('client');
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/chat/sessions',
      headers: { authorization: `bearer ${user.token}` },
    });
    expect(response.statusCode).toBe(200);
  });
});

describe('the error envelope', () => {
  it('a route that does not exist is 404 NOT_FOUND in the envelope', async () => {
    const user = await t.factory.user('client');
    expectError(await rest(t.app, user).get('/api/chat/nope'), 'NOT_FOUND');
    expectError(await rest(t.app).get('/api/chat/sessions/x/y/z'), 'NOT_FOUND');
    expectError(await t.app.inject({ method: 'PUT', url: '/api/chat/sessions' }), 'NOT_FOUND');
  });

  it('malformed JSON is a 400 VALIDATION_ERROR, never a 500', async () => {
    const user = await t.factory.user('client');
    for (const payload of ['{"session_id": ', '{', 'null', '"text"', '[]', '{"a":1}}']) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/chat/messages',
        headers: { ...user.auth, 'content-type': 'application/json' },
        payload,
      });
      expectError(response, 'VALIDATION_ERROR');
    }
  });

  it('__proto__ and constructor.prototype bodies are a 400 VALIDATION_ERROR', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    for (const payload of [
      `{"session_id":"${sessionId}","content":"x","__proto__":{"isAdmin":true}}`,
      `{"session_id":"${sessionId}","content":"x","constructor":{"prototype":{"isAdmin":true}}}`,
      `{"participant_ids":["${client.id}"],"metadata":{"__proto__":{"polluted":true}}}`,
    ]) {
      const response = await t.app.inject({
        method: 'POST',
        url: payload.includes('participant_ids') ? '/api/chat/sessions' : '/api/chat/messages',
        headers: { ...client.auth, 'content-type': 'application/json' },
        payload,
      });
      expectError(response, 'VALIDATION_ERROR');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('a body that is not JSON or is too large is a VALIDATION_ERROR', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const notJson = await t.app.inject({
      method: 'POST',
      url: '/api/chat/messages',
      headers: { ...client.auth, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expectError(notJson, 'VALIDATION_ERROR');
    const huge = await rest(t.app, client).post('/api/chat/messages', {
      session_id: sessionId,
      content: 'x'.repeat(300 * 1024),
    });
    expectError(huge, 'VALIDATION_ERROR');
    const xml = await t.app.inject({
      method: 'POST',
      url: '/api/chat/messages',
      headers: { ...client.auth, 'content-type': 'application/xml' },
      payload: '<message/>',
    });
    expectError(xml, 'VALIDATION_ERROR');
  });
});

describe('origin', () => {
  it('a browser request from a site other than FRONTEND_URL is refused with 403', async () => {
    const user = await t.factory.user('client');
    for (const origin of [
      'http://evil.example',
      'http://allowed.example.evil.example',
      'https://allowed.example',
    ]) {
      const response = await t.app.inject({
        method: 'GET',
        url: '/api/chat/sessions',
        headers: { ...user.auth, origin },
      });
      expect(response.statusCode, origin).toBe(403);
      expect(response.json<TErrorEnvelope>()).toMatchObject({
        success: false,
        code: 'CHAT_ACCESS_DENIED',
      });
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    }
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/chat/messages',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(403);
  });

  it('FRONTEND_URL is allowed, with CORS headers; no Origin (a server-side client) is allowed', async () => {
    const user = await t.factory.user('client');
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/chat/sessions',
      headers: { ...user.auth, origin: 'http://allowed.example' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('http://allowed.example');

    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/chat/messages',
      headers: {
        origin: 'http://allowed.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.statusCode).toBeLessThan(300);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://allowed.example');

    expect((await rest(t.app, user).get('/api/chat/sessions')).statusCode).toBe(200);
  });

  it('a refused origin is refused before authentication and changes nothing', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/chat/messages',
      headers: { ...client.auth, origin: 'http://evil.example' },
      payload: { session_id: sessionId, content: 'csrf' },
    });
    expect(response.statusCode).toBe(403);
    expect(await contentSeenBy(client, sessionId)).toEqual([]);
  });
});
