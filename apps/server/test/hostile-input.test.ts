import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  ERROR_CODES,
  ERROR_DEFINITIONS,
  type TErrorEnvelope,
  unstorableText,
} from '@chat/contracts';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltApp, buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { pngOf, wavOf } from './support/media-fixtures.js';
import type { MessageAnswer, MessageListAnswer } from './support/rest.js';
import { type ClientSocket, connectClient } from './support/sockets.js';
import { type TestUser, useTestApp } from './support/test-app.js';

/**
 * Property tests over every REST body, query and path parameter, every tRPC procedure and every
 * socket payload: random, oversized, wrong-typed, deeply nested, prototype-polluting keys, lone
 * surrogates, invalid UTF-8, huge JSON. Whatever comes in, the answer is a success or the
 * documented error envelope with a status that matches its code, never a 500, and the process
 * keeps serving.
 */

let client: TestUser;
let admin: TestUser;
let sessionId: string;
let messageId: string;
const sockets: ClientSocket[] = [];

const t = useTestApp(
  {
    // Budgets out of the way: the properties are about input, not rate limits (those have their own tests).
    RATE_LIMIT_MESSAGES_PER_MINUTE: '1000000',
    RATE_LIMIT_REACTIONS_PER_MINUTE: '1000000',
    RATE_LIMIT_TYPING_PER_MINUTE: '1000000',
    RATE_LIMIT_FILES_PER_MINUTE: '1000000',
    RATE_LIMIT_VOICE_NOTES_PER_MINUTE: '1000000',
    RATE_LIMIT_SESSIONS_PER_HOUR: '1000000',
    RATE_LIMIT_READS_PER_MINUTE: '1000000',
    SOCKET_EVENTS_PER_10S: '1000000',
  },
  { sockets },
);
beforeAll(async () => {
  const chat = await t.factory.bookingChat();
  client = chat.client;
  sessionId = chat.sessionId;
  admin = await t.factory.user('admin');
  messageId = (await t.factory.message(client, sessionId, 'anchor')).id;
});

// ---------------------------------------------------------------------------------------------
// Hostile values

const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
];

/** Strings with what breaks naive code: lone surrogates, NUL, bidi overrides, BOM, long runs. */
const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(
      '\uD800',
      '\uDFFF',
      '\u0000',
      '\u202E',
      '\uFEFF',
      '\u0301',
      '👍',
      '\n',
      '"',
      '\\',
      '%',
    ),
    maxLength: 30,
  }),
  fc.constantFrom(
    '',
    ' ',
    '   \n\t',
    'null',
    'undefined',
    'NaN',
    '-1',
    '1e309',
    '0x10',
    '[]',
    '{}',
  ),
  fc.integer({ min: 4_001, max: 20_000 }).map((n) => 'x'.repeat(n)),
);

/** A JSON-ish value: nested objects with prototype keys, arrays, every primitive. */
const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e308),
    fc.boolean(),
    fc.constant(null),
    fc.uuid(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 8 })),
      tie('value'),
      {
        maxKeys: 4,
      },
    ),
  ),
})).value;

/** Arrays or objects nested thousands deep (JSON text, as a client would send it). */
const deeplyNested = fc
  .tuple(fc.integer({ min: 500, max: 5_000 }), fc.boolean())
  .map(([depth, asArray]) =>
    asArray
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

/** The value of a field: sometimes right, usually wrong. */
function field(valid: () => unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...valid()), weight: 2 },
    { arbitrary: fc.uuid(), weight: 1 },
    { arbitrary: hostileValue, weight: 3 },
  );
}

/** An object with some contract fields (right or wrong) plus stray and prototype keys. */
function bodyOf(fields: Record<string, () => unknown[]>): fc.Arbitrary<Record<string, unknown>> {
  const known = Object.fromEntries(Object.entries(fields).map(([k, valid]) => [k, field(valid)]));
  return fc
    .tuple(
      fc.record(known, { requiredKeys: [] }),
      fc.dictionary(
        fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 10 })),
        hostileValue,
        {
          maxKeys: 3,
        },
      ),
    )
    .map(([k, extra]) => {
      const out: Record<string, unknown> = {};
      // defineProperty: a `__proto__` key stays an own key, as JSON.parse would make it.
      for (const [key, value] of [...Object.entries(extra), ...Object.entries(k)]) {
        Object.defineProperty(out, key, {
          value,
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      return out;
    });
}

/** The raw bytes of a body: JSON of the object, or something worse. */
function rawBody(body: fc.Arbitrary<unknown>): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    { arbitrary: body.map((b) => JSON.stringify(b) ?? 'null'), weight: 6 },
    { arbitrary: deeplyNested, weight: 1 },
    // Prototype keys written by hand (JSON.stringify of an object literal would drop them).
    {
      arbitrary: fc
        .tuple(fc.constantFrom('__proto__', 'constructor'), hostileValue)
        .map(([key, value]) =>
          key === 'constructor'
            ? `{"constructor":{"prototype":${JSON.stringify(value) ?? 'null'}},"session_id":"${sessionId}","content":"x"}`
            : `{"__proto__":${JSON.stringify(value) ?? 'null'},"session_id":"${sessionId}","content":"x"}`,
        ),
      weight: 1,
    },
    // Invalid UTF-8 inside a JSON string.
    {
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 64 })
        .map((bytes) =>
          Buffer.concat([
            Buffer.from(`{"session_id":"${sessionId}","content":"`),
            Buffer.from(bytes.map((b) => (b === 0x22 || b === 0x5c ? 0xff : b))),
            Buffer.from('"}'),
          ]),
        ),
      weight: 1,
    },
    { arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
    { arbitrary: fc.string({ maxLength: 64 }), weight: 1 },
  );
}

