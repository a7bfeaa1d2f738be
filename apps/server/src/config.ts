import { issueDetails } from '@chat/contracts';
import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const ZEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(5000),
  HOST: z.string().min(1).optional(),
  FRONTEND_URL: z.string().default('http://localhost:3000'),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_LISTEN_URL: z.string().min(1).optional(),
  DATABASE_POOL_SIZE: positiveInt(10),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(15_000),
  SUPABASE_URL: z.url().optional(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(1).optional(),
  SUPABASE_JWT_SECRET: z.string().min(1).optional(),
  JWKS_URL: z.url().optional(),
  REDIS_URL: z.string().min(1).optional(),
  CLAMAV_HOST: z.string().min(1).optional(),
  CLAMAV_PORT: z.coerce.number().int().positive().default(3310),
  CLAMAV_SOCKET: z.string().min(1).optional(),
  ALLOW_UNSCANNED_UPLOADS: booleanFlag,
  SUPABASE_STORAGE_BUCKET: z.string().min(1).default('chat-files'),
  FILE_URL_SECRET: z.string().min(16).optional(),
  TRUSTED_PROXIES: z.string().optional(),
  FILE_URL_TTL_SECONDS: positiveInt(3600),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RATE_LIMIT_MESSAGES_PER_MINUTE: positiveInt(100),
  RATE_LIMIT_VOICE_NOTES_PER_MINUTE: positiveInt(10),
  RATE_LIMIT_FILES_PER_MINUTE: positiveInt(30),
  RATE_LIMIT_TYPING_PER_MINUTE: positiveInt(120),
  RATE_LIMIT_REACTIONS_PER_MINUTE: positiveInt(60),
  RATE_LIMIT_SESSIONS_PER_HOUR: positiveInt(30),
  RATE_LIMIT_READS_PER_MINUTE: positiveInt(600),
  TRPC_MAX_BATCH_SIZE: positiveInt(10),
  SOCKETS_PER_USER: positiveInt(20),
  REQUEST_TIMEOUT_MS: positiveInt(120_000),
  UPLOAD_IDLE_TIMEOUT_MS: positiveInt(30_000),
  METRICS_TOKEN: z.string().min(16).optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  SOCKET_PING_INTERVAL_MS: positiveInt(25_000),
  SOCKET_PING_TIMEOUT_MS: positiveInt(20_000),
  SOCKET_EVENTS_PER_10S: positiveInt(300),
  WEB_DIST_DIR: z.string().min(1).optional(),
});

export type AuthConfig =
  | { kind: 'secret'; secret: string }
  | { kind: 'jwks'; url: string }
  /** Development sign-in: the server signs tokens for its demo users with its own secret. */
  | { kind: 'dev' };

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** Origins a browser may call from, besides the server's own. */
  allowedOrigins: string[];
  publicUrl: string | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  /**
   * The listening connection's own URL (role changes reaching open sockets), for a DATABASE_URL
   * that is a transaction-mode pooler; unset: DATABASE_URL.
   */
  databaseListenUrl: string | undefined;
  databasePoolSize: number;
  /** Longest a statement may run (server side); the client gives up 1 s after. */
  databaseStatementTimeoutMs: number;
  auth: AuthConfig;
  redisUrl: string | undefined;
  supabase: { url: string; serviceRoleKey: string } | undefined;
  clamav: { host: string; port: number } | { socket: string } | undefined;
  allowUnscannedUploads: boolean;
  storageBucket: string;
  /** Signs file links; when unset it is derived from JWT_SECRET (or the development secret). */
  fileUrlSecret: string | undefined;
  fileUrlTtlSeconds: number;
  logLevel: string;
  rateLimits: {
    messagesPerMinute: number;
    voiceNotesPerMinute: number;
    filesPerMinute: number;
    typingPerMinute: number;
    reactionsPerMinute: number;
    /** Sessions one user may create per hour (booking, support or manual). */
    sessionsPerHour: number;
    /** Reads (lists, history, details, downloads) per user per minute: generous, against scraping. */
    readsPerMinute: number;
  };
  /**
   * Who may set X-Forwarded-For / -Host / -Proto: proxy-addr's list (addresses, CIDRs, or
   * `loopback`, `linklocal`, `uniquelocal`). Unset: nobody, the socket's own address is the client.
   */
  trustedProxies: string[];
  /** Most procedures one tRPC batch request may carry. */
  trpcMaxBatchSize: number;
  /** Open sockets one user may hold across tabs and devices (on this node). */
  socketsPerUser: number;
  /** Longest time to receive a whole request (headers and body) before it is cut off. */
  requestTimeoutMs: number;
  /** Longest pause inside an upload's body before it is abandoned (spool and scan closed). */
  uploadIdleTimeoutMs: number;
  /**
   * `/metrics` is never public: on the service's port it exists only with a token and answers
   * only `Authorization: Bearer <token>`; with a port it is also served there, without a token,
   * on `host` (loopback unless told otherwise). With neither, nothing serves it.
   */
  metrics: { token: string | undefined; port: number | undefined; host: string };
  /** Socket.IO heartbeat: a peer that vanished is dropped within interval + timeout. */
  socketPingIntervalMs: number;
  socketPingTimeoutMs: number;
  /**
   * Events one socket connection may send per 10 s; past it events are refused with
   * RATE_LIMIT_EXCEEDED, and past twice that the connection is closed.
   */
  socketEventsPer10s: number;
  webDistDir: string | undefined;
}

export class ConfigError extends Error {}

