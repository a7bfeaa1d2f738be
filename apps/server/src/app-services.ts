import { type AuthService, createAuthService } from './auth/auth.service.js';
import type { DevAuthService } from './auth/dev-auth.service.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import type { EventBus } from './bus/bus.js';
import type { BlobStore } from './media/blob-store.js';
import type { FileUrlSigner } from './media/file-urls.js';
import type { Scanner } from './media/scanner.js';
import type { Store } from './repositories/store.js';
import { createRosterCache } from './services/access.policy.js';
import { createFilesService, type FilesService } from './services/files.service.js';
import { createMessageCommitter } from './services/message-committer.js';
import type { FileUrls } from './services/message-view.js';
import { createMessagesService, type MessagesService } from './services/messages.service.js';
import { createPresenceService, type PresenceService } from './services/presence.service.js';
import {
  createProfileChangesService,
  type ProfileChangesService,
} from './services/profile-changes.service.js';
import type { RateLimiter } from './services/rate-limiter.js';
import { createReactionsService, type ReactionsService } from './services/reactions.service.js';
import { createSessionsService, type SessionsService } from './services/sessions.service.js';
import { createTypingService, type TypingService } from './services/typing.service.js';
import type { OriginPolicy } from './transport/origins.js';

/** Every service, built once from the ports; each transport gets this and nothing lower. */
export interface AppServices {
  auth: AuthService;
  /** Present only with development sign-in (no JWT setting, not production). */
  devAuth: DevAuthService | null;
  sessions: SessionsService;
  messages: MessagesService;
  reactions: ReactionsService;
  files: FilesService;
  /** Who is announced joining and leaving a session (the socket's tabs). */
  presence: PresenceService;
  /** Which `typing_start` is checked and counted. */
  typing: TypingService;
  /** Role changes and deleted profiles announced by the database. */
  profileChanges: ProfileChangesService;
  /** Where requests may come from and which link base each gets (every transport asks it). */
  origins: OriginPolicy;
}

export interface ServiceDeps {
  store: Store;
  bus: EventBus;
  rateLimiter: RateLimiter;
  verifier: TokenVerifier;
  devAuth: DevAuthService | null;
  fileUrls: FileUrls;
  blobStore: BlobStore;
  scanner: Scanner;
  signer: FileUrlSigner;
  origins: OriginPolicy;
}

export function createAppServices(base: ServiceDeps): AppServices {
  const deps = {
    ...base,
    committer: createMessageCommitter(base.store),
    rosters: createRosterCache(base.store.repos),
  };
  const auth = createAuthService(deps.verifier, deps.store.repos.profiles);
  const sessions = createSessionsService(deps);
  return {
    auth,
    devAuth: deps.devAuth,
    sessions,
    messages: createMessagesService(deps),
    reactions: createReactionsService(deps),
    files: createFilesService(deps),
    presence: createPresenceService(),
    typing: createTypingService({ sessions }),
    profileChanges: createProfileChangesService({ ...deps, auth }),
    origins: deps.origins,
  };
}