/** A query string of contract keys (right or wrong values), repeats, junk and bad escapes. */
function queryOf(fields: Record<string, () => unknown[]>): fc.Arbitrary<string> {
  const pair = fc.oneof(
    fc.tuple(fc.constantFrom(...Object.keys(fields)), nastyString),
    fc
      .constantFrom(...Object.entries(fields))
      .chain(([k, valid]) => fc.tuple(fc.constant(k), fc.constantFrom(...valid().map(String)))),
    fc.tuple(fc.constantFrom(...PROTO_KEYS, '__proto__[x]', 'a[b][c]', 'limit[]'), nastyString),
  );
  return fc.oneof(
    {
      arbitrary: fc
        .array(pair, { maxLength: 6 })
        .map((pairs) => pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')),
      weight: 5,
    },
    {
      arbitrary: fc.constantFrom(
        '%',
        '%E0%A4%A',
        '%FF%FE',
        'a=%',
        '&&&=&=',
        '%00=%00',
        'limit=1&limit=2&limit=3',
        `session_id=${sessionId}&page=99999999999999999999`,
      ),
      weight: 1,
    },
  );
}

/** encodeURIComponent that survives lone surrogates (encoded as U+FFFD's bytes would be wrong: send the raw escape). */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '\uFFFD')).concat('%ED%A0%80');
  }
}

/** A path parameter: a real id, a random one, or garbage (escaped, over-long, bad escapes). */
const pathParam = fc.oneof(
  fc.constant('MESSAGE'),
  fc.constant('SESSION'),
  fc.uuid(),
  nastyString.map(encode),
  fc.constantFrom(
    '%',
    '%E0%A4%A',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    'a'.repeat(300),
    '%C0%AF',
    '%FF',
  ),
);

// ---------------------------------------------------------------------------------------------
// The envelope

const codes = new Set<string>(ERROR_CODES);

/** Success or the documented error envelope with a status that matches its code; never a 500. */
function expectEnvelope(response: LightMyRequestResponse, what: string): void {
  const context = `${what} → ${response.statusCode} ${response.body.slice(0, 300)}`;
  expect(response.statusCode, context).not.toBe(500);
  expect(response.headers['content-type'], context).toMatch(/^application\/json/);
  const body = JSON.parse(response.body) as Record<string, unknown>;
  if (response.statusCode < 400) {
    expect(body.success, context).toBe(true);
    return;
  }
  expect(Object.keys(body).sort(), context).toEqual(['code', 'details', 'error', 'success']);
  expect(body.success, context).toBe(false);
  expect(codes.has(body.code as string), context).toBe(true);
  expect(body.code, context).not.toBe('INTERNAL_ERROR');
  expect(ERROR_DEFINITIONS[body.code as keyof typeof ERROR_DEFINITIONS].status, context).toBe(
    response.statusCode,
  );
  expect(typeof body.error, context).toBe('string');
  expect(
    Array.isArray(body.details) && body.details.every((d) => typeof d === 'string'),
    context,
  ).toBe(true);
  // A refusal never echoes a stack or SQL.
  expect(response.body, context).not.toMatch(
    /\bat .+\.(ts|js):\d+|SELECT |INSERT INTO|syntax error at/,
  );
}

const validSession = () => [sessionId];
const validMessage = () => [messageId];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/json; boundary=--',
  '',
];

const auth = fc.oneof(
  { arbitrary: fc.constant('CLIENT'), weight: 6 },
  { arbitrary: fc.constant('ADMIN'), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 1 },
  { arbitrary: nastyString.map((s) => `Bearer ${s.replace(/[^\t\x20-\x7e]/g, 'x')}`), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      'Bearer',
      'Basic abc',
      'bearer a.b.c',
      'Bearer eyJhbGciOiJub25lIn0.e30.',
    ),
    weight: 1,
  },
);

function headersFor(
  authorization: string | undefined,
  contentType?: string,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (authorization === 'CLIENT') headers.authorization = `Bearer ${client.token}`;
  else if (authorization === 'ADMIN') headers.authorization = `Bearer ${admin.token}`;
  else if (authorization !== undefined) headers.authorization = authorization;
  if (contentType !== undefined && contentType !== '') headers['content-type'] = contentType;
  return headers;
}

const fillPath = (path: string, param: string) =>
  path.replace('ID', param === 'MESSAGE' ? messageId : param === 'SESSION' ? sessionId : param);

