import { randomUUID } from 'node:crypto';
import asyncApiSpecs from '@asyncapi/specs';
import {
  ANY_OPERATION_ERRORS,
  type ClientToServerEvents,
  ERROR_DEFINITIONS,
  REST_OPERATIONS,
  type ServerToClientEvents,
  type TErrorCode,
} from '@chat/contracts';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { OpenAPIV3 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPlugins } from '../src/app.js';
import { compose } from '../src/composition.js';
import { loadConfig } from '../src/config.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { fastifyOptions } from '../src/server-options.js';

/** Every event of the interfaces, listed by hand: the compiler checks the lists are complete. */
const CLIENT_EVENT_NAMES = Object.keys({
  join_chat: true,
  leave_chat: true,
  send_message: true,
  typing_start: true,
  typing_stop: true,
  message_reaction: true,
  mark_read: true,
} satisfies Record<keyof ClientToServerEvents, true>);
const SERVER_EVENT_NAMES = Object.keys({
  authenticated: true,
  auth_error: true,
  chat_joined: true,
  user_joined: true,
  user_left: true,
  message_sent: true,
  new_message: true,
  user_typing: true,
  message_reaction_update: true,
  messages_read: true,
  chat_activity: true,
  message_deleted: true,
  session_updated: true,
  error: true,
} satisfies Record<keyof ServerToClientEvents, true>);

/** Routes that are not REST operations: tRPC's, the docs' own, and CORS preflights. */
const NOT_REST = /^(\w+ \/(trpc|docs)(\/|$)|OPTIONS \*$)/;

/**
 * The app as `buildApp` puts it together (the same plugin list), every route it registers
 * recorded. Development sign-in and METRICS_TOKEN are on, so every route exists.
 */
async function buildDocumentedApp(database: Database) {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: `/tmp/chat-test-${randomUUID()}`,
    METRICS_TOKEN: 'metrics-token-for-the-docs-test-0123456789',
    WEB_DIST_DIR: '/nonexistent-web-dist',
  });
  const app: FastifyInstance = Fastify(fastifyOptions(config, false));
  const routes: string[] = [];
  const recordRoutes = fp(async (instance) => {
    instance.addHook('onRoute', ({ method, url }) => {
      for (const m of [method].flat()) if (m !== 'HEAD') routes.push(`${m} ${url}`);
    });
  });
  const root = compose({ config, database, logger: false }, app.log);
  await app.register(recordRoutes);
  await registerPlugins(app, root);
  await app.ready();
  return { app, routes };
}

let database: Database;
let app: FastifyInstance;
let routes: string[];
let openapi: OpenAPIV3.Document;

/** `METHOD /path/:param` of every operation the OpenAPI document lists. */
function documentedOperations(): string[] {
  return Object.entries(openapi.paths).flatMap(([path, item]) =>
    Object.keys(item ?? {})
      .filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key))
      .map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}

function operation(method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) {
  const found = openapi.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method];
  if (!found) throw new Error(`${method} ${path} is not documented`);
  return found;
}

/** The error codes a documented response allows, by status. */
function documentedErrors(op: OpenAPIV3.OperationObject): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(op.responses)
      .filter(([status]) => Number(status) >= 400)
      .flatMap(([status, response]) => {
        const schema = (response as OpenAPIV3.ResponseObject).content?.['application/json']
          ?.schema as OpenAPIV3.SchemaObject | undefined;
        const code = schema?.properties?.code as OpenAPIV3.SchemaObject | undefined;
        return code?.enum ? [[status, code.enum as string[]]] : [];
      }),
  );
}

