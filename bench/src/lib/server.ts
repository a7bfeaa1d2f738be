import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, type ManagedProcess, waitUntil } from '@chat/testkit';
import { QUOTED_OUTPUT_CHARS, spawnManaged } from './processes.js';
import { log, REPO_ROOT, RESULTS_DIR, SERVER_DIR, SERVER_MAIN } from './util.js';

export const BENCH_JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';
/** `/metrics` answers only this token (production asks for at least 32 bytes). */
const BENCH_METRICS_TOKEN = 'bench-metrics-token-that-is-long-enough-0123456789';

/** A limit no benchmark reaches: the budgets exist, they just never refuse. */
const UNLIMITED = '1000000000';

/**
 * The benchmarks run the production build. It is built here only when missing (or when
 * BENCH_BUILD=1); a build older than the sources is reported, not replaced.
 */
export function ensureServerBuild(): { builtAt: string; staleSources: string[] } {
  if (!existsSync(SERVER_MAIN) || process.env.BENCH_BUILD === '1') {
    log('building the server: pnpm --filter @chat/server... run build');
    execFileSync('pnpm', ['--filter', '@chat/server...', 'run', 'build'], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
  }
  const builtAtMs = statSync(SERVER_MAIN).mtimeMs;
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.test.ts') && statSync(path).mtimeMs > builtAtMs + 1000) {
        stale.push(path.slice(REPO_ROOT.length));
      }
    }
  };
  walk(`${SERVER_DIR}/src`);
  if (stale.length > 0) {
    log(
      `WARNING: apps/server/dist is older than ${stale.length} source file(s) (${stale.slice(0, 3).join(', ')}...)`,
    );
    log('         the figures are for the build; BENCH_BUILD=1 rebuilds first');
  }
  return { builtAt: new Date(builtAtMs).toISOString(), staleSources: stale };
}

