import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { schema } from './schema.js';

/** The query surface repositories get: a database or a transaction, on either driver. */
export type Executor = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Executor;
  /** Runs `fn` in one transaction; any throw rolls everything back. */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  /** Runs raw SQL text (several statements allowed), e.g. a migration. */
  exec(sqlText: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | {
      kind: 'postgres';
      url: string;
      poolSize: number;
      /** Server-side `statement_timeout`; the client gives up on a silent server 1 s later. */
      statementTimeoutMs?: number;
    }
  /** `dataDir` undefined: in memory (tests). */
  | { kind: 'pglite'; dataDir: string | undefined };

/** How long a request waits for a pooled connection before failing (the database is away or saturated). */
const CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.kind === 'postgres') {
    const statementTimeout = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      // Fail fast instead of queueing forever when the database is away.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      statement_timeout: statementTimeout,
      // A server that stops answering (network cut, not a refused connection) must not hold a
      // request forever: the client gives up a little after the server-side timeout would have.
      query_timeout: statementTimeout + 1_000,
      keepAlive: true,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    const db = drizzlePg(pool, { schema }) as unknown as Executor;
    return {
      kind: 'postgres',
      db,
      transaction: (fn) => pgTransaction(pool, fn),
      exec: async (text) => {
        await pool.query(text);
      },
      ping: async () => {
        await pool.query('SELECT 1');
      },
      close: () => pool.end(),
    };
  }

  let client: PGlite;
  if (options.dataDir === undefined) {
    client = new PGlite();
  } else {
    const dir = resolve(options.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    client = new PGlite(dir);
  }
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Executor;
  return {
    kind: 'pglite',
    db,
    transaction: (fn) => db.transaction(fn),
    exec: async (text) => {
      await client.exec(text);
    },
    ping: async () => {
      await client.query('SELECT 1');
    },
    close: () => client.close(),
  };
}

/**
 * One transaction on one pooled connection, which always goes back to the pool: destroyed when
 * the connection failed or BEGIN or ROLLBACK did (a dead or wedged connection must not serve
 * the next request).
 * (drizzle's own pool transaction leaks the connection when BEGIN fails, and returns one whose
 * ROLLBACK failed, so an outage could exhaust the pool for good.)
 */
async function pgTransaction<T>(pool: pg.Pool, fn: (tx: Executor) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
  } catch (error) {
    client.release(error instanceof Error ? error : new Error('BEGIN failed'));
    throw error;
  }
  try {
    // Bound to this connection: drizzle runs every statement of `fn` on it.
    const result = await fn(drizzlePg(client, { schema }) as unknown as Executor);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (isDatabaseUnavailable(error)) {
      // The connection is gone or wedged behind a query that never answered: a ROLLBACK would
      // wait as long again. Destroying it ends the transaction on the server too.
      broken = error as Error;
      throw error;
    }
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error('ROLLBACK failed');
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * The database cannot be reached or did not answer in time (as opposed to a query it refused):
 * refused or dropped connections, pool timeouts, a server shutting down or overloaded, a
 * statement cut by `statement_timeout`. Looks through wrapping errors (drizzle wraps driver errors).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') {
      if (NETWORK_ERROR_CODES.has(code)) return true;
      // SQLSTATE: connection exceptions (08), shutdown / cannot connect now (57P0x),
      // too many connections (53300), statement timeout (57014).
      if (/^08/.test(code) || /^57P0/.test(code) || code === '53300' || code === '57014')
        return true;
    }
    if (UNAVAILABLE_MESSAGES.some((m) => current instanceof Error && current.message.includes(m)))
      return true;
    current = current.cause;
  }
  return false;
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** node-postgres and pg-pool say these without a code. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
];

/** Rows of a raw query, on either driver (both answer `{ rows }`). */
export async function queryRows<T>(executor: Executor, query: SQL): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

export { sql };
