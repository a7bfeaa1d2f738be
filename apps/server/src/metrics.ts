import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The Prometheus metrics the API reference's "Monitoring Metrics" promise: open sockets,
 * messages by type and transport, upload bytes, database time, errors by route and code,
 * rate-limit refusals, and (from the default set) event-loop lag and memory.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return {
    registry,
    openSockets: new Gauge({
      name: 'chat_open_sockets',
      help: 'Socket.IO connections open on this node',
      registers: [registry],
    }),
    messages: new Counter({
      name: 'chat_messages_total',
      help: 'Messages stored, by type and the transport they came in on',
      labelNames: ['type', 'transport'] as const,
      registers: [registry],
    }),
    uploadBytes: new Counter({
      name: 'chat_upload_bytes_total',
      help: 'Bytes of files stored, by message type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    dbQuerySeconds: new Histogram({
      name: 'chat_db_query_duration_seconds',
      help: 'Time of each repository call (one or a few SQL statements)',
      labelNames: ['operation'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'chat_errors_total',
      help: 'Error answers, by route (or socket event) and error code',
      labelNames: ['route', 'code'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'chat_rate_limit_refusals_total',
      help: 'Requests refused by a rate-limit budget',
      labelNames: ['budget'] as const,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

export interface MetricsListener {
  /** The port it listens on (the one asked for, or the one given for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * METRICS_PORT: `/metrics` on a listener of its own, without a token, bound to METRICS_HOST
 * (loopback by default), for a Prometheus or an agent on the same host or network namespace.
 * Plain node:http: one path, nothing of the service's (no auth, routes or hooks) in front of it.
 */
export async function listenMetrics(
  registry: Registry,
  options: { port: number; host: string },
): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold the close back until it times out.
        server.closeAllConnections();
      }),
  };
}
