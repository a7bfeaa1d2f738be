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
  /**
   * Subscribes to `NOTIFY` on `channel` until the returned function is called. Resolves once the
   * channel is listened to, or once the first attempt failed (it is retried in the background).
   */
  listen(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** What a `listen` subscriber is told. */
export interface NotificationHandlers {
  /** One notification's payload. */
  notify(payload: string): void;
  /**
   * Notifications may have been lost: the listening connection was cut (or could not open) and
   * listens again now. Never on the embedded database, which has no connection to lose.
   */
  missed(): void;
  /** The listening connection failed; it is re-opened with back-off. */
  lost?(error: unknown): void;
}

export type DatabaseOptions =
  | {
      kind: 'postgres';
      url: string;
      poolSize: number;
      /** Server-side `statement_timeout`; the client gives up on a silent server 1 s later. */
      statementTimeoutMs?: number;
      /**
       * Where the one listening connection goes, when `url` is a transaction-mode pooler (which
       * accepts a LISTEN and then never delivers a notification): session mode or direct.
       */
      listenUrl?: string | undefined;
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
    const listener = createPgListener(options.listenUrl ?? options.url);
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
      listen: listener.listen,
      close: async () => {
        await listener.close();
        await pool.end();
      },
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
    listen: async (channel, handlers) => {
      const unlisten = await client.listen(channel, (payload) => handlers.notify(payload));
      return () => unlisten();
    },
    close: () => client.close(),
  };
}

/** Back-off between attempts to re-open the listening connection. */
const LISTEN_RETRY_FIRST_MS = 250;
const LISTEN_RETRY_MAX_MS = 5_000;
/**
 * How often the listening connection is asked `SELECT 1`. It only ever receives, so a connection
 * cut without a word (a network gone, not a server that closed it) would otherwise go unnoticed
 * for as long as TCP keepalive takes (minutes), with every notification meanwhile lost.
 */
const LISTEN_HEARTBEAT_MS = 30_000;
const LISTEN_QUERY_TIMEOUT_MS = 10_000;

/**
 * One connection that LISTENs for every subscriber of a database, outside the pool (a pooled
 * connection goes back to the pool and serves other requests; a LISTEN must stay on its own).
 * When it is lost it is re-opened with back-off, and subscribers are told notifications may have
 * been missed once it listens again.
 */
function createPgListener(url: string) {
  const channels = new Map<string, Set<NotificationHandlers>>();
  let client: pg.Client | undefined;
  /** The channels `client` listens to. */
  let listening = new Set<string>();
  let opening: Promise<void> | undefined;
  let closed = false;
  /** A connection was lost, or could not be opened, since one last listened. */
  let missed = false;
  let retryDelay = LISTEN_RETRY_FIRST_MS;
  let retryTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const everyone = () => [...channels.values()].flatMap((set) => [...set]);

  const failed = (error: unknown) => {
    missed = true;
    for (const handlers of everyone()) handlers.lost?.(error);
  };

  const lost = (which: pg.Client, error: unknown) => {
    if (which !== client) return;
    client = undefined;
    clearInterval(heartbeat);
    // Not awaited: on a dead network the goodbye may never be answered.
    which.end().catch(() => {});
    failed(error);
    retryLater();
  };

  const retryLater = () => {
    if (closed || retryTimer || opening || channels.size === 0) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void open();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, LISTEN_RETRY_MAX_MS);
  };

  const open = (): Promise<void> => {
    opening ??= (async () => {
      const next = new pg.Client({
        connectionString: url,
        keepAlive: true,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        query_timeout: LISTEN_QUERY_TIMEOUT_MS,
      });
      next.on('error', (error) => lost(next, error));
      next.on('end', () => lost(next, new Error('Connection terminated')));
      next.on('notification', ({ channel, payload }) => {
        for (const handlers of channels.get(channel) ?? []) handlers.notify(payload ?? '');
      });
      const listened = new Set<string>();
      try {
        await next.connect();
        // Channels subscribed while this connection was opening are listened to as well.
        for (let todo = [...channels.keys()]; todo.length > 0; ) {
          for (const channel of todo) {
            await next.query(`LISTEN ${next.escapeIdentifier(channel)}`);
            listened.add(channel);
          }
          todo = [...channels.keys()].filter((channel) => !listened.has(channel));
        }
      } catch (error) {
        next.end().catch(() => {});
        failed(error);
        return;
      }
      if (closed) {
        await next.end().catch(() => {});
        return;
      }
      client = next;
      listening = listened;
      retryDelay = LISTEN_RETRY_FIRST_MS;
      heartbeat = setInterval(() => {
        next.query('SELECT 1').catch((error: unknown) => lost(next, error));
      }, LISTEN_HEARTBEAT_MS);
      heartbeat.unref();
      if (missed) {
        missed = false;
        for (const handlers of everyone()) handlers.missed();
      }
    })().finally(() => {
      opening = undefined;
      if (!client) retryLater();
    });
    return opening;
  };

  return {
    async listen(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>> {
      const subscribers = channels.get(channel) ?? new Set();
      subscribers.add(handlers);
      channels.set(channel, subscribers);
      if (opening) await opening;
      else if (!client) await open();
      else if (!listening.has(channel)) {
        const current = client;
        try {
          await current.query(`LISTEN ${current.escapeIdentifier(channel)}`);
          listening.add(channel);
        } catch (error) {
          lost(current, error);
        }
      }
      return async () => {
        subscribers.delete(handlers);
        if (subscribers.size > 0 || channels.get(channel) !== subscribers) return;
        channels.delete(channel);
        const current = client;
        if (!current || !listening.delete(channel)) return;
        await current.query(`UNLISTEN ${current.escapeIdentifier(channel)}`).catch(() => {});
      };
    },
    async close(): Promise<void> {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(heartbeat);
      if (opening) await opening;
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
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
