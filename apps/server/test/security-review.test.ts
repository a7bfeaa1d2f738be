import { randomUUID } from 'node:crypto';
import type { TChatMessage } from '@chat/contracts';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { bearerToken } from '../src/auth/auth.service.js';
import { loadConfig, withoutTrailingSlashes } from '../src/config.js';
import { displayFileName, storageFileName } from '../src/media/file-kind.js';
import { createOriginPolicy } from '../src/transport/origins.js';
import { acceptedRequestId } from '../src/transport/request-id.js';
import type { AppRouter } from '../src/transport/trpc/app.router.js';
import { join } from './support/cluster.js';
import { form, pngOf } from './support/media-fixtures.js';
import { expectError } from './support/rest.js';
import { type ClientSocket, connectClient, nextEvent, openClient } from './support/sockets.js';
import {
  startTestApp,
  TEST_JWT_SECRET,
  type TestApp,
  type TestUser,
  useTestApp,
} from './support/test-app.js';

/**
 * Regression tests for what a hostile review of the running service found (issue 12): each
 * `describe` names the finding, each test what an attacker did and what they see now.
 */

const sockets: ClientSocket[] = [];

const t = useTestApp({ RATE_LIMIT_FILES_PER_MINUTE: '1000' }, { sockets });

async function connect(token: string, extraHeaders?: Record<string, string>) {
  const socket = await connectClient(t.baseUrl, token, extraHeaders ? { extraHeaders } : {});
  sockets.push(socket);
  return socket;
}

/** Whether the socket handshake is refused (connect_error) rather than authenticated. */
function handshakeRefused(token: string | undefined, extraHeaders: Record<string, string>) {
  const socket = openClient(t.baseUrl, token, { extraHeaders });
  sockets.push(socket);
  return new Promise<string>((resolve) => {
    socket.once('connect_error', () => resolve('refused'));
    socket.once('auth_error', (error) => resolve(`auth_error ${error.code}`));
    socket.once('authenticated', () => resolve('authenticated'));
  });
}

