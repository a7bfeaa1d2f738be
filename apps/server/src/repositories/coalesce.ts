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
  return isPg(db)
    ? sql`${column} = ANY(${sql.param([...ids])}::uuid[])`
    : inArray(column, [...ids]);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A key that can join a shared query: a well-formed UUID (anything else fails on its own). */
export const canShare = (key: string) => UUID.test(key);

/** Keys are compared as PostgreSQL prints uuids. */
export const uuidKey = (key: string) => key.toLowerCase();

/** Most keys in one statement; a larger batch is split. */
const MAX_KEYS = 1_000;

/** Queries of one loader in flight at once; further calls gather into the next batch meanwhile. */
const MAX_IN_FLIGHT = 2;

/** One batch's rows: in query order, and grouped by key (each group in query order). */
export interface Batched<R> {
  rows: R[];
  byKey: Map<string, R[]>;
  keyOf: (row: R) => string;
}

interface Batch<R> {
  keys: Set<string>;
  resolve: (result: Batched<R>) => void;
  reject: (error: unknown) => void;
  result: Promise<Batched<R>>;
}

/**
 * Returns a loader: each call adds its keys to the open batch and resolves with the rows of the
 * whole batch, grouped once by `keyOf` (callers pick theirs in O(1)). A batch is sent on
 * `setImmediate` (after every call made in this turn of the event loop) when fewer than
 * MAX_IN_FLIGHT of its queries are running, else as soon as one returns: under load batches
 * grow instead of queries queueing for the pool, and an idle server adds no wait. A batch is
 * never reused once sent: a call always sees a query issued after it was made.
 */
export function coalesce<R>(
  load: (keys: string[]) => Promise<R[]>,
  keyOf: (row: R) => string,
): (keys: readonly string[]) => Promise<Batched<R>> {
  let open: Batch<R> | null = null;
  let scheduled = false;
  let inFlight = 0;

  const send = () => {
    scheduled = false;
    const batch = open;
    if (!batch || inFlight >= MAX_IN_FLIGHT) return;
    open = null;
    inFlight++;
    const all = [...batch.keys];
    const chunks: string[][] = [];
    for (let i = 0; i < all.length; i += MAX_KEYS) chunks.push(all.slice(i, i + MAX_KEYS));
    Promise.all(chunks.map(load))
      .then((parts) => {
        const rows = parts.flat();
        const byKey = new Map<string, R[]>();
        for (const row of rows) {
          const key = keyOf(row);
          const group = byKey.get(key);
          if (group) group.push(row);
          else byKey.set(key, [row]);
        }
        batch.resolve({ rows, byKey, keyOf });
      }, batch.reject)
      .finally(() => {
        inFlight--;
        if (open && !scheduled) {
          scheduled = true;
          setImmediate(send);
        }
      });
  };

  return (keys) => {
    if (!open) {
      let resolve: (result: Batched<R>) => void = () => {};
      let reject: (error: unknown) => void = () => {};
      const result = new Promise<Batched<R>>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      open = { keys: new Set(), resolve, reject, result };
    }
    for (const key of keys) open.keys.add(uuidKey(key));
    if (!scheduled && inFlight < MAX_IN_FLIGHT) {
      scheduled = true;
      setImmediate(send);
    }
    return open.result;
  };
}

/** The rows of `keys` from a batch, in query order. */
export function pick<R>(batch: Batched<R>, keys: readonly string[]): R[] {
  if (keys.length === 1) return batch.byKey.get(uuidKey(keys[0] ?? '')) ?? [];
  const wanted = new Set(keys.map(uuidKey));
  return batch.rows.filter((row) => wanted.has(batch.keyOf(row)));
}

/**
 * A lookup by keys as the repositories use it: on the pool, keys that can join a shared query
 * share one with concurrent lookups (`coalesce`) and get their own rows back (`pick`); in a
 * transaction, on the embedded database or for a key that cannot be shared, `load` runs alone.
 * Rows come in `load`'s order either way.
 */
export function sharedLookup<R>(
  db: Executor,
  load: (keys: string[]) => Promise<R[]>,
  keyOf: (row: R) => string,
): (keys: readonly string[]) => Promise<R[]> {
  const batched = isPooled(db) ? coalesce(load, keyOf) : null;
  return async (keys) => {
    if (keys.length === 0) return [];
    if (batched && keys.every(canShare)) return pick(await batched(keys), keys);
    return load([...keys]);
  };
}