beforeAll(async () => {
  database = await openDatabase({ kind: 'pglite', dataDir: undefined });
  ({ app, routes } = await buildDocumentedApp(database));
  openapi = (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenAPIV3.Document>();
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

describe('the OpenAPI document at /docs', () => {
  it('documents every REST route, each once, and nothing else (tRPC and the docs are left out)', () => {
    const rest = routes.filter((route) => !NOT_REST.test(route));
    expect(rest).toContain('GET /healthz');
    expect(rest).toContain('GET /readyz');
    expect(rest).toContain('GET /metrics');
    expect(documentedOperations().sort()).toEqual([...new Set(rest)].sort());
    for (const { method, path } of Object.values(REST_OPERATIONS)) {
      expect(documentedOperations()).toContain(`${method} ${path}`);
    }
  });

  it('names each operation once, under one tag, with its contract id', () => {
    const ids = Object.values(openapi.paths).flatMap((item) =>
      ['get', 'post', 'put', 'patch', 'delete'].flatMap((m) => {
        const op = item?.[m as 'get'];
        return op ? [op] : [];
      }),
    );
    const tags = (openapi.tags ?? []).map((tag) => tag.name);
    for (const op of ids) {
      expect(op.tags, op.operationId).toHaveLength(1);
      expect(tags, op.operationId).toContain(op.tags?.[0]);
    }
    expect(ids.map((op) => op.operationId)).toEqual(
      expect.arrayContaining(Object.keys(REST_OPERATIONS)),
    );
    expect(new Set(ids.map((op) => op.operationId)).size).toBe(ids.length);
    expect(operation('patch', '/api/chat/sessions/:id').tags).toEqual(['sessions']);
  });

  it('describes tRPC once, with its procedures, instead of listing /trpc for every method', () => {
    expect(Object.keys(openapi.paths).filter((p) => p.startsWith('/trpc'))).toEqual([]);
    expect(openapi.info.description).toContain('/trpc/<procedure>');
    expect(openapi.info.description).toContain('`sessions.list`');
    expect(openapi.info.description).toContain('/docs/asyncapi');
  });

  it("lists each operation's own error codes under their statuses, from the error table", () => {
    for (const [id, { method, path, errors }] of Object.entries(REST_OPERATIONS)) {
      const documented = documentedErrors(operation(method.toLowerCase() as 'get', path));
      const codes = Object.values(documented).flat();
      expect(codes.sort(), id).toEqual([...new Set([...errors, ...ANY_OPERATION_ERRORS])].sort());
      for (const [status, atStatus] of Object.entries(documented)) {
        for (const code of atStatus) {
          expect(ERROR_DEFINITIONS[code as TErrorCode].status, `${id} ${code}`).toBe(
            Number(status),
          );
        }
      }
    }
    expect(documentedErrors(operation('get', '/api/chat/sessions/:id'))).toEqual({
      400: ['VALIDATION_ERROR'],
      401: ['AUTHENTICATION_REQUIRED'],
      403: ['CHAT_ACCESS_DENIED'],
      404: ['SESSION_NOT_FOUND'],
      429: ['RATE_LIMIT_EXCEEDED'],
      500: ['INTERNAL_ERROR'],
      503: ['SERVICE_UNAVAILABLE'],
    });
    const upload = documentedErrors(operation('post', '/api/chat/files'));
    expect(upload).toMatchObject({
      409: ['SESSION_INACTIVE'],
      413: ['FILE_TOO_LARGE'],
      415: ['UNSUPPORTED_FILE_TYPE'],
      422: ['FILE_INFECTED'],
      503: ['SCANNER_UNAVAILABLE', 'SERVICE_UNAVAILABLE'],
    });
    const limited = operation('post', '/api/chat/messages').responses[429];
    expect((limited as OpenAPIV3.ResponseObject).headers).toHaveProperty('Retry-After');
  });

  it('gives both uploads a multipart body with a file part, so "Try it out" can send one', () => {
    for (const [path, file, field] of [
      ['/api/chat/voice-notes', 'voice_note', 'duration'],
      ['/api/chat/files', 'file', 'caption'],
    ] as const) {
      const body = operation('post', path).requestBody as OpenAPIV3.RequestBodyObject;
      const schema = body.content['multipart/form-data']?.schema as OpenAPIV3.SchemaObject;
      expect(Object.keys(schema.properties ?? {})).toEqual(['id', 'session_id', field, file]);
      expect(schema.properties?.[file]).toMatchObject({ type: 'string', format: 'binary' });
      expect(schema.required).toEqual(expect.arrayContaining(['session_id', file]));
    }
  });

  it('documents the download as bytes (whole, a range, or a redirect) for a token or a signed link', () => {
    const download = operation('get', '/api/chat/files/:message_id');
    expect(Object.keys(download.responses)).toEqual(
      expect.arrayContaining(['200', '206', '302', '416', '401', '403', '404']),
    );
    const whole = download.responses[200] as OpenAPIV3.ResponseObject;
    expect(Object.keys(whole.content ?? {})).toEqual(['audio/*', 'image/*', 'application/pdf']);
    expect(download.security).toEqual([{ bearerAuth: [] }, {}]);
  });

  it('documents the probes: /healthz, and /readyz with its checks', () => {
    expect(operation('get', '/healthz').responses).toHaveProperty('200');
    const ready = operation('get', '/readyz').responses[200] as OpenAPIV3.ResponseObject;
    const schema = ready.content?.['application/json']?.schema as OpenAPIV3.SchemaObject;
    expect(Object.keys(schema.properties ?? {})).toEqual(['status', 'checks']);
    const failing = operation('get', '/readyz').responses[503] as OpenAPIV3.ResponseObject;
    expect(failing.content?.['application/json']?.schema).toHaveProperty('anyOf');
  });
});

describe('the AsyncAPI document at /docs/asyncapi.json', () => {
  let asyncapi: {
    asyncapi: string;
    operations: Record<string, { action: string; reply?: unknown }>;
    components: { messages: Record<string, { payload: { type?: string; oneOf?: unknown[] } }> };
  };
  beforeAll(async () => {
    asyncapi = (await app.inject({ method: 'GET', url: '/docs/asyncapi.json' })).json();
  });

  it('is a valid AsyncAPI 3.0 document', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(asyncApiSpecs.schemasWithoutId['3.0.0']);
    expect(validate(asyncapi), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
  });

  it('documents every event a client emits, with its payload and its ack', () => {
    for (const event of CLIENT_EVENT_NAMES) {
      expect(asyncapi.operations[event], event).toMatchObject({ action: 'receive' });
      expect(asyncapi.operations[event]?.reply, event).toBeDefined();
      expect(asyncapi.components.messages[event]?.payload, event).toBeDefined();
      expect(asyncapi.components.messages[`${event}_ack`]?.payload.oneOf, event).toHaveLength(2);
    }
  });

  it('documents every event the server emits, with its payload', () => {
    for (const event of SERVER_EVENT_NAMES) {
      expect(asyncapi.operations[event], event).toMatchObject({ action: 'send' });
      expect(asyncapi.components.messages[event]?.payload.type, event).toBe('object');
    }
    expect(Object.keys(asyncapi.operations).sort()).toEqual(
      [...CLIENT_EVENT_NAMES, ...SERVER_EVENT_NAMES].sort(),
    );
  });
});

describe('the AsyncAPI page at /docs/asyncapi', () => {
  it('shows every event beside the REST docs, with no script, under the strict policy', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/asyncapi' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    for (const event of [...CLIENT_EVENT_NAMES, ...SERVER_EVENT_NAMES]) {
      expect(page.body).toContain(`id="${event}"`);
    }
    expect(page.body).toContain('href="/docs"');
    expect(page.body).not.toMatch(/<script|<style|\sstyle=|\son\w+=/i);
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toMatch(/(^|;)\s*script-src 'self'\s*(;|$)/);
    expect(policy).toMatch(/(^|;)\s*style-src 'self'\s*(;|$)/);
    const css = await app.inject({ method: 'GET', url: '/docs/asyncapi.css' });
    expect(css.headers['content-type']).toContain('text/css');
  });
});
