import { createHmac } from 'node:crypto';
import { resolve } from 'node:path';
import { createClient } from '@supabase/supabase-js';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { type AppServices, createAppServices } from './app-services.js';
import {
  createDevAuthService,
  type DevAuthService,
  loadDevSecret,
} from './auth/dev-auth.service.js';
import {
  createJwksVerifier,
  createSecretVerifier,
  type TokenVerifier,
} from './auth/token-verifier.js';
import { createEventBus, type EventBus } from './bus/bus.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import {
  type BlobStore,
  createLocalBlobStore,
  createSupabaseBlobStore,
} from './media/blob-store.js';
import { createFileUrlSigner, type FileUrlSigner } from './media/file-urls.js';
import { createClamavScanner, noScanner, type Scanner } from './media/scanner.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createStore, type Store } from './repositories/store.js';
import type { FileUrls } from './services/message-view.js';
import { createRateLimiter } from './services/rate-limiter.js';
import { createOriginPolicy, type OriginPolicy } from './transport/origins.js';
import type { ReadinessCheck } from './transport/rest/health.routes.js';

/** What the app is built from: the parsed settings and the connections `main.ts` opened. */
export interface AppDeps {
  config: Config;
  database: Database;
  redis?: Redis | undefined;
  /** A dedicated connection for the Socket.IO adapter (it blocks on stream reads). */
  adapterRedis?: Redis | undefined;
  /** Metrics registry (a test or an embedding app may bring its own). */
  metrics?: Metrics;
  /** Replaces the configured blob store (tests of the storage contract). */
  blobStore?: BlobStore;
  /** Replaces the configured scanner. */
  scanner?: Scanner;
  /** Pino options, or false for silence (tests). */
  logger?: boolean | object;
}

/** Every dependency the plugins are given: built once, here, and nowhere else. */
export interface Composition {
  config: Config;
  database: Database;
  adapterRedis: Redis | undefined;
  metrics: Metrics;
  origins: OriginPolicy;
  store: Store;
  bus: EventBus;
  devAuth: DevAuthService | null;
  services: AppServices;
  /** What `/readyz` asks: the database, and Redis and the scanner when they are configured. */
  readiness: ReadinessCheck[];
}

/**
 * The composition root: ports get their adapters from the settings (PGlite or PostgreSQL came
 * with `database`; local disk or Supabase Storage; no scanner or clamd; memory or Redis limits),
 * and the services are built on them.
 */
export function compose(deps: AppDeps, log: FastifyBaseLogger): Composition {
  const { config, database, redis } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const origins = createOriginPolicy(config);
  const store = createStore(database, (operation, seconds) =>
    metrics.dbQuerySeconds.observe({ operation }, seconds),
  );
  const bus = createEventBus((error) => log.error({ err: error }, 'event subscriber failed'));
  const devSecret = config.auth.kind === 'dev' ? loadDevSecret(config.dataDir) : undefined;
  const devAuth = devSecret ? createDevAuthService(devSecret) : null;
  const signer = createFileUrlSigner(fileUrlSecret(config, devSecret), config.fileUrlTtlSeconds);
  const scanner = deps.scanner ?? createScanner(config);
  const services = createAppServices({
    store,
    bus,
    rateLimiter: createRateLimiter(config.rateLimits, redis, (budget) =>
      metrics.rateLimited.inc({ budget }),
    ),
    verifier: createVerifier(config, devSecret),
    devAuth,
    fileUrls: fileUrls(origins, signer),
    origins,
    blobStore: deps.blobStore ?? createBlobStore(config),
    scanner,
    signer,
  });
  const readiness: ReadinessCheck[] = [{ name: 'database', check: () => database.ping() }];
  if (redis) readiness.push({ name: 'redis', check: async () => void (await redis.ping()) });
  if (scanner.kind !== 'none') readiness.push({ name: 'scanner', check: () => scanner.ping() });
  return {
    config,
    database,
    adapterRedis: deps.adapterRedis,
    metrics,
    origins,
    store,
    bus,
    devAuth,
    services,
    readiness,
  };
}

function createBlobStore(config: Config): BlobStore {
  if (config.supabase) {
    const client = createClient(config.supabase.url, config.supabase.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    return createSupabaseBlobStore(client, config.storageBucket);
  }
  return createLocalBlobStore(resolve(config.dataDir, 'files'));
}

function createScanner(config: Config): Scanner {
  return config.clamav ? createClamavScanner(config.clamav) : noScanner;
}

/** File links are signed with FILE_URL_SECRET, else a key derived from the JWT secret, so every node agrees. */
function fileUrlSecret(config: Config, devSecret: string | undefined): string {
  if (config.fileUrlSecret) return config.fileUrlSecret;
  const root = config.auth.kind === 'secret' ? config.auth.secret : devSecret;
  if (!root) return loadDevSecret(config.dataDir);
  return createHmac('sha256', root).update('chat-file-urls').digest('hex');
}

/** `origin` is a caller's link base, already vetted by the origin policy (never a raw header). */
function fileUrls(origins: OriginPolicy, signer: FileUrlSigner): FileUrls {
  return {
    builderFor(origin) {
      const base = origin ?? origins.linkBase(undefined, undefined);
      return (message, variant) =>
        `${base}/api/chat/files/${message.id}?${signer.query(message.id, variant)}`;
    },
  };
}

function createVerifier(config: Config, devSecret: string | undefined): TokenVerifier {
  switch (config.auth.kind) {
    case 'secret':
      return createSecretVerifier(config.auth.secret);
    case 'jwks':
      return createJwksVerifier(config.auth.url);
    case 'dev':
      if (!devSecret) throw new Error('development sign-in needs its secret');
      return createSecretVerifier(devSecret);
  }
}
