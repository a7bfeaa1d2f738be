import { Redis } from 'ioredis';
import type { Config } from './config.js';
import { type Database, openDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import { seedDemoData } from './demo/demo-data.js';
import { createStore } from './repositories/store.js';

export interface Runtime {
  database: Database;
  /** Commands (rate limits, readiness): fails fast while Redis is away. */
  redis: Redis | undefined;
  /** The Socket.IO adapter's connection: queues and retries while Redis is away. */
  adapterRedis: Redis | undefined;
  close(): Promise<void>;
}

/** Opens the database (migrated, seeded in development) and Redis, before anything listens. */
export async function openRuntime(config: Config): Promise<Runtime> {
  const database = await openDatabase(
    config.databaseUrl
      ? {
          kind: 'postgres',
          url: config.databaseUrl,
          poolSize: config.databasePoolSize,
          statementTimeoutMs: config.databaseStatementTimeoutMs,
          listenUrl: config.databaseListenUrl,
        }
      : { kind: 'pglite', dataDir: config.dataDir },
  );
  await migrate(database);
  if (config.auth.kind === 'dev') await seedDemoData(createStore(database).repos);

  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        lazyConnect: true,
      })
    : undefined;
  if (redis) {
    redis.on('error', () => {
      // ioredis reconnects by itself; readiness reports the outage.
    });
    // A node may start while Redis is away: it serves with per-node rate limits (the insurance
    // limiter), /readyz says Redis is down, and ioredis keeps reconnecting in the background.
    await redis.connect().catch(() => {});
  }
  const adapterRedis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: null })
    : undefined;
  adapterRedis?.on('error', () => {
    // Reconnects by itself; the stream adapter resumes reading where it stopped.
  });
  return {
    database,
    redis,
    adapterRedis,
    async close() {
      redis?.disconnect();
      adapterRedis?.disconnect();
      await database.close();
    },
  };
}