/** Runs `work` and answers how long it took, in ms. */
function timed(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

/** A multipart body as bytes, for `inject` (which can send any `Host`). */
async function multipart(fields: Record<string, string>, file: Parameters<typeof form>[1]) {
  const response = new Response(form(fields, file));
  return {
    payload: Buffer.from(await response.arrayBuffer()),
    contentType: response.headers.get('content-type') ?? '',
  };
}

function trpcFor(user: TestUser, url = t.baseUrl) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${url}/trpc`, headers: () => user.auth })],
  });
}

describe('finding 1: one request header stalled every user (quadratic origin check)', () => {
  const slashes = `http://a${'/'.repeat(16_000)}x`;

  it('an Origin of http://a, 16,000 slashes and x is refused at once, 40 in parallel, and /healthz keeps answering', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        t.app.inject({ method: 'GET', url: '/api/chat/sessions', headers: { origin: slashes } }),
      ),
    );
    for (const answer of answers) expectError(answer, 'CHAT_ACCESS_DENIED');
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('the socket handshake refuses the same Origin, and an overlong one', async () => {
    const user = await t.factory.user('client');
    expect(await handshakeRefused(user.token, { origin: slashes })).toBe('refused');
    expect(
      await handshakeRefused(user.token, { origin: `http://allowed.example${'/'.repeat(400)}` }),
    ).toBe('refused');
    // The allowed origin with a trailing slash or two still passes (what the regex was for).
    expect(await handshakeRefused(user.token, { origin: 'http://allowed.example//' })).toBe(
      'authenticated',
    );
  });

  it('every check that request input reaches takes time linear in its length (200,000 characters each)', () => {
    // Quadratic code takes tens of seconds on these, linear code milliseconds: the bound below
    // has room for a machine under load without letting quadratic code through.
    const size = 200_000;
    const policy = createOriginPolicy({
      allowedOrigins: ['http://allowed.example'],
      publicUrl: undefined,
      port: 5000,
      trustedProxies: [],
    });
    const bound = 1_000;
    const cases: Record<string, () => unknown> = {
      'trailing slashes': () =>
        expect(withoutTrailingSlashes(`http://a${'/'.repeat(size)}x`)).toHaveLength(size + 9),
      'origin check': () =>
        expect(policy.isAllowedOrigin(`http://a${'/'.repeat(size)}`, 'a')).toBe(false),
      'own host': () => expect(policy.isOwnHost('a'.repeat(size))).toBe(false),
      'link base': () =>
        expect(policy.linkBase('http', `${'['.repeat(size)}`)).toBe('http://localhost:5000'),
      'bearer header': () => expect(bearerToken(`Bearer ${' '.repeat(size)}x`)).toBeUndefined(),
      'bearer header within the bound': () =>
        expect(bearerToken(`Bearer${' '.repeat(8_000)}x${' '.repeat(100)}`)).toBe('x'),
      'request id': () => expect(acceptedRequestId('a'.repeat(size))).toBeUndefined(),
      'file name of dashes': () =>
        expect(storageFileName(`${'-'.repeat(size)}x`, 'png')).toBe('x.png'),
      'file name of dots': () => expect(storageFileName('.'.repeat(size), 'png')).toBe('file.png'),
      'long file name of 4-byte letters': () => {
        const name = displayFileName(`${'𝒜'.repeat(size)}.pdf`, 'f');
        // 62 whole letters (248 bytes) and the extension: as many as fit in 255 bytes.
        expect(name).toBe(`${'𝒜'.repeat(62)}.pdf`);
      },
      'file name of spaces and controls': () =>
        expect(displayFileName(`${' \u0000'.repeat(size)}a.png`, 'f')).toBe('a.png'),
    };
    for (const [name, work] of Object.entries(cases)) {
      expect(timed(work), name).toBeLessThan(bound);
    }
  });

  it('an overlong Authorization header is refused as no token, not read', async () => {
    const answer = await t.app.inject({
      method: 'GET',
      url: '/api/chat/sessions',
      headers: { authorization: `Bearer ${'a'.repeat(9_000)}` },
    });
    expectError(answer, 'AUTHENTICATION_REQUIRED');
  });
});