// ---------------------------------------------------------------------------------------------
// REST

const BODY_ROUTES: Array<{
  method: 'POST' | 'PATCH';
  path: string;
  fields: Record<string, () => unknown[]>;
}> = [
  {
    method: 'POST',
    path: '/api/chat/sessions',
    fields: {
      booking_id: () => [randomUUID()],
      participant_ids: () => [[client.id], [client.id, admin.id], []],
      session_type: () => ['booking', 'support', 'general'],
      metadata: () => [{}, { topic: 'x' }],
    },
  },
  {
    method: 'PATCH',
    path: '/api/chat/sessions/ID',
    fields: { status: () => ['active', 'closed', 'archived'] },
  },
  {
    method: 'POST',
    path: '/api/chat/messages',
    fields: {
      id: () => [randomUUID(), messageId],
      session_id: validSession,
      content: () => ['hello', '  padded  ', '👍'],
      type: () => ['text', 'system', 'voice'],
      metadata: () => [{}, { reply_to: messageId }],
    },
  },
  {
    method: 'POST',
    path: '/api/chat/messages/ID/reactions',
    fields: { reaction: () => ['❤️', '👍🏽', '🇫🇷', 'lol'] },
  },
];

const QUERY_ROUTES: Array<{
  method: 'GET' | 'PUT' | 'DELETE';
  path: string;
  fields: Record<string, () => unknown[]>;
}> = [
  {
    method: 'GET',
    path: '/api/chat/sessions',
    fields: {
      page: () => [1, 2],
      limit: () => [1, 100, 1000],
      status: () => ['active', 'all'],
      booking_id: () => [randomUUID()],
      scope: () => ['mine', 'all'],
    },
  },
  { method: 'GET', path: '/api/chat/sessions/ID', fields: {} },
  {
    method: 'GET',
    path: '/api/chat/messages',
    fields: {
      session_id: validSession,
      page: () => [1, 3],
      limit: () => [1, 50, 500],
      before_message_id: validMessage,
      after_seq: () => [0, 1],
    },
  },
  { method: 'PUT', path: '/api/chat/messages/ID/read', fields: {} },
  {
    method: 'GET',
    path: '/api/chat/files/ID',
    fields: {
      expires: () => [0, 9999999999],
      signature: () => ['abc'],
      variant: () => ['original', 'thumbnail', 'x'],
    },
  },
  { method: 'DELETE', path: '/api/chat/messages/ID/reactions/%F0%9F%91%8D', fields: {} },
  { method: 'GET', path: '/api/chat/nope/ID', fields: {} },
];

