import { freePort, waitUntil } from '@chat/testkit';
import type { OpenAPIV3 } from 'openapi-types';
import { describe, expect, it } from 'vitest';
import { FAILING, type Readiness } from '../src/transport/rest/health.routes.js';
import { expectError } from './support/rest.js';
import { startServerProcess } from './support/server-process.js';
import { connectClient } from './support/sockets.js';
import { startTestApp, useTestApp } from './support/test-app.js';

const METRICS_TOKEN = 'metrics-token-for-the-operations-suite-0123456789';
const scraper = { authorization: `Bearer ${METRICS_TOKEN}` };

const t = useTestApp({ METRICS_TOKEN });

function metricValue(text: string, line: string): number {
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found ? Number(found.slice(line.length).trim()) : 0;
}

describe('operations', () => {
  it('/metrics counts messages by type and transport, open sockets, errors by route and code', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const socket = await connectClient(t.baseUrl, client.token);
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
    const text = (await t.app.inject({ method: 'GET', url: '/metrics', headers: scraper })).body;
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
        // A client asking for an unknown session is told what a foreign one tells (issue 12).
        'chat_errors_total{route="GET /api/chat/sessions/:id",code="CHAT_ACCESS_DENIED"}',
      ),
    ).toBe(1);
    // The message write: one statement on PostgreSQL, a transaction's insert on PGlite.
    const write = process.env.DATABASE_URL ? 'messages.appendBatch' : 'messages.insertMany';
    expect(text).toContain(
      `chat_db_query_duration_seconds_bucket{le="0.001",operation="${write}"}`,
    );
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    socket.disconnect();
    // The server hears the close a moment later (longer on a loaded machine): wait for it, bounded.
    const openAfterClose = async () =>
      metricValue(
        (await t.app.inject({ method: 'GET', url: '/metrics', headers: scraper })).body,
        'chat_open_sockets',
      );
    const expected = metricValue(text, 'chat_open_sockets') - 1;
    expect(await waitUntil(async () => (await openAfterClose()) === expected, 5_000, 50)).toBe(
      true,
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

describe('what anonymous callers learn (issue 12)', () => {
  it('anonymous /metrics is refused, and so are a wrong token and a user token; the metrics token reads it', async () => {
    const admin = await t.factory.user('admin');
    const refused = [
      {},
      { authorization: 'Bearer not-the-metrics-token' },
      { authorization: `Bearer ${METRICS_TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`metrics:${METRICS_TOKEN}`).toString('base64')}` },
      admin.auth,
    ];
    for (const headers of refused) {
      const answer = await t.app.inject({ method: 'GET', url: '/metrics', headers });
      expectError(answer, 'AUTHENTICATION_REQUIRED');
      expect(answer.body).not.toContain('chat_');
    }
    const served = await t.app.inject({ method: 'GET', url: '/metrics', headers: scraper });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toMatch(/^text\/plain/);
    expect(served.body).toContain('chat_open_sockets');
  });

  it('without METRICS_TOKEN the service port has no /metrics at all', async () => {
    const plain = await startTestApp({}, { database: t.database });
    try {
      expectError(await plain.app.inject({ method: 'GET', url: '/metrics' }), 'NOT_FOUND');
      expectError(
        await plain.app.inject({ method: 'GET', url: '/metrics', headers: scraper }),
        'NOT_FOUND',
      );
    } finally {
      await plain.close();
    }
  });

  it("anonymous /readyz with a failing dependency names it without its error text; an admin's, a monitor's and the metrics token's show why", async () => {
    const down = await startTestApp(
      { CLAMAV_HOST: '127.0.0.1', CLAMAV_PORT: '1', METRICS_TOKEN },
      { database: t.database },
    );
    try {
      const client = await t.factory.user('client');
      const admin = await t.factory.user('admin');
      const monitor = await t.factory.user('monitor');
      const anonymousCallers = [
        {},
        client.auth,
        { authorization: 'Bearer not-a-token' },
        { authorization: `Bearer ${admin.token}x` },
      ];
      for (const headers of anonymousCallers) {
        const answer = await down.app.inject({ method: 'GET', url: '/readyz', headers });
        expect(answer.statusCode).toBe(503);
        expect(answer.json<Readiness>()).toEqual({
          status: 'unavailable',
          checks: { database: 'ok', scanner: FAILING },
        });
        expect(answer.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
      }
      for (const headers of [admin.auth, monitor.auth, scraper]) {
        const answer = await down.app.inject({ method: 'GET', url: '/readyz', headers });
        expect(answer.statusCode).toBe(503);
        const { checks } = answer.json<Readiness>();
        expect(checks.database).toBe('ok');
        expect(checks.scanner).toMatch(/ECONNREFUSED 127\.0\.0\.1:1/);
      }
    } finally {
      await down.close();
    }
  });

  it("METRICS_PORT serves /metrics on loopback without a token while the service port still asks for one; a failing check's error text goes to the log", async () => {
    const metricsPort = await freePort();
    const node = await startServerProcess({
      name: 'metrics-port',
      env: { METRICS_PORT: String(metricsPort), CLAMAV_HOST: '127.0.0.1', CLAMAV_PORT: '1' },
    });
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    try {
      const served = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
      expect(served.status).toBe(200);
      expect(await served.text()).toContain('chat_open_sockets');
      const other = await fetch(`http://127.0.0.1:${metricsPort}/readyz`, {
        signal: AbortSignal.timeout(5_000),
      });
      expect(other.status).toBe(404);
      expect(
        (await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).status,
      ).toBe(401);
      expect(await node.metrics()).toContain('chat_open_sockets');

      const ready = await fetch(`${node.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      expect(ready.status).toBe(503);
      expect(await ready.text()).not.toContain('ECONNREFUSED');
      expect(
        await waitUntil(
          () =>
            node.process
              .output()
              .split('\n')
              .some(
                (line) =>
                  line.includes('readiness check failed') &&
                  line.includes('ECONNREFUSED 127.0.0.1:1'),
              ),
          5_000,
        ),
        node.process.describe(),
      ).toBe(true);
    } finally {
      await node.stop();
    }
    // Shut down with the node: nothing answers there any more.
    await expect(fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
  }, 90_000);
});
