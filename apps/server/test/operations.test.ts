import type { OpenAPIV3 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Readiness } from '../src/transport/rest/health.routes.js';
import { connectClient, sleep } from './support/sockets.js';
import { startTestApp, type TestApp } from './support/test-app.js';

let t: TestApp;
let baseUrl: string;
beforeAll(async () => {
  t = await startTestApp();
  baseUrl = await t.listen();
});
afterAll(async () => {
  await t.close();
});

function metricValue(text: string, line: string): number {
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found ? Number(found.slice(line.length).trim()) : 0;
}

describe('operations', () => {
  it('/metrics counts messages by type and transport, open sockets, errors by route and code', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const socket = await connectClient(baseUrl, client.token);
    await socket.timeout(3000).emitWithAck('join_chat', { session_id: sessionId });
    await socket
      .timeout(3000)
      .emitWithAck('send_message', { session_id: sessionId, message: { content: 'via socket' } });
    await t.factory.message(client, sessionId, 'via rest');
    await t.app.inject({
      method: 'GET',
      url: `/api/chat/sessions/${crypto.randomUUID()}`,
      headers: client.auth,
    });
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(
      metricValue(text, 'chat_messages_total{type="text",transport="socket"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(text, 'chat_messages_total{type="text",transport="rest"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'chat_open_sockets')).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(
        text,
        'chat_errors_total{route="GET /api/chat/sessions/:id",code="SESSION_NOT_FOUND"}',
      ),
    ).toBe(1);
    // The message write: one statement on PostgreSQL, a transaction's insert on PGlite.
    const write = process.env.DATABASE_URL ? 'messages.appendBatch' : 'messages.insertMany';
    expect(text).toContain(
      `chat_db_query_duration_seconds_bucket{le="0.001",operation="${write}"}`,
    );
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    socket.disconnect();
    await sleep(100);
    const after = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metricValue(after, 'chat_open_sockets')).toBe(
      metricValue(text, 'chat_open_sockets') - 1,
    );
  });

  it('/healthz answers for the process; /readyz checks the database', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
      status: 'ok',
    });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json<Readiness>()).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('/docs serves the OpenAPI document built from the contracts', async () => {
    const doc = (
      await t.app.inject({ method: 'GET', url: '/docs/json' })
    ).json<OpenAPIV3.Document>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/chat/sessions',
        '/api/chat/messages',
        '/api/chat/messages/{id}/read',
        '/api/chat/voice-notes',
        '/api/chat/files',
      ]),
    );
    const sendBody = doc.paths['/api/chat/messages']?.post?.requestBody;
    if (sendBody === undefined || '$ref' in sendBody) throw new Error('no inline send body');
    const sendSchema = sendBody.content['application/json']?.schema;
    if (sendSchema === undefined || '$ref' in sendSchema) throw new Error('no inline JSON schema');
    expect(sendSchema.properties?.content).toBeDefined();
  });
});
