import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TErrorEnvelope, TListSessionsResponse } from '@chat/contracts';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltApp, buildApp } from '../src/app.js';
import { JWKS_REFETCH_COOLDOWN_MS, signUserToken } from '../src/auth/token-verifier.js';
import { loadConfig } from '../src/config.js';
import type { Envelope, MessageListAnswer } from './support/rest.js';
import {
  type ClientSocket,
  connectClient,
  nextEvent,
  openClient,
  sleep,
} from './support/sockets.js';
import {
  createFactory,
  startTestApp,
  TEST_JWT_SECRET,
  type TestUser,
  useTestApp,
} from './support/test-app.js';

/**
 * Tokens a Supabase-backed deployment meets that must not sign anyone in (or must, after a key
 * rotation), and abuse of the socket: oversized frames, floods per connection and per user,
 * thousands of joins of sessions that do not exist, cross-site WebSockets.
 */

const open: ClientSocket[] = [];

const t = useTestApp({ RATE_LIMIT_MESSAGES_PER_MINUTE: '10' }, { sockets: open });

const secretKey = (secret: string) => new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);

/** A Supabase-shaped user token with any header and claims. */
function userClaims(user: { id: string }, extra: Record<string, unknown> = {}) {
  return {
    sub: user.id,
    aud: 'authenticated',
    role: 'authenticated',
    iat: now(),
    exp: now() + 3600,
    ...extra,
  };
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** `alg: none`: a header, claims and an empty signature. */
function unsignedToken(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}

async function restStatus(
  app: BuiltApp,
  token: string,
): Promise<{ status: number; code?: string }> {
  const response = await app.app.inject({
    method: 'GET',
    url: '/api/chat/sessions',
    headers: { authorization: `Bearer ${token}` },
  });
  const body = response.json<Envelope<TListSessionsResponse>>();
  return { status: response.statusCode, code: body.success ? undefined : body.code };
}

/** The socket is refused the documented way: `auth_error` with this code, then a disconnect. */
async function expectSocketRefused(
  url: string,
  token: string,
  code = 'AUTHENTICATION_REQUIRED',
): Promise<void> {
  const socket = openClient(url, token);
  open.push(socket);
  const outcome = await new Promise<{ event: string; code?: string }>((resolve) => {
    socket.once('auth_error', (e) => resolve({ event: 'auth_error', code: e.code }));
    socket.once('authenticated', () => resolve({ event: 'authenticated' }));
    setTimeout(() => resolve({ event: 'nothing' }), 5_000);
  });
  expect(outcome).toEqual({ event: 'auth_error', code });
  await waitFor(() => !socket.connected, 2_000);
  expect(socket.connected).toBe(false);
}

describe('tokens against an HS256 (JWT_SECRET) server', () => {
  let user: TestUser;
  let admin: TestUser;
  beforeAll(async () => {
    user = await t.factory.user('client');
    admin = await t.factory.user('admin');
  });

  it('accepts a proper user token (the baseline every refusal below differs from by one thing)', async () => {
    expect(await restStatus(t, user.token)).toEqual({ status: 200, code: undefined });
  });

  it('refuses alg none, HS512, RS256 and a wrong secret, over REST and the socket', async () => {
    const rsa = await generateKeyPair('RS256');
    const tokens = {
      none: unsignedToken(userClaims(user)),
      noneUppercase: `${b64url({ alg: 'NONE', typ: 'JWT' })}.${b64url(userClaims(user))}.`,
      hs512: await new SignJWT(userClaims(user))
        .setProtectedHeader({ alg: 'HS512' })
        .sign(secretKey(TEST_JWT_SECRET)),
      rs256: await new SignJWT(userClaims(user))
        .setProtectedHeader({ alg: 'RS256', kid: 'k' })
        .sign(rsa.privateKey),
      wrongSecret: await new SignJWT(userClaims(user))
        .setProtectedHeader({ alg: 'HS256' })
        .sign(secretKey(`${TEST_JWT_SECRET}-other`)),
      // The right signature over other claims: the payload was swapped after signing.
      tampered: await (async () => {
        const good = await new SignJWT(userClaims(user))
          .setProtectedHeader({ alg: 'HS256' })
          .sign(secretKey(TEST_JWT_SECRET));
        const [header, , signature] = good.split('.');
        return `${header}.${b64url(userClaims(admin))}.${signature}`;
      })(),
    };
    for (const [name, token] of Object.entries(tokens)) {
      expect(await restStatus(t, token), name).toEqual({
        status: 401,
        code: 'AUTHENTICATION_REQUIRED',
      });
      await expectSocketRefused(t.baseUrl, token);
    }
  });

  it('refuses a wrong or missing audience, an expired token and one not valid yet', async () => {
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secretKey(TEST_JWT_SECRET));
    const { aud: _aud, ...withoutAudience } = userClaims(user);
    const cases = {
      wrongAudience: await sign(userClaims(user, { aud: 'anon' })),
      audienceList: await sign(userClaims(user, { aud: ['other', 'service'] })),
      noAudience: await sign(withoutAudience),
      expired: await sign(userClaims(user, { iat: now() - 7200, exp: now() - 3600 })),
      notYetValid: await sign(userClaims(user, { nbf: now() + 3600 })),
      noSubject: await sign({ ...userClaims(user), sub: undefined }),
      subjectNotAUuid: await sign(userClaims({ id: "1' OR '1'='1" })),
      unknownProfile: await sign(userClaims({ id: randomUUID() })),
    };
    for (const [name, token] of Object.entries(cases)) {
      expect(await restStatus(t, token), name).toEqual({
        status: 401,
        code: 'AUTHENTICATION_REQUIRED',
      });
    }
    await expectSocketRefused(t.baseUrl, cases.wrongAudience);
    await expectSocketRefused(t.baseUrl, cases.expired);
  });

  it("refuses Supabase's anon and service_role API keys (same secret, not user tokens)", async () => {
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(secretKey(TEST_JWT_SECRET));
    const keys = {
      anon: await sign({
        iss: 'supabase',
        ref: 'abcdefghijklmnop',
        role: 'anon',
        iat: now(),
        exp: now() + 3600,
      }),
      serviceRole: await sign({
        iss: 'supabase',
        ref: 'abcdefghijklmnop',
        role: 'service_role',
        iat: now(),
        exp: now() + 3600,
      }),
      // Even shaped like a user token (an admin's sub, the user audience), the role gives it away.
      serviceRoleWithAdminSub: await sign(userClaims(admin, { role: 'service_role' })),
      anonWithUserSub: await sign(userClaims(user, { role: 'anon' })),
    };
    for (const [name, token] of Object.entries(keys)) {
      expect(await restStatus(t, token), name).toEqual({
        status: 401,
        code: 'AUTHENTICATION_REQUIRED',
      });
      await expectSocketRefused(t.baseUrl, token);
    }
  });

  it('takes the role from the profile, never from claims (user_metadata, app_metadata, role)', async () => {
    const { sessionId } = await t.factory.bookingChat();
    const token = await new SignJWT(
      userClaims(user, {
        user_metadata: { role: 'admin' },
        app_metadata: { role: 'admin' },
        user_role: 'admin',
      }),
    )
      .setProtectedHeader({ alg: 'HS256' })
      .sign(secretKey(TEST_JWT_SECRET));
    // Valid token, but a client: not an admin of a session it is not in.
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/chat/sessions/${sessionId}`,
      headers: { authorization: `Bearer ${token}` },
      payload: { status: 'closed' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json<TErrorEnvelope>().code).toBe('CHAT_ACCESS_DENIED');
  });

  it('ends a socket when its token expires while connected; the same token is refused over REST after', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const { token } = await signUserToken(TEST_JWT_SECRET, client.id, 2);
    const socket = await connectClient(t.baseUrl, token);
    open.push(socket);
    const joined = await socket.timeout(3_000).emitWithAck('join_chat', { session_id: sessionId });
    expect(joined.ok).toBe(true);
    const started = Date.now();
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect(await nextEvent(socket, 'auth_error', () => true, 5_000)).toEqual({
      code: 'AUTHENTICATION_REQUIRED',
      message: 'Token expired',
    });
    expect(await gone).toBe('io server disconnect');
    expect(Date.now() - started).toBeLessThan(4_000);
    const after = await t.app.inject({
      method: 'GET',
      url: '/api/chat/sessions',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(after.statusCode).toBe(401);
  });
});

/** A JWKS endpoint on loopback whose key set the test changes; counts its fetches. */
interface JwksServer {
  url: string;
  keys: JWK[];
  fetches: number;
  server: Server;
  close(): Promise<void>;
}

async function startJwksServer(): Promise<JwksServer> {
  const state: JwksServer = {
    url: '',
    keys: [],
    fetches: 0,
    server: createServer((request, response) => {
      state.fetches += 1;
      if (request.url !== '/.well-known/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: state.keys }));
    }),
    async close() {
      state.server.closeAllConnections();
      await new Promise<void>((resolve) => state.server.close(() => resolve()));
    },
  };
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return state;
}

async function signingKey(alg: 'RS256' | 'ES256', kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return {
    kid,
    alg,
    jwk,
    publicKey,
    sign: (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT', ...header }).sign(privateKey),
  };
}

describe('tokens against a JWKS (asymmetric keys) server, through a key rotation', () => {
  let jwks: JwksServer;
  let app: BuiltApp;
  let url: string;
  let user: TestUser;

  beforeAll(async () => {
    jwks = await startJwksServer();
    const config = loadConfig({
      NODE_ENV: 'test',
      JWKS_URL: jwks.url,
      DATA_DIR: `/tmp/chat-test-${randomUUID()}`,
      FRONTEND_URL: 'http://allowed.example',
      WEB_DIST_DIR: '/nonexistent-web-dist',
    });
    expect(config.auth.kind).toBe('jwks');
    app = await buildApp({ config, database: t.database, logger: false });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}`;
    user = await createFactory(app).user('client');
  });
  afterAll(async () => {
    await app?.app.close();
    await jwks?.close();
  });

  /** Whether the server accepts `token` within three cooldowns (time to refetch the key set). */
  const acceptedAfterRefetch = (token: string) =>
    waitFor(
      async () => (await restStatus(app, token)).status === 200,
      JWKS_REFETCH_COOLDOWN_MS * 3,
      250,
    );

  it('verifies RS256 and ES256 tokens by kid; refuses alg none, HS256 (also keyed with the public key), unknown kids', async () => {
    const rsa = await signingKey('RS256', 'rsa-1');
    const ec = await signingKey('ES256', 'ec-1');
    jwks.keys = [rsa.jwk, ec.jwk];
    expect(await restStatus(app, await rsa.sign(userClaims(user)))).toEqual({
      status: 200,
      code: undefined,
    });
    expect(await restStatus(app, await ec.sign(userClaims(user)))).toEqual({
      status: 200,
      code: undefined,
    });
    const socket = await connectClient(url, await ec.sign(userClaims(user)));
    open.push(socket);

    const pem = await exportSPKI(rsa.publicKey);
    const stranger = await signingKey('RS256', 'rsa-1');
    const refused = {
      none: unsignedToken(userClaims(user)),
      // Algorithm confusion: HS256 "signed" with the RSA public key as the secret.
      hs256WithPublicKey: await new SignJWT(userClaims(user))
        .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
        .sign(secretKey(pem)),
      hs256: await new SignJWT(userClaims(user))
        .setProtectedHeader({ alg: 'HS256' })
        .sign(secretKey(TEST_JWT_SECRET)),
      // Right kid, wrong key.
      otherKeySameKid: await stranger.sign(userClaims(user)),
      // An RS256 key used to sign with kid of the EC key.
      kidOfAnotherAlgorithm: await rsa.sign(userClaims(user), { kid: 'ec-1' }),
      wrongAudience: await rsa.sign(userClaims(user, { aud: 'anon' })),
      serviceRole: await rsa.sign({
        iss: 'supabase',
        role: 'service_role',
        iat: now(),
        exp: now() + 3600,
      }),
      unknownKid: await (await signingKey('RS256', 'never-published')).sign(userClaims(user)),
    };
    for (const [name, token] of Object.entries(refused)) {
      expect(await restStatus(app, token), name).toEqual({
        status: 401,
        code: 'AUTHENTICATION_REQUIRED',
      });
    }
    await expectSocketRefused(url, refused.none);
    await expectSocketRefused(url, refused.hs256WithPublicKey);
    expect(socket.connected).toBe(true);
  });

  it('a flood of unknown kids fetches the key set at most once per cooldown', async () => {
    const before = jwks.fetches;
    const started = Date.now();
    const forger = await signingKey('RS256', 'forged');
    for (let i = 0; i < 50; i++) {
      const token = await forger.sign(userClaims(user), { kid: `forged-${i}` });
      expect((await restStatus(app, token)).status).toBe(401);
    }
    const windows = Math.ceil((Date.now() - started) / JWKS_REFETCH_COOLDOWN_MS) + 1;
    expect(jwks.fetches - before).toBeLessThanOrEqual(windows);
  });

  it('after a rotation, new-kid tokens verify and tokens of the removed key fail', async () => {
    const oldKey = await signingKey('RS256', `old-${randomUUID()}`);
    const newKey = await signingKey('ES256', `new-${randomUUID()}`);
    jwks.keys = [oldKey.jwk];
    // An unknown kid reloads the set once the cooldown since the last fetch has passed.
    const oldToken = await oldKey.sign(userClaims(user));
    expect(await acceptedAfterRefetch(oldToken)).toBe(true);

    // Rotate: the new key is published and the old one removed (as after a leaked key).
    jwks.keys = [newKey.jwk];
    const rotatedAt = Date.now();
    const newToken = await newKey.sign(userClaims(user));
    expect(await acceptedAfterRefetch(newToken)).toBe(true);
    const newKeyAcceptedAfter = Date.now() - rotatedAt;
    expect(newKeyAcceptedAfter).toBeLessThanOrEqual(JWKS_REFETCH_COOLDOWN_MS + 2_000);

    expect(await restStatus(app, oldToken)).toEqual({
      status: 401,
      code: 'AUTHENTICATION_REQUIRED',
    });
    expect(await restStatus(app, await oldKey.sign(userClaims(user)))).toEqual({
      status: 401,
      code: 'AUTHENTICATION_REQUIRED',
    });
    await expectSocketRefused(url, oldToken);
    const socket = await connectClient(url, newToken);
    open.push(socket);
    console.log(
      `[jwks] after the rotation, the new key was accepted within ${newKeyAcceptedAfter} ms`,
    );
  }, 60_000);

  it('the key set unreachable: cached keys keep working, a token needing a refetch gets 503, not 401', async () => {
    const key = await signingKey('RS256', `cached-${randomUUID()}`);
    jwks.keys = [key.jwk];
    const token = await key.sign(userClaims(user));
    expect(await acceptedAfterRefetch(token)).toBe(true);
    await jwks.close();
    try {
      expect(await restStatus(app, token)).toEqual({ status: 200, code: undefined });
      await sleep(JWKS_REFETCH_COOLDOWN_MS + 200);
      const unknown = await (await signingKey('RS256', 'needs-refetch')).sign(userClaims(user));
      const response = await app.app.inject({
        method: 'GET',
        url: '/api/chat/sessions',
        headers: { authorization: `Bearer ${unknown}` },
      });
      expect(response.statusCode).toBe(503);
      expect(response.json<TErrorEnvelope>().code).toBe('SERVICE_UNAVAILABLE');
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      // Back on the same port for the afterAll (and any later test).
      const port = Number(new URL(jwks.url).port);
      await new Promise<void>((resolve) => jwks.server.listen(port, '127.0.0.1', resolve));
    }
  }, 30_000);

  it('ends a socket when its RS256 token expires while connected', async () => {
    const key = await signingKey('RS256', `expiring-${randomUUID()}`);
    jwks.keys = [key.jwk];
    const warm = await key.sign(userClaims(user));
    expect(await acceptedAfterRefetch(warm)).toBe(true);
    const token = await key.sign(userClaims(user, { exp: now() + 3 }));
    const socket = await connectClient(url, token);
    open.push(socket);
    expect(await nextEvent(socket, 'auth_error', () => true, 6_000)).toEqual({
      code: 'AUTHENTICATION_REQUIRED',
      message: 'Token expired',
    });
    expect(await waitFor(() => !socket.connected, 2_000)).toBe(true);
  }, 30_000);
});

