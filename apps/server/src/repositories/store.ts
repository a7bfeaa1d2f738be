import type { Database, Executor } from '../db/database.js';
import { createAuditRepository } from './audit.repository.js';
import { createBookingsRepository } from './bookings.repository.js';
import { createMessagesRepository } from './messages.repository.js';
import { createProfilesRepository } from './profiles.repository.js';
import { createSessionsRepository } from './sessions.repository.js';

export function createRepositories(db: Executor) {
  return {
    profiles: createProfilesRepository(db),
    bookings: createBookingsRepository(db),
    sessions: createSessionsRepository(db),
    messages: createMessagesRepository(db),
    audit: createAuditRepository(db),
  };
}
export type Repositories = ReturnType<typeof createRepositories>;

/** The repositories plus a way to run several of their calls in one transaction. */
export interface Store {
  readonly repos: Repositories;
  transaction<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
}

export function createStore(database: Database): Store {
  return {
    repos: createRepositories(database.db),
    transaction: (fn) => database.transaction((tx) => fn(createRepositories(tx))),
    ping: () => database.ping(),
  };
}