/** A Supabase-shaped user token (HS256, aud and role `authenticated`), valid for a day. */
export function signToken(userId: string, secret = BENCH_JWT_SECRET): string {
  const b64 = (value: object | Buffer) =>
    (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({
    sub: userId,
    aud: 'authenticated',
    role: 'authenticated',
    iat: now,
    exp: now + 86_400,
  });
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64(signature)}`;
}

export interface ChatServer {
  name: string;
  url: string;
  port: number;
  proc: ManagedProcess;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export interface ChatServerOptions {
  name: string;
  databaseUrl: string;
  port?: number;
  /** Reuse a data dir (a restarted node keeps its files). */
  dataDir?: string;
  /** Another build's dist/main.js (a same-run comparison, see tools/build-variant.ts). */
  main?: string;
  /** Node flags (default: BENCH_SERVER_NODE_ARGS). */
  nodeArgs?: string[] | undefined;
  env?: Record<string, string>;
}

/**
 * The real server: `node apps/server/dist/main.js`, NODE_ENV=production, auth on (JWT_SECRET),
 * on loopback, rate limits raised; waits for /healthz (migrations are applied before it listens).
 * BENCH_CPU_PROF=1 adds --cpu-prof (profiles under bench/results/profiles).
 */
export async function startChatServer(options: ChatServerOptions): Promise<ChatServer> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? join(tmpdir(), `chat-bench-${options.name}-${randomUUID()}`);
  mkdirSync(dataDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    JWT_SECRET: BENCH_JWT_SECRET,
    METRICS_TOKEN: BENCH_METRICS_TOKEN,
    DATABASE_URL: options.databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    FRONTEND_URL: 'http://127.0.0.1',
    WEB_DIST_DIR: '/nonexistent-web-dist',
    ALLOW_UNSCANNED_UPLOADS: 'true',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    RATE_LIMIT_SESSIONS_PER_HOUR: UNLIMITED,
    RATE_LIMIT_READS_PER_MINUTE: UNLIMITED,
    RATE_LIMIT_MESSAGES_PER_MINUTE: UNLIMITED,
    RATE_LIMIT_VOICE_NOTES_PER_MINUTE: UNLIMITED,
    RATE_LIMIT_FILES_PER_MINUTE: UNLIMITED,
    RATE_LIMIT_TYPING_PER_MINUTE: UNLIMITED,
    RATE_LIMIT_REACTIONS_PER_MINUTE: UNLIMITED,
    ...options.env,
  };
  // BENCH_SERVER_NODE_ARGS: extra Node flags for the server (e.g. --heapsnapshot-signal=SIGUSR2).
  const nodeArgs: string[] = [
    ...(options.nodeArgs ?? (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)),
  ];
  if (process.env.BENCH_CPU_PROF === '1') {
    const dir = `${RESULTS_DIR}/profiles`;
    mkdirSync(dir, { recursive: true });
    nodeArgs.push(
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      `--cpu-prof-name=${options.name}-${Date.now()}.cpuprofile`,
    );
  }
  const main = options.main ?? SERVER_MAIN;
  const proc = spawnManaged(
    `server ${options.name} :${port}`,
    process.execPath,
    [...nodeArgs, main],
    {
      cwd: options.main ? dirname(dirname(options.main)) : SERVER_DIR,
      env,
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const healthy = await waitUntil(
    async () => {
      if (proc.exited) return true;
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      return response.ok;
    },
    90_000,
    100,
  );
  if (!healthy || proc.exited) {
    await proc.stop(2_000);
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw new Error(
      `server ${options.name} did not become healthy\n${proc.describe(QUOTED_OUTPUT_CHARS)}`,
    );
  }
  const server: ChatServer = {
    name: options.name,
    url,
    port,
    proc,
    dataDir,
    env,
    async stop() {
      await proc.stop(15_000);
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

export interface BaselineServer {
  url: string;
  port: number;
  proc: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * A second server measured beside this one in the same run (label BENCH_COMPARE_LABEL):
 * BENCH_COMPARE_MAIN, another build's dist/main.js, and/or BENCH_COMPARE_NODE_ARGS, other Node
 * flags for it (instead of BENCH_SERVER_NODE_ARGS).
 */
export const COMPARE =
  process.env.BENCH_COMPARE_MAIN || process.env.BENCH_COMPARE_NODE_ARGS
    ? {
        main: process.env.BENCH_COMPARE_MAIN ?? SERVER_MAIN,
        label: process.env.BENCH_COMPARE_LABEL ?? 'compare',
        nodeArgs: process.env.BENCH_COMPARE_NODE_ARGS?.split(' ').filter(Boolean),
      }
    : undefined;

/**
 * The bare Socket.IO baseline (plain JavaScript, no persistence, no auth); `contract`: the same
 * relay sending the frames and payloads the API contract asks for (see relay-server.mjs).
 */
export function startRelay(
  port?: number,
  shape: 'bare' | 'contract' = 'bare',
): Promise<BaselineServer> {
  return startBaseline('relay-server.mjs', `${shape} relay`, port, { RELAY_SHAPE: shape });
}

/** The bare HTTP upload baseline: reads the body, answers 201 (see baselines/upload-sink.mjs). */
export function startUploadSink(): Promise<BaselineServer> {
  return startBaseline('upload-sink.mjs', 'bare upload sink');
}

/** A plain-JavaScript baseline under ../baselines, on loopback, up once /healthz answers. */
async function startBaseline(
  file: string,
  label: string,
  port?: number,
  env: Record<string, string> = {},
): Promise<BaselineServer> {
  const listenPort = port ?? (await freePort());
  const script = new URL(`../baselines/${file}`, import.meta.url).pathname;
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawnManaged(`${label} :${listenPort}`, process.execPath, [...nodeArgs, script], {
    env: { PATH: process.env.PATH, PORT: String(listenPort), ...env },
  });
  const url = `http://127.0.0.1:${listenPort}`;
  const up = await waitUntil(async () => {
    if (proc.exited) return true;
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  }, 20_000);
  if (!up || proc.exited) {
    await proc.stop(2_000);
    throw new Error(`${label} did not start\n${proc.describe(QUOTED_OUTPUT_CHARS)}`);
  }
  return { url, port: listenPort, proc, stop: () => proc.stop(5_000) };
}

/** Prometheus text → { "name{labels}": value } for the series the reports use. */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`${url}/metrics answered ${response.status}`);
  const text = await response.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** Per repository operation: calls and mean ms, from chat_db_query_duration_seconds (a delta of two scrapes). */
export function dbOperations(
  before: Map<string, number>,
  after: Map<string, number>,
): Array<{ operation: string; calls: number; meanMs: number; totalS: number }> {
  const rows: Array<{ operation: string; calls: number; meanMs: number; totalS: number }> = [];
  for (const [key, count] of after) {
    const match = /^chat_db_query_duration_seconds_count\{operation="([^"]+)"\}$/.exec(key);
    if (!match) continue;
    const op = match[1] ?? '';
    const sumKey = `chat_db_query_duration_seconds_sum{operation="${op}"}`;
    const calls = count - (before.get(key) ?? 0);
    const total = (after.get(sumKey) ?? 0) - (before.get(sumKey) ?? 0);
    if (calls > 0)
      rows.push({ operation: op, calls, meanMs: (total / calls) * 1000, totalS: total });
  }
  return rows.sort((a, b) => b.totalS - a.totalS);
}