describe('REST under hostile input', () => {
  it('every body route answers a success or the error envelope, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BODY_ROUTES).chain((route) =>
          fc.record({
            route: fc.constant(route),
            param: pathParam,
            body: rawBody(bodyOf(route.fields)),
            contentType: fc.oneof(
              { arbitrary: fc.constant('application/json'), weight: 5 },
              { arbitrary: fc.constantFrom(...CONTENT_TYPES), weight: 1 },
            ),
            query: fc.oneof(fc.constant(''), queryOf({ x: () => [1] })),
            authorization: auth,
          }),
        ),
        async ({ route, param, body, contentType, query, authorization }) => {
          const url = `${fillPath(route.path, param)}${query ? `?${query}` : ''}`;
          const response = await t.app.inject({
            method: route.method,
            url,
            headers: headersFor(authorization, contentType),
            payload: body,
          });
          expectEnvelope(response, `${route.method} ${url}`);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('every query and path-parameter route answers a success or the error envelope', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...QUERY_ROUTES).chain((route) =>
          fc.record({
            route: fc.constant(route),
            param: pathParam,
            query: queryOf({ ...route.fields, x: () => ['1'] }),
            authorization: auth,
          }),
        ),
        async ({ route, param, query, authorization }) => {
          const url = `${fillPath(route.path, param)}?${query}`;
          const response = await t.app.inject({
            method: route.method,
            url,
            headers: headersFor(authorization),
          });
          expectEnvelope(response, `${route.method} ${url}`);
        },
      ),
      { numRuns: 800 },
    );
  });

  it('huge JSON bodies (over the 256 KB body limit) are refused with the envelope', async () => {
    const huge = [
      JSON.stringify({ session_id: sessionId, content: 'x'.repeat(300 * 1024) }),
      JSON.stringify({
        session_id: sessionId,
        content: 'hi',
        metadata: { blob: 'y'.repeat(2 * 1024 * 1024) },
      }),
      `[${'0,'.repeat(200_000)}0]`,
      JSON.stringify({
        session_id: sessionId,
        content: 'hi',
        metadata: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])),
      }),
    ];
    for (const payload of huge) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/chat/messages',
        headers: headersFor('CLIENT', 'application/json'),
        payload,
      });
      expectEnvelope(response, `POST /api/chat/messages (${payload.length} bytes)`);
      expect(response.statusCode).toBe(400);
    }
    // Under the body limit but over the metadata bound.
    const bigMetadata = await t.app.inject({
      method: 'POST',
      url: '/api/chat/messages',
      headers: headersFor('CLIENT', 'application/json'),
      payload: JSON.stringify({
        session_id: sessionId,
        content: 'hi',
        metadata: { blob: 'z'.repeat(100_000) },
      }),
    });
    expectEnvelope(bigMetadata, 'metadata over 8 KB');
    expect(bigMetadata.json<TErrorEnvelope>().code).toBe('VALIDATION_ERROR');
  });

  it('deeply nested metadata inside the 8 KB bound is stored or refused, never a 500', async () => {
    const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const arrays = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    // Up to the 8 KB bound (4,000 arrays deep fits), and far past it within the body limit.
    for (const metadata of [
      objects(100),
      objects(1_000),
      objects(1_600),
      arrays(4_000),
      arrays(100_000),
      objects(40_000),
    ]) {
      const depth = metadata.length;
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/chat/messages',
        headers: headersFor('CLIENT', 'application/json'),
        payload: `{"session_id":"${sessionId}","content":"deep ${depth}","metadata":${metadata}}`,
      });
      expectEnvelope(response, `metadata of ${depth} characters, nested`);
    }
    // The session still lists (a stored deep document reads back).
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/chat/messages?session_id=${sessionId}&limit=100`,
      headers: headersFor('CLIENT'),
    });
    expectEnvelope(list, 'list after deep metadata');
    expect(list.statusCode).toBe(200);
  });

  it('prototype keys in a body never reach an object prototype', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/chat/sessions',
      headers: headersFor('CLIENT', 'application/json'),
      payload: `{"participant_ids":["${client.id}"],"metadata":{"__proto__":{"polluted":true}},"__proto__":{"polluted":true}}`,
    });
    expectEnvelope(response, 'session with __proto__');
    expect(response.statusCode).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('hostile multipart uploads (random parts, lying names, truncated images, pixel bombs) get the envelope', async () => {
    const truncatedPng = pngHeader(64, 64).subarray(0, 40);
    const pixelBomb = pngHeader(200_000, 200_000);
    const fileBytes = fc.oneof(
      fc.uint8Array({ maxLength: 2_048 }).map((b) => Buffer.from(b)),
      fc.constantFrom(
        truncatedPng,
        pixelBomb,
        Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 7)]),
        Buffer.concat([
          Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'),
          Buffer.alloc(30, 0xff),
        ]),
        Buffer.concat([
          Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x10', 'latin1'),
          Buffer.alloc(64, 0x55),
        ]),
        Buffer.concat([Buffer.from('OggS\x00\x02', 'latin1'), Buffer.alloc(64, 1)]),
        Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(64, 0x80)]),
        Buffer.from('%PDF-1.4\n%%EOF garbage', 'latin1'),
        Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'),
        Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'),
      ),
    );
    const part = fc.oneof(
      fc.record({
        kind: fc.constant('field' as const),
        name: fc.oneof(
          fc.constantFrom('session_id', 'duration', 'caption', '__proto__', 'constructor'),
          fc.string({ maxLength: 10 }),
        ),
        value: fc.oneof(
          fc.constant(sessionId),
          fc.constantFrom('-1', '1e9', 'NaN', '3600.0001'),
          nastyString,
        ),
      }),
      fc.record({
        kind: fc.constant('file' as const),
        name: fc.constantFrom('file', 'voice_note', 'other', '__proto__'),
        filename: fc.oneof(
          fc.constantFrom(
            'a.png',
            '../../etc/passwd',
            'a\u202Egnp.exe',
            'voice.webm',
            '',
            'x'.repeat(400),
          ),
          nastyString,
        ),
        data: fileBytes,
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/chat/files', '/api/chat/voice-notes'),
        fc.array(part, { maxLength: 5 }),
        fc.boolean(),
        async (path, parts, breakIt) => {
          const boundary = `----hostile${randomUUID()}`;
          const chunks: Buffer[] = [];
          for (const p of parts) {
            const name = p.name.replace(/["\r\n]/g, '_');
            if (p.kind === 'field') {
              chunks.push(
                Buffer.from(
                  `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`,
                ),
              );
              chunks.push(Buffer.from(p.value.replace(/[\uD800-\uDFFF]/g, '?')));
            } else {
              const filename = p.filename.replace(/["\r\n\uD800-\uDFFF]/g, '_');
              chunks.push(
                Buffer.from(
                  `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`,
                ),
              );
              chunks.push(p.data);
            }
            chunks.push(Buffer.from('\r\n'));
          }
          if (!breakIt) chunks.push(Buffer.from(`--${boundary}--\r\n`));
          const response = await t.app.inject({
            method: 'POST',
            url: path,
            headers: headersFor('CLIENT', `multipart/form-data; boundary=${boundary}`),
            payload: Buffer.concat(chunks),
          });
          expectEnvelope(
            response,
            `POST ${path} with ${parts.length} part(s)${breakIt ? ', unterminated' : ''}`,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('development sign-in routes answer the envelope too', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: `/tmp/chat-test-${randomUUID()}`,
      FRONTEND_URL: 'http://allowed.example',
      WEB_DIST_DIR: '/nonexistent-web-dist',
    });
    const dev: BuiltApp = await buildApp({ config, database: t.database, logger: false });
    try {
      await dev.app.ready();
      await fc.assert(
        fc.asyncProperty(
          rawBody(bodyOf({ user_id: () => [randomUUID(), client.id] })),
          fc.constantFrom(...CONTENT_TYPES),
          async (body, contentType) => {
            const response = await dev.app.inject({
              method: 'POST',
              url: '/api/dev/sign-in',
              headers: headersFor(undefined, contentType),
              payload: body,
            });
            expectEnvelope(response, 'POST /api/dev/sign-in');
          },
        ),
        { numRuns: 100 },
      );
    } finally {
      await dev.app.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// tRPC

const TRPC_PROCEDURES: Array<{
  path: string;
  kind: 'query' | 'mutation';
  fields: Record<string, () => unknown[]>;
}> = [
  {
    path: 'sessions.list',
    kind: 'query',
    fields: {
      page: () => [1],
      limit: () => [5],
      status: () => ['all'],
      scope: () => ['mine', 'all'],
    },
  },
  { path: 'sessions.get', kind: 'query', fields: { id: validSession } },
  {
    path: 'sessions.create',
    kind: 'mutation',
    fields: { booking_id: () => [randomUUID()], participant_ids: () => [[client.id]] },
  },
  {
    path: 'sessions.updateStatus',
    kind: 'mutation',
    fields: { id: validSession, status: () => ['active'] },
  },
  {
    path: 'messages.list',
    kind: 'query',
    fields: { session_id: validSession, limit: () => [5], after_seq: () => [0] },
  },
  {
    path: 'messages.send',
    kind: 'mutation',
    fields: { session_id: validSession, content: () => ['hi'], id: () => [randomUUID()] },
  },
  { path: 'messages.markRead', kind: 'mutation', fields: { id: validMessage } },
  { path: 'messages.remove', kind: 'mutation', fields: { id: () => [randomUUID()] } },
  { path: 'reactions.add', kind: 'mutation', fields: { id: validMessage, reaction: () => ['👍'] } },
  {
    path: 'reactions.remove',
    kind: 'mutation',
    fields: { id: validMessage, reaction: () => ['👍'] },
  },
  { path: 'nope.nothing', kind: 'query', fields: {} },
];

describe('tRPC under hostile input', () => {
  it('every procedure answers data or a tRPC error carrying a documented code, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TRPC_PROCEDURES).chain((procedure) =>
          fc.record({
            procedure: fc.constant(procedure),
            input: rawBody(bodyOf(procedure.fields)),
            authorization: auth,
            swapVerb: fc.boolean(),
          }),
        ),
        async ({ procedure, input, authorization, swapVerb }) => {
          const asQuery = (procedure.kind === 'query') !== swapVerb;
          const text = typeof input === 'string' ? input : input.toString('latin1');
          const response = asQuery
            ? await t.app.inject({
                method: 'GET',
                url: `/trpc/${procedure.path}?input=${encode(text)}`,
                headers: headersFor(authorization),
              })
            : await t.app.inject({
                method: 'POST',
                url: `/trpc/${procedure.path}`,
                headers: headersFor(authorization, 'application/json'),
                payload: input,
              });
          const context = `${asQuery ? 'GET' : 'POST'} /trpc/${procedure.path} → ${response.statusCode} ${response.body.slice(0, 300)}`;
          expect(response.statusCode, context).toBeLessThan(500);
          const body = JSON.parse(response.body) as {
            result?: unknown;
            error?: { data?: { errorCode?: string } };
          };
          if (response.statusCode >= 400) {
            const code = body.error?.data?.errorCode;
            expect(codes.has(code as string), context).toBe(true);
            expect(code, context).not.toBe('INTERNAL_ERROR');
            expect(response.body, context).not.toMatch(/"stack"|\.ts:\d+/);
          } else {
            expect(body.result, context).toBeDefined();
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Socket.IO

const SOCKET_EVENTS: Array<{ event: string; fields: Record<string, () => unknown[]> }> = [
  { event: 'join_chat', fields: { session_id: validSession, since_seq: () => [0, 1, 10_000] } },
  { event: 'leave_chat', fields: { session_id: validSession } },
  {
    event: 'send_message',
    fields: {
      session_id: validSession,
      message: () => [
        { content: 'hi' },
        { id: randomUUID(), content: 'x' },
        { id: messageId },
        { content: 'v', type: 'voice' },
      ],
    },
  },
  { event: 'typing_start', fields: { session_id: validSession } },
  { event: 'typing_stop', fields: { session_id: validSession } },
  {
    event: 'message_reaction',
    fields: { message_id: validMessage, reaction: () => ['❤️', 'no'], session_id: validSession },
  },
  { event: 'mark_read', fields: { message_id: validMessage, session_id: validSession } },
];

type Ack =
  | { ok: true; data: unknown }
  | { ok: false; error: { code: string; message: string; details?: string[] } };

describe('Socket.IO under hostile input', () => {
  it('every event answers its ack with data or a documented error; the connection survives', async () => {
    const socket = await connectClient(t.baseUrl, client.token);
    sockets.push(socket);
    const disconnects: string[] = [];
    socket.on('disconnect', (reason) => disconnects.push(reason));
    const payload = fc.oneof(
      {
        arbitrary: fc
          .constantFrom(...SOCKET_EVENTS)
          .chain((e) => fc.tuple(fc.constant(e.event), bodyOf(e.fields) as fc.Arbitrary<unknown>)),
        weight: 6,
      },
      {
        arbitrary: fc.tuple(fc.constantFrom(...SOCKET_EVENTS.map((e) => e.event)), hostileValue),
        weight: 3,
      },
      {
        arbitrary: fc.tuple(
          fc.constantFrom(...SOCKET_EVENTS.map((e) => e.event)),
          fc
            .uint8Array({ maxLength: 512 })
            .map((b) => ({ session_id: Buffer.from(b), message: { content: Buffer.from(b) } })),
        ),
        weight: 1,
      },
      // Nesting depth only: the nested payload is built in the property (fast-check would
      // overflow its stack printing a 3,000-deep counterexample).
      {
        arbitrary: fc.tuple(
          fc.constantFrom(...SOCKET_EVENTS.map((e) => e.event)),
          // Three fields of up to 3,000 levels: the frame stays under the 64 KB limit.
          fc.integer({ min: 200, max: 3_000 }).map((depth) => new Deep(depth)),
        ),
        weight: 1,
      },
    );
    await fc.assert(
      fc.asyncProperty(payload, async ([event, raw]) => {
        const body = raw instanceof Deep ? deepPayload(raw.depth) : raw;
        const ack = (await socket
          .timeout(5_000)
          .emitWithAck(event as 'join_chat', body as never)) as Ack;
        const context = `${event} ${JSON.stringify(body)?.slice(0, 200)} → ${JSON.stringify(ack).slice(0, 300)}`;
        expect(typeof ack === 'object' && ack !== null, context).toBe(true);
        if (!ack.ok) {
          expect(codes.has(ack.error.code), context).toBe(true);
          expect(ack.error.code, context).not.toBe('INTERNAL_ERROR');
          expect(typeof ack.error.message, context).toBe('string');
        }
      }),
      { numRuns: 600 },
    );
    expect(disconnects).toEqual([]);
    expect(socket.connected).toBe(true);
  });

  it('payloads nested 20,000 deep (raw frames under 64 KB) are refused as invalid, not as internal errors', async () => {
    const socket = await connectClient(t.baseUrl, client.token);
    sockets.push(socket);
    const errors: Array<{ code: string }> = [];
    socket.on('error', (e) => errors.push(e));
    const engine = socket.io.engine as unknown as { send(data: string): void };
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const frames = [
      ...SOCKET_EVENTS.map(({ event }) => `2["${event}",{"session_id":${deep}}]`),
      `2["mark_read",{"message_id":${deep}}]`,
      `2["send_message",{"session_id":"${sessionId}","message":{"content":"x","metadata":{"a":${deep}}}}]`,
      `2["join_chat",{"session_id":"${sessionId}","since_seq":${deep}}]`,
    ];
    for (const frame of frames) {
      const before = errors.length;
      // Built by hand (40 KB, one frame): socket.io-client's own encoder walks payloads recursively.
      engine.send(frame);
      expect(
        await waitFor(() => errors.length > before, 5_000),
        `an error event for ${frame.slice(0, 40)}`,
      ).toBe(true);
      expect(errors.at(-1)?.code, frame.slice(0, 40)).toBe('VALIDATION_ERROR');
    }
    expect(socket.connected).toBe(true);
    const ack = (await socket
      .timeout(5_000)
      .emitWithAck('join_chat', { session_id: sessionId })) as Ack;
    expect(ack.ok).toBe(true);
  });

  it('unknown events, extra arguments and events without an ack are ignored; the connection survives', async () => {
    const socket = await connectClient(t.baseUrl, client.token);
    sockets.push(socket);
    const loose = socket as unknown as { emit(event: string, ...args: unknown[]): void };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.constantFrom(
            'connect',
            'disconnect',
            'error',
            '__proto__',
            'constructor',
            'newListener',
          ),
        ),
        fc.array(hostileValue, { maxLength: 4 }),
        async (event, args) => {
          try {
            loose.emit(event, ...args);
          } catch {
            // socket.io-client refuses its reserved names on the client side: nothing was sent.
          }
          for (const known of SOCKET_EVENTS) loose.emit(known.event, ...args);
        },
      ),
      { numRuns: 100 },
    );
    const ack = (await socket
      .timeout(5_000)
      .emitWithAck('join_chat', { session_id: sessionId })) as Ack;
    expect(ack.ok).toBe(true);
    expect(socket.connected).toBe(true);
  });

  it('garbage Socket.IO frames close only the sender; the server keeps serving everyone else', async () => {
    const bystander = await connectClient(t.baseUrl, client.token);
    sockets.push(bystander);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.constantFrom(
            '42[',
            '4{',
            '42["join_chat",{"session_id":',
            '451-["x",{"_placeholder":true,"num":99}]',
            '49',
            '4',
            '42[{}]',
            '42["__proto__"]',
            `42${'['.repeat(5_000)}`,
          ),
        ),
        async (frame) => {
          const socket = await connectClient(t.baseUrl, client.token);
          const engine = socket.io.engine as unknown as { send(data: string): void };
          engine.send(frame);
          await new Promise((resolve) => setTimeout(resolve, 5));
          socket.disconnect();
        },
      ),
      { numRuns: 60 },
    );
    const ack = (await bystander
      .timeout(5_000)
      .emitWithAck('join_chat', { session_id: sessionId })) as Ack;
    expect(ack.ok).toBe(true);
    const health = await fetch(`${t.baseUrl}/healthz`);
    expect(health.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Text PostgreSQL cannot store as sent, and upload fields

describe('text PostgreSQL cannot store as sent', () => {
  it('unpaired surrogates in message content or metadata are a VALIDATION_ERROR over REST, tRPC and the socket; nothing is stored', async () => {
    const chat = await t.factory.bookingChat();
    const socket = await connectClient(t.baseUrl, chat.client.token);
    sockets.push(socket);
    // Content was stored (its surrogate turned into U+FFFD); metadata answered 500 (jsonb refused it).
    const bodies = [
      { content: 'a\uD800b' },
      { content: '\uDE00 trailing half' },
      { content: 'x', metadata: { note: 'half \uD83D' } },
      { content: 'x', metadata: { 'key\uDFFF': 1 } },
      { content: 'x', metadata: { deep: [{ k: '\uDC00' }] } },
    ];
    for (const body of bodies) {
      const what = JSON.stringify(body);
      const viaRest = await t.app.inject({
        method: 'POST',
        url: '/api/chat/messages',
        headers: chat.client.auth,
        payload: { session_id: chat.sessionId, ...body },
      });
      expectEnvelope(viaRest, `REST ${what}`);
      expect(viaRest.json<TErrorEnvelope>().code, what).toBe('VALIDATION_ERROR');
      expect(viaRest.json<TErrorEnvelope>().details.join(), what).toMatch(/unpaired surrogates/);

      const viaTrpc = await t.app.inject({
        method: 'POST',
        url: '/trpc/messages.send',
        headers: { ...chat.client.auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ session_id: chat.sessionId, ...body }),
      });
      expect(viaTrpc.statusCode, `tRPC ${what}`).toBe(400);
      expect(
        viaTrpc.json<{ error: { data: { errorCode: string } } }>().error.data.errorCode,
        `tRPC ${what}`,
      ).toBe('VALIDATION_ERROR');

      const ack = (await socket.timeout(5_000).emitWithAck('send_message', {
        session_id: chat.sessionId,
        message: body,
      })) as Ack;
      expect(ack.ok ? 'stored' : ack.error.code, `socket ${what}`).toBe('VALIDATION_ERROR');
    }
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/chat/messages?session_id=${chat.sessionId}`,
      headers: chat.client.auth,
    });
    expect(list.json<MessageListAnswer>().data.messages).toEqual([]);
    // A pair (an emoji) is text like any other.
    const emoji = await t.app.inject({
      method: 'POST',
      url: '/api/chat/messages',
      headers: chat.client.auth,
      payload: {
        session_id: chat.sessionId,
        content: '\uD83D\uDE00',
        metadata: { k: '\uD83D\uDE00' },
      },
    });
    expect(emoji.statusCode).toBe(201);
    expect(emoji.json<MessageAnswer>().data.content).toBe('😀');
  });
});

