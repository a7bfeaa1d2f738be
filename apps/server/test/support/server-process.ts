import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type ManagedProcess, spawnManaged, waitUntil } from '@chat/testkit';
import { TEST_JWT_SECRET } from './test-app.js';

/** apps/server: where `src/main.ts` and its `node_modules/tsx` live. */
const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** The METRICS_TOKEN every node started here has: read `/metrics` with `node.metrics()`. */
export const TEST_METRICS_TOKEN = 'test-metrics-token-that-is-long-enough-0123456789';

export interface ServerProcessOptions {
  name: string;
  /** Unset: the embedded database in the node's own data dir. */
  databaseUrl?: string;
  /** Unset: one node alone, without Redis. */
  redisUrl?: string;
  /** More settings (e.g. RATE_LIMIT_MESSAGES_PER_MINUTE). */
  env?: Record<string, string>;
  /** How long `/healthz` may take to answer (migrations run before listening). */
  readyTimeoutMs?: number;
}

export interface ServerProcess {
  name: string;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  process: ManagedProcess;
  /** GET/POST/... against this node with a user's token; resolves the parsed JSON and status. */
  request<T = unknown>(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  /** `/metrics` on the service's port, with the node's METRICS_TOKEN. */
  metrics(): Promise<string>;
  /** Graceful stop (SIGTERM), SIGKILL after a bound; removes its data dir. */
  stop(): Promise<void>;
  /** SIGKILL at once (a crashed node). */
  kill(): Promise<void>;
}

/**
 * Starts the real server (`src/main.ts` through tsx, sources resolved with the `source`
 * condition) as its own process on a free loopback port, and waits for `/healthz`.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const dataDir = join(tmpdir(), `chat-node-${options.name}-${randomUUID()}`);
  const url = `http://127.0.0.1:${port}`;
  // A minimal environment, so nothing from the caller's shell (a scanner, Supabase) leaks in.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl, DATABASE_POOL_SIZE: '4' } : {}),
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    FRONTEND_URL: 'http://allowed.example',
    WEB_DIST_DIR: '/nonexistent-web-dist',
    ...options.env,
  };
  const child = spawnManaged(
    `node ${options.name} (port ${port})`,
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'src/main.ts'],
    { cwd: SERVER_DIR, env },
  );

  const cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  const node: ServerProcess = {
    name: options.name,
    port,
    url,
    process: child,
    async request(method, path, token, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: (text ? JSON.parse(text) : undefined) as never,
        headers: response.headers,
      };
    },
    async metrics() {
      const response = await fetch(`${url}/metrics`, {
        headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
        signal: AbortSignal.timeout(5_000),
      });
      if (!response.ok) throw new Error(`${options.name} /metrics: ${response.status}`);
      return response.text();
    },
    async stop() {
      try {
        await child.stop();
      } finally {
        cleanup();
      }
    },
    async kill() {
      try {
        await child.kill();
      } finally {
        cleanup();
      }
    },
  };

  const healthy = await waitUntil(
    async () => {
      if (child.exited) return true;
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      return response.ok;
    },
    options.readyTimeoutMs ?? 40_000,
    100,
  );
  if (!healthy || child.exited) {
    const why = child.exited ? 'exited before answering /healthz' : 'no /healthz answer in time';
    await node.kill().catch(() => undefined);
    throw new Error(`${options.name} ${why}\n${child.describe()}`);
  }
  return node;
}

/** A private redis-server on loopback that a test may kill and start again on the same port. */
export interface RedisServer {
  port: number;
  url: string;
  process: ManagedProcess | undefined;
  /** Starts (or starts again) on the same port and waits for PING. */
  start(): Promise<void>;
  /** SIGKILL: the outage a crash or a network cut looks like to clients. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function createRedisServer(binary = 'redis-server'): Promise<RedisServer> {
  const port = await freePort();
  let current: ManagedProcess | undefined;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get process() {
      return current;
    },
    async start() {
      if (current && !current.exited) throw new Error('redis-server already running');
      const child = spawnManaged(
        `redis-server :${port}`,
        binary,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { env: { PATH: process.env.PATH } },
      );
      current = child;
      const up = await waitUntil(async () => child.exited || (await redisPing(port)), 10_000, 50);
      if (!up || child.exited) {
        await child.kill().catch(() => undefined);
        throw new Error(`redis-server did not answer PING\n${child.describe()}`);
      }
    },
    async kill() {
      await current?.kill();
    },
    async stop() {
      await current?.stop(5_000);
    },
  };
  return server;
}

/** PING over a raw connection: true on `+PONG`. */
export function redisPing(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    let reply = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}
