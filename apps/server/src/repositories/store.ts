import { type Database, type Executor, isDatabaseUnavailable } from '../db/database.js';
import { ChatError } from '../errors.js';
import { createAuditRepository } from './audit.repository.js';
import { createBookingsRepository } from './bookings.repository.js';
import { isPg } from './coalesce.js';
import { createMessagesRepository } from './messages.repository.js';
import { createProfilesRepository } from './profiles.repository.js';
import { createSessionsRepository } from './sessions.repository.js';

/** Called with each repository call's name and duration (metrics). */
export type QueryTimer = (operation: string, seconds: number) => void;

export function createRepositories(db: Executor, timer?: QueryTimer) {
  const repos = {
    profiles: createProfilesRepository(db),
    bookings: createBookingsRepository(db),
    sessions: createSessionsRepository(db),
    messages: createMessagesRepository(db),
    audit: createAuditRepository(db),
  };
  return guarded(repos, timer);
}

/**
 * The database being away is not a bug: callers get `SERVICE_UNAVAILABLE` (503, retry later)
 * instead of an internal error. Nothing is acknowledged; a retry with the same message id is
 * safe even when a COMMIT went through before the connection dropped.
 */
export function unavailableError(error: unknown): unknown {
  if (error instanceof ChatError || !isDatabaseUnavailable(error)) return error;
  return new ChatError('SERVICE_UNAVAILABLE', 'The database is unavailable, try again shortly', {
    retryAfterSeconds: 5,
    cause: error,
  });
}

/**
 * Wraps every repository method to report its duration (when timed) and to turn the database
 * being away into `SERVICE_UNAVAILABLE`, keeping the types as they are.
 */
function guarded<T extends Record<string, Record<string, unknown>>>(
  repos: T,
  timer: QueryTimer | undefined,
): T {
  const wrapped: Record<string, Record<string, unknown>> = {};
  for (const [name, repo] of Object.entries(repos)) {
    wrapped[name] = Object.fromEntries(
      Object.entries(repo).map(([method, fn]) => {
        if (typeof fn !== 'function') return [method, fn];
        const operation = `${name}.${method}`;
        return [
          method,
          async (...args: unknown[]) => {
            const started = performance.now();
            try {
              return await (fn as (...a: unknown[]) => Promise<unknown>).apply(repo, args);
            } catch (error) {
              throw unavailableError(error);
            } finally {
              timer?.(operation, (performance.now() - started) / 1000);
            }
          },
        ];
      }),
    );
  }
  return wrapped as T;
}
export type Repositories = ReturnType<typeof createRepositories>;

/** The repositories plus a way to run several of their calls in one transaction. */
export interface Store {
  readonly repos: Repositories;
  /** node-postgres: a group commit is one statement (`messages.appendBatch`), no transaction. */
  readonly oneStatementAppend: boolean;
  transaction<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
}

export function createStore(database: Database, timer?: QueryTimer): Store {
  return {
    repos: createRepositories(database.db, timer),
    oneStatementAppend: isPg(database.db),
    transaction: async (fn) => {
      try {
        return await database.transaction((tx) => fn(createRepositories(tx, timer)));
      } catch (error) {
        throw unavailableError(error);
      }
    },
    ping: () => database.ping(),
  };
}