describe('upload fields under hostile input', () => {
  it('any caption, file name, session_id, id and duration around a valid file: a success or the envelope, never a 500, nothing orphaned', async () => {
    // A session of its own: every message and stored file in it comes from this property.
    const chat = await t.factory.bookingChat();
    const files = { '/api/chat/files': await pngOf(8, 8), '/api/chat/voice-notes': wavOf(0.05) };
    const storedDir = join(t.config.dataDir, 'files', chat.sessionId);
    const spoolDir = join(t.config.dataDir, 'tmp', 'uploads');
    const createdIds: string[] = [];
    let lastSeq = 0;

    const text = fc.oneof(
      { arbitrary: nastyString, weight: 4 },
      {
        arbitrary: fc.constantFrom(
          'a\u0000b',
          '\u0000',
          'caption',
          ` ${'😀'.repeat(4_000)} `,
          '😀'.repeat(4_001),
          'x'.repeat(20_000),
        ),
        weight: 2,
      },
    );
    // Field bytes: text as UTF-8 (a lone surrogate becomes U+FFFD on the way), or raw bytes
    // that are no UTF-8 at all.
    const bytes = fc.oneof(
      { arbitrary: text.map((s) => Buffer.from(s)), weight: 5 },
      {
        arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        weight: 1,
      },
      { arbitrary: fc.constant(Buffer.from([0xed, 0xa0, 0x80])), weight: 1 },
    );
    const maybe = <T>(arbitrary: fc.Arbitrary<T>) =>
      fc.option(arbitrary, { nil: undefined, freq: 3 });
    const upload = fc.record({
      path: fc.constantFrom('/api/chat/files', '/api/chat/voice-notes'),
      sessionField: maybe(
        fc.oneof(
          { arbitrary: fc.constant('SESSION' as const), weight: 8 },
          { arbitrary: bytes, weight: 1 },
        ),
      ),
      id: maybe(fc.oneof(fc.constantFrom('NEW' as const, 'REPEAT' as const), bytes)),
      caption: maybe(bytes),
      duration: maybe(
        fc.oneof(
          fc.constantFrom('0', '1.5', '3600', '-1', 'NaN', '1e400', '', ' 2 ').map(Buffer.from),
          bytes,
        ),
      ),
      extra: maybe(fc.tuple(fc.string({ maxLength: 10 }), bytes)),
      filename: fc.oneof(
        fc.constantFrom('photo.png', 'note.wav', 'a\u0000b.png', '', '\u202Egnp.wav'),
        fc.tuple(nastyString, fc.constantFrom('', '.png', '.wav')).map(([s, ext]) => s + ext),
      ),
      // Where the file goes among the fields (0: first).
      filePosition: fc.nat({ max: 6 }),
    });

    await fc.assert(
      fc.asyncProperty(upload, async (u) => {
        const fields: Array<[string, Buffer]> = [];
        if (u.sessionField !== undefined) {
          fields.push([
            'session_id',
            u.sessionField === 'SESSION' ? Buffer.from(chat.sessionId) : u.sessionField,
          ]);
        }
        if (u.id !== undefined) {
          const id =
            u.id === 'NEW'
              ? randomUUID()
              : u.id === 'REPEAT'
                ? (createdIds.at(-1) ?? randomUUID())
                : u.id;
          fields.push(['id', Buffer.from(id)]);
        }
        if (u.caption !== undefined) fields.push(['caption', u.caption]);
        if (u.duration !== undefined) fields.push(['duration', u.duration]);
        if (u.extra !== undefined) fields.push([u.extra[0].replace(/["\r\n]/g, '_'), u.extra[1]]);

        const boundary = `----fields${randomUUID()}`;
        const chunks: Buffer[] = [];
        const filePart = Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${u.path === '/api/chat/files' ? 'file' : 'voice_note'}"; filename="${u.filename.replace(/["\r\n]/g, '_')}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
          ),
          files[u.path],
          Buffer.from('\r\n'),
        ]);
        fields.forEach(([name, value], i) => {
          if (i === u.filePosition) chunks.push(filePart);
          chunks.push(
            Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
            value,
            Buffer.from('\r\n'),
          );
        });
        if (u.filePosition >= fields.length) chunks.push(filePart);
        chunks.push(Buffer.from(`--${boundary}--\r\n`));

        const response = await t.app.inject({
          method: 'POST',
          url: u.path,
          headers: {
            ...chat.client.auth,
            'content-type': `multipart/form-data; boundary=${boundary}`,
          },
          payload: Buffer.concat(chunks),
        });
        const what = `POST ${u.path} ${JSON.stringify(fields.map(([k, v]) => [k, v.toString().slice(0, 40)]))}`;
        expectEnvelope(response, what);

        const after = await t.app.inject({
          method: 'GET',
          url: `/api/chat/messages?session_id=${chat.sessionId}&after_seq=${lastSeq}`,
          headers: chat.client.auth,
        });
        const added = after.json<MessageListAnswer>().data.messages;
        if (response.statusCode === 201) {
          const message = response.json<MessageAnswer>().data;
          // What is stored reads back as it was shown: no NUL, no unpaired surrogate.
          for (const shown of [message.content, message.file_name]) {
            expect(shown === null || unstorableText(shown) === null, what).toBe(true);
          }
          expect(
            added.map((m) => m.id),
            what,
          ).toEqual([message.id]);
          createdIds.push(message.id);
          lastSeq = message.seq;
        } else {
          // A refusal or a retry answered with the stored message: no new row.
          expect(added, what).toEqual([]);
        }
        // One stored file per message, no spooled file left over.
        expect((await readdir(storedDir).catch(() => [])).length, what).toBe(createdIds.length);
        expect(await readdir(spoolDir).catch(() => []), what).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Stands for a payload nested `depth` deep, built only when sent. */
class Deep {
  constructor(readonly depth: number) {}
}

/** A socket payload whose every field is `depth` objects deep. */
function deepPayload(depth: number): unknown {
  let nested: unknown = 1;
  for (let i = 0; i < depth; i++) nested = { a: nested };
  return {
    session_id: sessionId,
    message_id: nested,
    message: { content: 'deep', metadata: nested },
    since_seq: nested,
  };
}

/** A PNG signature and IHDR chunk declaring `width` × `height`, and nothing else. */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8);
  ihdr.writeUInt8(6, 9);
  const type = Buffer.from('IHDR');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, ihdr])) >>> 0, 0);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(13, 0);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    length,
    type,
    ihdr,
    crc,
  ]);
}