describe('finding 2: an uploader chose the file link the other participant receives', () => {
  async function uploadWith(
    app: TestApp,
    user: TestUser,
    sessionId: string,
    headers: Record<string, string>,
  ) {
    const { payload, contentType } = await multipart(
      { session_id: sessionId },
      { field: 'file', name: 'card.png', data: await pngOf(32, 32), type: 'image/png' },
    );
    const answer = await app.app.inject({
      method: 'POST',
      url: '/api/chat/files',
      headers: { ...user.auth, 'content-type': contentType, ...headers },
      payload,
    });
    expect(answer.statusCode, answer.body).toBe(201);
    return answer.json<{ data: TChatMessage }>().data;
  }

  const hostsOf = (message: Pick<TChatMessage, 'file_url' | 'metadata'>) => {
    const thumbnail = (message.metadata as { thumbnail_url?: string } | null)?.thumbnail_url;
    return [message.file_url, thumbnail]
      .filter((url): url is string => typeof url === 'string')
      .map((url) => {
        const parsed = new URL(url);
        return `${parsed.protocol}//${parsed.host}`;
      });
  };

  it('X-Forwarded-Host: files.evil.example and X-Forwarded-Proto: javascript do not reach the live new_message', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const readerSocket = await connect(reader.token);
    await join(readerSocket, sessionId);
    const live = nextEvent(readerSocket, 'new_message', (m) => m.session_id === sessionId);
    const stored = await uploadWith(t, client, sessionId, {
      'x-forwarded-host': 'files.evil.example',
      'x-forwarded-proto': 'javascript',
    });
    const received = await live;
    const port = new URL(t.baseUrl).port;
    // inject's own Host is localhost:80: a loopback host of this server's, kept as it is.
    expect(hostsOf(stored)).toEqual(['http://localhost', 'http://localhost']);
    expect(hostsOf(received)).toEqual(hostsOf(stored));
    // The reader's own list builds links on the origin the reader used.
    const listed = await trpcFor(reader).messages.list.query({ session_id: sessionId });
    expect(hostsOf(listed.messages[0] as TChatMessage)).toEqual([
      `http://127.0.0.1:${port}`,
      `http://127.0.0.1:${port}`,
    ]);
  });

  it('a Host that is not one of ours (sent straight to the server) gets the configured address instead', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const readerSocket = await connect(reader.token);
    await join(readerSocket, sessionId);
    const live = nextEvent(readerSocket, 'new_message', (m) => m.session_id === sessionId);
    await uploadWith(t, client, sessionId, { host: 'files.evil.example' });
    expect(hostsOf(await live)).toEqual(['http://localhost:5000', 'http://localhost:5000']);
  });

  it('a socket that connects with forged forwarded headers gets catch-up links on our own origin', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    await uploadWith(t, client, sessionId, {});
    const forged = await connect(reader.token, {
      'x-forwarded-host': 'files.evil.example',
      'x-forwarded-proto': 'javascript',
    });
    const joined = await join(forged, sessionId, 0);
    const port = new URL(t.baseUrl).port;
    expect(joined.messages.flatMap(hostsOf)).toEqual([
      `http://127.0.0.1:${port}`,
      `http://127.0.0.1:${port}`,
    ]);
  });

  it('forwarded headers count only from TRUSTED_PROXIES, and only for hosts of ours', async () => {
    const behindProxy = await startTestApp(
      { TRUSTED_PROXIES: '127.0.0.1', RATE_LIMIT_FILES_PER_MINUTE: '1000' },
      { database: t.database },
    );
    try {
      const { client, sessionId } = await behindProxy.factory.bookingChat();
      const proxied = await uploadWith(behindProxy, client, sessionId, {
        'x-forwarded-host': 'allowed.example',
        'x-forwarded-proto': 'https',
      });
      expect(hostsOf(proxied)).toEqual(['https://allowed.example', 'https://allowed.example']);
      const evil = await uploadWith(behindProxy, client, sessionId, {
        'x-forwarded-host': 'files.evil.example',
        'x-forwarded-proto': 'https',
      });
      expect(hostsOf(evil)).toEqual(['http://localhost:5000', 'http://localhost:5000']);
      // The same headers from an address that is not a trusted proxy count for nothing.
      const direct = await uploadWith(t, client, sessionId, {
        'x-forwarded-host': 'allowed.example',
        'x-forwarded-proto': 'https',
      });
      expect(hostsOf(direct)).toEqual(['http://localhost', 'http://localhost']);
    } finally {
      await behindProxy.close();
    }
  });

  it('with PUBLIC_URL every link is on it, whatever the request says', async () => {
    const published = await startTestApp(
      { PUBLIC_URL: 'https://chat.example/', RATE_LIMIT_FILES_PER_MINUTE: '1000' },
      { database: t.database },
    );
    try {
      const { client, sessionId } = await published.factory.bookingChat();
      const message = await uploadWith(published, client, sessionId, {
        host: 'files.evil.example',
        'x-forwarded-host': 'files.evil.example',
      });
      expect(hostsOf(message)).toEqual(['https://chat.example', 'https://chat.example']);
    } finally {
      await published.close();
    }
  });

  it('a Host that only parses as ours (a user part, a backslash, a fragment) gets the configured address', async () => {
    const policy = createOriginPolicy({
      allowedOrigins: ['http://allowed.example'],
      publicUrl: undefined,
      port: 5000,
      trustedProxies: [],
    });
    // Each reads as localhost to the WHATWG parser and as evil.example (or nothing) to others.
    for (const smuggled of [
      'localhost\\@evil.example',
      'evil.example@localhost',
      'localhost#@x',
      'localhost/x',
    ]) {
      expect(policy.linkBase('http', smuggled), smuggled).toBe('http://localhost:5000');
      expect(policy.isOwnHost(smuggled), smuggled).toBe(false);
    }
    // A configured origin is ours on its own port only; loopback on any (the dev proxy's too).
    expect(policy.linkBase('https', 'allowed.example')).toBe('https://allowed.example');
    expect(policy.linkBase('http', 'allowed.example:6666')).toBe('http://localhost:5000');
    expect(policy.linkBase('http', 'LOCALHOST:3000')).toBe('http://localhost:3000');
    expect(policy.linkBase('http', 'localhost:80')).toBe('http://localhost');
    // Over HTTP too: the live new_message carries the configured address.
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const readerSocket = await connect(reader.token);
    await join(readerSocket, sessionId);
    const live = nextEvent(readerSocket, 'new_message', (m) => m.session_id === sessionId);
    await uploadWith(t, client, sessionId, { host: 'localhost\\@evil.example' });
    expect(hostsOf(await live)).toEqual(['http://localhost:5000', 'http://localhost:5000']);
  });

  it('production refuses to start without PUBLIC_URL, and PUBLIC_URL must be http or https', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: TEST_JWT_SECRET,
      ALLOW_UNSCANNED_UPLOADS: 'true',
    };
    expect(() => loadConfig(production)).toThrow(/PUBLIC_URL is required/);
    expect(() => loadConfig({ ...production, PUBLIC_URL: 'javascript://chat.example' })).toThrow(
      /PUBLIC_URL must be an http or https URL/,
    );
    expect(loadConfig({ ...production, PUBLIC_URL: 'https://chat.example' }).publicUrl).toBe(
      'https://chat.example',
    );
  });
});

