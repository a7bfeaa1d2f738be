import { type Column, inArray, type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import type { Executor } from '../db/database.js';

/**
 * Group reads, the read-side twin of the group commit: lookups by key that arrive during the
 * same turn of the event loop (many sockets' events, many requests) share one `IN (...)` query
 * instead of taking one pooled connection and one round trip each.
 *
 * Only on the connection pool: there, concurrent calls already run on different connections
 * with no order between them, so merging them changes no result. A transaction (one connection,
 * statements in call order) and the embedded database keep one query per call.
 */
export function isPooled(db: Executor): boolean {
  return (db as unknown as { $client?: unknown }).$client instanceof pg.Pool;
}

/**
 * node-postgres (the pool, or one of its connections in a transaction): arrays can travel as one
 * parameter (`= ANY($1)`, `unnest($1, $2...)`), which keeps big batches cheap to build and send.
 * The embedded database keeps drizzle's lists.
 */
export function isPg(db: Executor): boolean {
  const client = (db as unknown as { $client?: unknown }).$client;
  return client instanceof pg.Pool || client instanceof pg.Client;
}

/** `column IN (...)` as one array parameter on node-postgres; drizzle's list elsewhere. */
export function inUuids(db: Executor, column: Column, ids: readonly string[]): SQL {
  return isPg(db) ? sql`${column} = ANY(${sql.param([...ids])}::uuid[])` : inArray(column, [...ids]);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A key that can join a shared query: a well-formed UUID (anything else fails on its own). */
export const canShare = (key: string) => UUID.test(key);

/** Keys are compared as PostgreSQL prints uuids. */
export const uuidKey = (key: string) => key.toLowerCase();

/** Most keys in one statement; a larger batch is split. */
const MAX_KEYS = 1_000;

/**
 * Returns a loader: each call adds its keys to the batch of the current turn and resolves with
 * the rows of the whole batch (callers pick theirs). The batch is sent on `setImmediate`, after
 * every call made in this turn, and never reused once sent: a call always sees a query issued
 * after it was made.
 */
export function coalesce<R>(load: (keys: string[]) => Promise<R[]>): (keys: readonly string[]) => Promise<R[]> {
  let open: { keys: Set<string>; rows: Promise<R[]> } | null = null;
  return (keys) => {
    if (!open) {
      const batch: { keys: Set<string>; rows: Promise<R[]> } = { keys: new Set(), rows: Promise.resolve([]) };
      batch.rows = new Promise<R[]>((resolve, reject) => {
        setImmediate(() => {
          if (open === batch) open = null;
          const all = [...batch.keys];
          const chunks: string[][] = [];
          for (let i = 0; i < all.length; i += MAX_KEYS) chunks.push(all.slice(i, i + MAX_KEYS));
          Promise.all(chunks.map(load)).then((parts) => resolve(parts.flat()), reject);
        });
      });
      open = batch;
    }
    for (const key of keys) open.keys.add(uuidKey(key));
    return open.rows;
  };
}
