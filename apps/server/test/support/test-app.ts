import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type BuiltApp, buildApp } from '../../src/app.js';
import { signUserToken } from '../../src/auth/token-verifier.js';
import { type Config, loadConfig } from '../../src/config.js';
import { type Database, openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import type { ProfileRow } from '../../src/domain/types.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/**
 * The database every integration suite runs on: the real PostgreSQL when DATABASE_URL is set
 * (CI sets it), else an in-memory PGlite per test file.
 */
export function testDatabaseUrl(): string | undefined {
  return process.env.DATABASE_URL || undefined;
}

export interface TestApp extends BuiltApp {
  config: Config;
  database: Database;
  /** The app's Redis connection (rate limits), when REDIS_URL is passed in `env`. */
  redis: Redis | undefined;
  /** Listens on an ephemeral loopback port (for @trpc/client and sockets). */
  listen(): Promise<string>;
  close(): Promise<void>;
  factory: Factory;
}

export interface TestAppOptions {
  /**
   * Another test app's database, for a second app in the same file (other settings, same data):
   * saves booting another PGlite. The app that opened it closes it.
   */
  database?: Database;
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const databaseUrl = testDatabaseUrl();
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: `/tmp/chat-test-${randomUUID()}`,
    FRONTEND_URL: 'http://allowed.example',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '4' } : {}),
    WEB_DIST_DIR: '/nonexistent-web-dist',
    ...env,
  });
  const ownsDatabase = options.database === undefined;
  const database =
    options.database ??
    (await openDatabase(
      config.databaseUrl
        ? { kind: 'postgres', url: config.databaseUrl, poolSize: config.databasePoolSize }
        : { kind: 'pglite', dataDir: undefined },
    ));
  if (ownsDatabase) await migrate(database);
  // As runtime.ts connects it: commands fail fast instead of queueing while Redis is away.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        lazyConnect: true,
      })
    : undefined;
  if (redis) {
    redis.on('error', () => {});
    await redis.connect();
  }
  const built = await buildApp({ config, database, redis, logger: false });
  await built.app.ready();
  const factory = createFactory(built);
  return {
    ...built,
    config,
    database,
    redis,
    factory,
    async listen() {
      await built.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = built.app.server.address() as AddressInfo;
      return `http://127.0.0.1:${port}`;
    },
    async close() {
      await built.app.close();
      redis?.disconnect();
      if (ownsDatabase) await database.close();
    },
  };
}

/** A suite's app, started by `useTestApp`: the `TestApp` and the URL it listens on. */
export interface SuiteApp extends TestApp {
  baseUrl: string;
}

export interface UseTestAppOptions {
  /** Another suite app whose database this one uses (other settings, same data). */
  sharesDatabaseWith?: SuiteApp;
  /** Sockets the suite opens: disconnected before the app closes. */
  sockets?: Array<{ disconnect(): unknown }>;
}

/**
 * A suite's app: `beforeAll` starts it with `env` and listens on a loopback port, `afterAll`
 * disconnects the suite's sockets and closes it. The returned object is filled in when the app
 * has started, so read it inside tests and hooks (the suite's own `beforeAll`, registered after
 * this call, runs after the start). Vitest runs `afterAll` hooks last-registered first: an app
 * that shares another's database, registered after it, closes before it.
 */
export function useTestApp(
  env: Record<string, string> = {},
  options: UseTestAppOptions = {},
): SuiteApp {
  const suiteApp = {} as SuiteApp;
  beforeAll(async () => {
    const database = options.sharesDatabaseWith?.database;
    const started = await startTestApp(env, database ? { database } : {});
    Object.assign(suiteApp, started);
    suiteApp.baseUrl = await started.listen();
  });
  afterAll(async () => {
    for (const socket of options.sockets ?? []) socket.disconnect();
    await suiteApp.close?.();
  });
  return suiteApp;
}

export interface TestUser extends ProfileRow {
  token: string;
  auth: { authorization: string };
}

export type Factory = ReturnType<typeof createFactory>;

/** Each test makes its own users, bookings and sessions: no test depends on another's data. */
export function createFactory({ store, app }: BuiltApp) {
  let counter = 0;
  const factory = {
    async user(
      role: ProfileRow['role'] = 'client',
      names: Partial<ProfileRow> = {},
    ): Promise<TestUser> {
      counter += 1;
      const profile: ProfileRow = {
        id: randomUUID(),
        firstName: names.firstName ?? `${role[0]?.toUpperCase()}${role.slice(1)}${counter}`,
        lastName: names.lastName ?? 'Tester',
        avatarUrl: names.avatarUrl ?? null,
        role,
      };
      await store.repos.profiles.insertMissing([profile]);
      const { token } = await signUserToken(TEST_JWT_SECRET, profile.id, 3600);
      return { ...profile, token, auth: { authorization: `Bearer ${token}` } };
    },

    async booking(
      client: { id: string },
      reader: { id: string },
      status = 'confirmed',
    ): Promise<{ id: string; serviceId: string }> {
      const serviceId = randomUUID();
      const id = randomUUID();
      await store.repos.bookings.insertService({
        id: serviceId,
        name: 'Full Tarot Reading',
        type: 'comprehensive',
      });
      await store.repos.bookings.insertBooking({
        id,
        clientId: client.id,
        readerId: reader.id,
        serviceId,
        status,
      });
      return { id, serviceId };
    },

    /** A client, a reader, their booking and its open chat session. */
    async bookingChat() {
      const client = await factory.user('client');
      const reader = await factory.user('reader');
      const booking = await factory.booking(client, reader);
      const response = await app.inject({
        method: 'POST',
        url: '/api/chat/sessions',
        headers: client.auth,
        payload: { booking_id: booking.id },
      });
      if (response.statusCode !== 201) throw new Error(`session create failed: ${response.body}`);
      const sessionId = response.json().data.id as string;
      return { client, reader, booking, sessionId };
    },

    async message(
      user: TestUser,
      sessionId: string,
      content = 'hello',
    ): Promise<{ id: string; seq: number }> {
      const response = await app.inject({
        method: 'POST',
        url: '/api/chat/messages',
        headers: user.auth,
        payload: { session_id: sessionId, content },
      });
      if (response.statusCode !== 201) throw new Error(`send failed: ${response.body}`);
      return response.json().data;
    },
  };
  return factory;
}

/** The URL of a service a suite needs; in CI a missing one fails the suite instead of skipping it. */
export function requiredServiceUrl(variable: 'REDIS_URL' | 'CLAMAV_HOST' | 'DATABASE_URL'): string {
  const value = process.env[variable];
  if (!value) throw new Error(`${variable} is not set: this suite needs the real service`);
  return value;
}