describe('socket abuse', () => {
  it('a frame over 64 KB closes that connection, over WebSocket and over polling; nothing is stored', async () => {
    for (const transport of ['websocket', 'polling']) {
      const { client, sessionId } = await t.factory.bookingChat();
      const socket = await connectClient(t.baseUrl, client.token, { transports: [transport] });
      open.push(socket);
      const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      socket.emit('send_message', {
        session_id: sessionId,
        message: { content: 'x'.repeat(70 * 1024) },
      });
      expect(['transport close', 'transport error'], transport).toContain(
        await withTimeout(gone, 5_000),
      );
      const list = await t.app.inject({
        method: 'GET',
        url: `/api/chat/messages?session_id=${sessionId}`,
        headers: client.auth,
      });
      expect(list.json<MessageListAnswer>().data.messages, transport).toEqual([]);
    }
    // The server is fine.
    const user = await t.factory.user('client');
    const socket = await connectClient(t.baseUrl, user.token);
    open.push(socket);
    expect(socket.connected).toBe(true);
  });

  it('a flood on one connection: past the budget refused (RATE_LIMIT_EXCEEDED, nothing queued), past twice the budget disconnected', async () => {
    const metricsToken = 'metrics-token-for-the-event-budget-test';
    const small = await startTestApp(
      { SOCKET_EVENTS_PER_10S: '20', METRICS_TOKEN: metricsToken },
      { database: t.database },
    );
    try {
      const url = await small.listen();
      const { client, sessionId } = await small.factory.bookingChat();
      const socket = await connectClient(url, client.token);
      const errors: Array<{ code: string }> = [];
      socket.on('error', (e) => errors.push(e));
      const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const acks = await Promise.all(
        Array.from({ length: 40 }, () =>
          socket
            .timeout(5_000)
            .emitWithAck('typing_stop', { session_id: sessionId })
            .catch(() => 'no ack' as const),
        ),
      );
      const accepted = acks.filter((a) => a !== 'no ack' && a.ok).length;
      const refused = acks.filter(
        (a) => a !== 'no ack' && !a.ok && a.error.code === 'RATE_LIMIT_EXCEEDED',
      ).length;
      expect({ accepted, refused }).toEqual({ accepted: 20, refused: 20 });
      expect(errors.filter((e) => e.code === 'RATE_LIMIT_EXCEEDED')).toHaveLength(20);
      expect(socket.connected).toBe(true);
      // One more past twice the budget: the server closes the connection.
      socket.emit('typing_stop', { session_id: sessionId });
      expect(await withTimeout(gone, 5_000)).toBe('io server disconnect');
      // Another connection of the same user has its own budget.
      const again = await connectClient(url, client.token);
      const ack = await again.timeout(5_000).emitWithAck('join_chat', { session_id: sessionId });
      expect(ack.ok).toBe(true);
      again.disconnect();
      const metrics = (
        await small.app.inject({
          method: 'GET',
          url: '/metrics',
          headers: { authorization: `Bearer ${metricsToken}` },
        })
      ).body;
      expect(metrics).toMatch(
        /chat_errors_total\{route="socket typing_stop",code="RATE_LIMIT_EXCEEDED"\} 2[01]/,
      );
    } finally {
      await small.close();
    }
  });

  it('a flood of sends from one user over three connections stops at the per-user message budget', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const sockets = await Promise.all([1, 2, 3].map(() => connectClient(t.baseUrl, client.token)));
    open.push(...sockets);
    const acks = await Promise.all(
      sockets.flatMap((socket, s) =>
        Array.from({ length: 10 }, (_, i) =>
          socket.timeout(10_000).emitWithAck('send_message', {
            session_id: sessionId,
            message: { content: `flood ${s}.${i}` },
          }),
        ),
      ),
    );
    const ok = acks.filter((a) => a.ok).length;
    const limited = acks.filter((a) => !a.ok && a.error.code === 'RATE_LIMIT_EXCEEDED').length;
    expect({ ok, limited }).toEqual({ ok: 10, limited: 20 });
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/chat/messages?session_id=${sessionId}&limit=100`,
      headers: client.auth,
    });
    expect(list.json<MessageListAnswer>().data.messages).toHaveLength(10);
  });

  it('thousands of joins of random session ids: each refused, in bounded time, nothing kept, the server stays responsive', async () => {
    const busy = await startTestApp(
      // Reads (joins) out of the way too: this is about refusing unknown ids, not the budget.
      {
        SOCKET_EVENTS_PER_10S: '10000',
        RATE_LIMIT_MESSAGES_PER_MINUTE: '1000',
        RATE_LIMIT_READS_PER_MINUTE: '100000',
      },
      { database: t.database },
    );
    try {
      const url = await busy.listen();
      const attacker = await busy.factory.user('client');
      const { client, reader, sessionId } = await busy.factory.bookingChat();
      const roomsBefore = busy.io.of('/').adapter.rooms.size;
      const sockets = await Promise.all([1, 2, 3, 4].map(() => connectClient(url, attacker.token)));
      const c = await connectClient(url, client.token);
      const r = await connectClient(url, reader.token);
      await c.timeout(5_000).emitWithAck('join_chat', { session_id: sessionId });
      await r.timeout(5_000).emitWithAck('join_chat', { session_id: sessionId });

      const JOINS_PER_SOCKET = 500;
      const started = Date.now();
      const flood = Promise.all(
        sockets.flatMap((socket) =>
          Array.from({ length: JOINS_PER_SOCKET }, () =>
            socket
              .timeout(60_000)
              .emitWithAck('join_chat', { session_id: randomUUID(), since_seq: 0 }),
          ),
        ),
      );
      // Meanwhile a real conversation goes on: each message round trip is timed.
      const roundTrips: number[] = [];
      let floodDone = false;
      void flood.finally(() => {
        floodDone = true;
      });
      for (let i = 0; i < 40 && !floodDone; i++) {
        const sentAt = Date.now();
        const delivered = nextEvent(
          r,
          'new_message',
          (m) => m.content === `during flood ${i}`,
          10_000,
        );
        const ack = await c.timeout(10_000).emitWithAck('send_message', {
          session_id: sessionId,
          message: { content: `during flood ${i}` },
        });
        expect(ack.ok).toBe(true);
        await delivered;
        roundTrips.push(Date.now() - sentAt);
      }
      const acks = await flood;
      const elapsed = Date.now() - started;
      const codes = new Set(acks.map((a) => (a.ok ? 'ok' : a.error.code)));
      expect([...codes]).toEqual(['CHAT_ACCESS_DENIED']);
      expect(acks).toHaveLength(4 * JOINS_PER_SOCKET);
      expect(elapsed).toBeLessThan(60_000);
      // No room, no presence entry was made for any of them.
      // Six sockets make about a dozen rooms (their own, users', the session's); 2,000 joins made none.
      expect(busy.io.of('/').adapter.rooms.size - roomsBefore).toBeLessThan(20);
      const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      expect(health.status).toBe(200);
      const worst = Math.max(0, ...roundTrips);
      // Before each event yielded to the event loop, a message waited for the whole flood (4.7 s on PGlite).
      expect(worst).toBeLessThan(2_500);
      console.log(
        `[flood] ${acks.length} joins of random sessions answered in ${elapsed} ms ` +
          `(${Math.round((acks.length / elapsed) * 1000)}/s); ${roundTrips.length} messages of a real chat meanwhile, ` +
          `round trip median ${median(roundTrips)} ms, worst ${worst} ms`,
      );
      for (const socket of [...sockets, c, r]) socket.disconnect();
    } finally {
      await busy.close();
    }
  }, 120_000);

  it('cross-site WebSocket: an upgrade or a polling handshake from another origin is refused, the allowed origin gets in', async () => {
    const upgrade = (origin: string | undefined) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${t.baseUrl}/socket.io/?EIO=4&transport=websocket`, {
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': Buffer.from(randomUUID().slice(0, 16)).toString('base64'),
            ...(origin === undefined ? {} : { origin }),
          },
        });
        request.on('upgrade', (response, socket) => {
          socket.destroy();
          resolve(response.statusCode ?? 0);
        });
        request.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end();
      });
    for (const origin of [
      'http://evil.example',
      'null',
      'http://allowed.example.evil.example',
      'https://allowed.example',
    ]) {
      expect(await upgrade(origin), origin).not.toBe(101);
    }
    expect(await upgrade('http://allowed.example')).toBe(101);
    expect(await upgrade(undefined)).toBe(101);

    const polling = await fetch(`${t.baseUrl}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'http://evil.example' },
    });
    expect(polling.status).toBe(403);
    expect(await polling.text()).not.toMatch(/"sid"/);
  });
});

async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> {
  return Promise.race([promise, sleep(ms).then(() => 'timed out' as const)]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