/** Reads the environment once, at boot. Nothing else in the server reads `process.env`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ZEnv.safeParse(env);
  if (!parsed.success) {
    const problems = issueDetails(parsed.error.issues);
    throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const auth = authOf(e);
  const clamav = e.CLAMAV_SOCKET
    ? { socket: e.CLAMAV_SOCKET }
    : e.CLAMAV_HOST
      ? { host: e.CLAMAV_HOST, port: e.CLAMAV_PORT }
      : undefined;
  const publicUrl = e.PUBLIC_URL;
  if (publicUrl !== undefined && !['http:', 'https:'].includes(new URL(publicUrl).protocol)) {
    throw new ConfigError('PUBLIC_URL must be an http or https URL');
  }
  if (e.NODE_ENV === 'production') requireProductionSettings(e, auth, clamav !== undefined);

  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST ?? (e.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    allowedOrigins: listOf(e.FRONTEND_URL).map(withoutTrailingSlashes),
    publicUrl: publicUrl ? withoutTrailingSlashes(publicUrl) : undefined,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databaseListenUrl: e.DATABASE_LISTEN_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    auth,
    redisUrl: e.REDIS_URL,
    supabase:
      e.SUPABASE_URL && e.SUPABASE_SERVICE_ROLE_KEY
        ? { url: e.SUPABASE_URL, serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY }
        : undefined,
    clamav,
    allowUnscannedUploads: e.ALLOW_UNSCANNED_UPLOADS,
    storageBucket: e.SUPABASE_STORAGE_BUCKET,
    fileUrlSecret: e.FILE_URL_SECRET,
    fileUrlTtlSeconds: e.FILE_URL_TTL_SECONDS,
    logLevel: e.LOG_LEVEL,
    rateLimits: {
      messagesPerMinute: e.RATE_LIMIT_MESSAGES_PER_MINUTE,
      voiceNotesPerMinute: e.RATE_LIMIT_VOICE_NOTES_PER_MINUTE,
      filesPerMinute: e.RATE_LIMIT_FILES_PER_MINUTE,
      typingPerMinute: e.RATE_LIMIT_TYPING_PER_MINUTE,
      reactionsPerMinute: e.RATE_LIMIT_REACTIONS_PER_MINUTE,
      sessionsPerHour: e.RATE_LIMIT_SESSIONS_PER_HOUR,
      readsPerMinute: e.RATE_LIMIT_READS_PER_MINUTE,
    },
    trustedProxies: listOf(e.TRUSTED_PROXIES),
    trpcMaxBatchSize: e.TRPC_MAX_BATCH_SIZE,
    socketsPerUser: e.SOCKETS_PER_USER,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    uploadIdleTimeoutMs: e.UPLOAD_IDLE_TIMEOUT_MS,
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    socketPingIntervalMs: e.SOCKET_PING_INTERVAL_MS,
    socketPingTimeoutMs: e.SOCKET_PING_TIMEOUT_MS,
    socketEventsPer10s: e.SOCKET_EVENTS_PER_10S,
    webDistDir: e.WEB_DIST_DIR,
  };
}

/** Tokens are checked with a secret, else a key set, else (outside production) development sign-in. */
function authOf(e: z.output<typeof ZEnv>): AuthConfig {
  const secret = e.JWT_SECRET ?? e.SUPABASE_JWT_SECRET;
  const jwksUrl =
    e.JWKS_URL ??
    (e.SUPABASE_URL ? new URL('/auth/v1/.well-known/jwks.json', e.SUPABASE_URL).href : undefined);
  if (secret) return { kind: 'secret', secret };
  if (jwksUrl) return { kind: 'jwks', url: jwksUrl };
  if (e.NODE_ENV === 'production') {
    throw new ConfigError(
      'JWT_SECRET (or SUPABASE_JWT_SECRET, JWKS_URL or SUPABASE_URL) is required when NODE_ENV=production',
    );
  }
  return { kind: 'dev' };
}

/** What production refuses to start without: each check names the setting to fix. */
function requireProductionSettings(
  e: z.output<typeof ZEnv>,
  auth: AuthConfig,
  hasScanner: boolean,
): void {
  requireStrongSecrets(e);
  if (!e.PUBLIC_URL) {
    throw new ConfigError(
      'PUBLIC_URL is required when NODE_ENV=production (file links are built on it, never on request headers)',
    );
  }
  if (auth.kind === 'jwks' && !e.FILE_URL_SECRET) {
    throw new ConfigError(
      'FILE_URL_SECRET is required when NODE_ENV=production and tokens are checked with JWKS',
    );
  }
  if (!hasScanner && !e.ALLOW_UNSCANNED_UPLOADS) {
    throw new ConfigError(
      'CLAMAV_HOST (or CLAMAV_SOCKET) is required when NODE_ENV=production; set ALLOW_UNSCANNED_UPLOADS=true to accept unscanned files',
    );
  }
}

/** HMAC secrets shorter than SHA-256's own 32 bytes can be brute-forced offline from one token. */
const MIN_SECRET_BYTES = 32;

function requireStrongSecrets(e: z.output<typeof ZEnv>): void {
  const secrets = {
    JWT_SECRET: e.JWT_SECRET,
    SUPABASE_JWT_SECRET: e.SUPABASE_JWT_SECRET,
    FILE_URL_SECRET: e.FILE_URL_SECRET,
    METRICS_TOKEN: e.METRICS_TOKEN,
  };
  for (const [name, value] of Object.entries(secrets)) {
    if (value !== undefined && Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) {
      throw new ConfigError(
        `${name} must be at least ${MIN_SECRET_BYTES} bytes when NODE_ENV=production`,
      );
    }
  }
}

/** A comma-separated setting as its trimmed, non-empty items. */
function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Drops trailing `/` without a regex (a run of slashes made `/\/+$/` backtrack quadratically). */
export function withoutTrailingSlashes(value: string): string {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 47) end -= 1;
  return value.slice(0, end);
}