describe('finding 6: a JWT without exp never expired; short secrets in production', () => {
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ role: 'authenticated', aud: 'authenticated', ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  const now = () => Math.floor(Date.now() / 1000);

  it('a token without exp, or not valid yet (nbf), is refused over REST, tRPC and the socket', async () => {
    const user = await t.factory.user('client');
    const tokens = {
      'no exp': await sign({ sub: user.id, iat: now() }),
      'nbf in an hour': await sign({
        sub: user.id,
        iat: now(),
        exp: now() + 7200,
        nbf: now() + 3600,
      }),
    };
    for (const [name, token] of Object.entries(tokens)) {
      const forged = { ...user, token, auth: { authorization: `Bearer ${token}` } };
      const answer = await t.app.inject({
        method: 'GET',
        url: '/api/chat/sessions',
        headers: forged.auth,
      });
      expect(expectError(answer, 'AUTHENTICATION_REQUIRED').error, name).toBe(
        name === 'no exp' ? 'Token has no expiry' : 'Token is not valid yet',
      );
      const trpcRefusal = await trpcFor(forged)
        .sessions.list.query({})
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(trpcRefusal, name).toBeInstanceOf(TRPCClientError);
      expect((trpcRefusal as TRPCClientError<AppRouter>).data?.errorCode).toBe(
        'AUTHENTICATION_REQUIRED',
      );
      expect(await handshakeRefused(token, {}), name).toBe('auth_error AUTHENTICATION_REQUIRED');
    }
    // The same user with a proper token is served: the refusals above are about the claims.
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/chat/sessions', headers: user.auth }))
        .statusCode,
    ).toBe(200);
  });

  it('production refuses a JWT_SECRET or FILE_URL_SECRET shorter than 32 bytes', () => {
    const production = {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://chat.example',
      ALLOW_UNSCANNED_UPLOADS: 'true',
    };
    const strong = 'a'.repeat(32);
    expect(() => loadConfig({ ...production, JWT_SECRET: 'a'.repeat(31) })).toThrow(
      /JWT_SECRET must be at least 32 bytes/,
    );
    expect(() => loadConfig({ ...production, SUPABASE_JWT_SECRET: 'short-secret' })).toThrow(
      /SUPABASE_JWT_SECRET must be at least 32 bytes/,
    );
    expect(() =>
      loadConfig({ ...production, JWT_SECRET: strong, FILE_URL_SECRET: 'b'.repeat(20) }),
    ).toThrow(/FILE_URL_SECRET must be at least 32 bytes/);
    expect(loadConfig({ ...production, JWT_SECRET: strong, FILE_URL_SECRET: strong }).auth).toEqual(
      { kind: 'secret', secret: strong },
    );
    // Outside production a short development secret still starts (tests, laptops).
    expect(loadConfig({ JWT_SECRET: 'dev' }).auth.kind).toBe('secret');
  });
});

describe('finding 10: one tRPC batch of 50 history reads; any X-Request-Id echoed; DNS rebinding', () => {
  it('a tRPC batch over TRPC_MAX_BATCH_SIZE calls is refused whole; one at the size is served', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const calls = (n: number) => Array.from({ length: n }, () => 'messages.list').join(',');
    const input = (n: number) =>
      encodeURIComponent(
        JSON.stringify(
          Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { session_id: sessionId }])),
        ),
      );
    const over = await t.app.inject({
      method: 'GET',
      url: `/trpc/${calls(11)}?batch=1&input=${input(11)}`,
      headers: client.auth,
    });
    expect(over.statusCode).toBe(400);
    expect(over.body).not.toContain('"messages":');
    const at = await t.app.inject({
      method: 'GET',
      url: `/trpc/${calls(10)}?batch=1&input=${input(10)}`,
      headers: client.auth,
    });
    expect(at.statusCode).toBe(200);
    expect(at.json()).toHaveLength(10);
  });

  it('X-Request-Id is kept only when short and plain; anything else gets a fresh id', async () => {
    const idOf = async (value: string) =>
      (await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': value } }))
        .headers['x-request-id'];
    expect(await idOf('trace-0af7651916cd43dd8448eb211c80319c')).toBe(
      'trace-0af7651916cd43dd8448eb211c80319c',
    );
    for (const hostile of ['a'.repeat(10_000), 'abc<script>', 'a b', 'é', '']) {
      const echoed = await idOf(hostile);
      expect(echoed, hostile.slice(0, 20)).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });

  it('a DNS-rebinding page cannot call the development sign-in: only our own hosts may', async () => {
    // Development sign-in is on only without any JWT setting: built here without startTestApp's.
    const config = loadConfig({
      NODE_ENV: 'development',
      DATA_DIR: `/tmp/chat-test-${randomUUID()}`,
      FRONTEND_URL: 'http://allowed.example',
      WEB_DIST_DIR: '/nonexistent-web-dist',
    });
    expect(config.auth.kind).toBe('dev');
    const built = await buildApp({ config, database: t.database, logger: false });
    try {
      const signIn = (host: string, origin?: string) =>
        built.app.inject({
          method: 'POST',
          url: '/api/dev/sign-in',
          headers: { host, ...(origin ? { origin } : {}) },
          payload: { user_id: '11111111-1111-4111-8111-111111111111' },
        });
      // The rebinding page is same-origin with itself: Origin and Host both say evil.example.
      const rebound = await signIn('evil.example:5000', 'http://evil.example:5000');
      expect(expectError(rebound, 'CHAT_ACCESS_DENIED').error).toMatch(/own hosts/);
      expectError(await signIn('evil.example:5000'), 'CHAT_ACCESS_DENIED');
      const users = await built.app.inject({
        method: 'GET',
        url: '/api/dev/users',
        headers: { host: 'evil.example' },
      });
      expectError(users, 'CHAT_ACCESS_DENIED');
      for (const host of ['localhost:5000', '127.0.0.1:5000', '[::1]:5000', 'allowed.example']) {
        const answer = await signIn(host);
        expect(answer.statusCode, `${host}: ${answer.body}`).not.toBe(403);
      }
    } finally {
      await built.app.close();
    }
  });
});
