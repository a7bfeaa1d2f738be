import type { TChatMessage } from '@chat/contracts';
import type { Actor } from '../domain/types.js';
import { ChatError } from '../errors.js';
import type { UploadEndpoint } from '../media/file-kind.js';
import type { Repositories } from '../repositories/store.js';
import { assertActive, authorizeFromRoster, type RosterCache } from './access.policy.js';
import type { FileUrls } from './message-view.js';
import type { RateLimiter } from './rate-limiter.js';
import { findStoredRetry, presentStoredRetry } from './stored-retry.js';

/**
 * A sender cleared to upload into a session, with the upload counted against their budget; or,
 * for a retry of an upload already stored, its message (nothing counted, no file needed).
 */
export interface UploadGrant {
  sessionId: string;
  endpoint: UploadEndpoint;
  participantIds: readonly string[];
  isParticipant: boolean;
  /** The client id looked up when the grant was made (undefined: none was known yet). */
  checkedId: string | undefined;
  /** The stored message of that id: the upload is a retry, answered with it. */
  stored: TChatMessage | null;
}

/** What the receiver knows when it asks for clearance: the target and the client's id, if sent. */
export interface UploadTarget {
  sessionId: string;
  /** The multipart `id` field, when it came before the file (a retry can then be answered). */
  id: string | undefined;
}

/**
 * `receive`: read the file (and scan it as it arrives). `discard`: the upload is a retry of a
 * stored message; its bytes are read past, neither spooled nor scanned.
 */
export type UploadClearance = 'receive' | 'discard';

/** Asked by the receiver as the file part starts (or once the body is in, file first). */
export type UploadAuthorizer = (target: UploadTarget) => Promise<UploadClearance>;

export interface UploadGrantDeps {
  repos: Repositories;
  rosters: RosterCache;
  rateLimiter: RateLimiter;
  fileUrls: FileUrls;
}

/**
 * The budget an upload counts against. It is counted when the sender is cleared (before the file
 * is read when `session_id` comes first) and given back when the upload stores nothing before
 * the pipeline (too large, cut off, bad fields, abandoned) or turns out to be a retry.
 */
const budgetOf = (endpoint: UploadEndpoint) => (endpoint === 'voice' ? 'voice_notes' : 'files');

/**
 * Access (participants are kept in memory), an active session, then the budget. A client id
 * already stored by this sender in this session is a retry: its message is the answer, and
 * no budget is spent, so a retry is answered even when the budget is used up (as a repeated
 * text message is).
 */
export async function authorizeUpload(
  deps: UploadGrantDeps,
  actor: Actor,
  endpoint: UploadEndpoint,
  { sessionId, id }: UploadTarget,
): Promise<UploadGrant> {
  const { repos } = deps;
  // The client's id is looked up beside the session (one round trip, not two in a row).
  const [session, access, existing] = await Promise.all([
    repos.sessions.findById(sessionId),
    authorizeFromRoster(repos, deps.rosters, actor, sessionId, 'write', 'file.upload'),
    id === undefined ? null : repos.messages.findById(id),
  ]);
  if (!session) throw new ChatError('SESSION_NOT_FOUND');
  assertActive(session);
  const stored = await presentStoredRetry(repos, deps.fileUrls, existing, actor, sessionId);
  if (!stored) await deps.rateLimiter.consume(budgetOf(endpoint), actor.id);
  return { sessionId, endpoint, ...access, checkedId: id, stored };
}

/** Gives back what a grant counted (a retry's grant counted nothing). */
export async function releaseUpload(
  deps: UploadGrantDeps,
  actor: Actor,
  grant: UploadGrant,
): Promise<void> {
  if (!grant.stored) await deps.rateLimiter.refund(budgetOf(grant.endpoint), actor.id);
}

/**
 * Runs the receiver with the clearance it asks for. When it fails (too large, cut off, bad
 * fields, abandoned), the grant it was given goes back.
 */
export async function receiveUnderGrant<R>(
  deps: UploadGrantDeps,
  actor: Actor,
  endpoint: UploadEndpoint,
  receive: (authorize: UploadAuthorizer) => Promise<R>,
): Promise<{ received: R; grant: UploadGrant | undefined }> {
  let grant: UploadGrant | undefined;
  try {
    const received = await receive(async (target) => {
      grant = await authorizeUpload(deps, actor, endpoint, target);
      // A retry of a stored upload: its message is the answer, its bytes are not needed.
      return grant.stored ? 'discard' : 'receive';
    });
    return { received, grant };
  } catch (error) {
    if (grant) await releaseUpload(deps, actor, grant);
    throw error;
  }
}

/**
 * The grant the upload is stored under, once every field is in: the one taken as the file
 * started, or one taken now (none was, or a second `session_id` changed the target).
 */
export async function settleGrant(
  deps: UploadGrantDeps,
  actor: Actor,
  endpoint: UploadEndpoint,
  held: UploadGrant | undefined,
  target: UploadTarget,
): Promise<UploadGrant> {
  if (held?.stored && (held.sessionId !== target.sessionId || held.stored.id !== target.id)) {
    // The retry's file was read past; a field after it cannot make it another upload.
    throw new ChatError('VALIDATION_ERROR', 'id and session_id changed after the file', {
      details: ['id: send id and session_id once, before the file'],
    });
  }
  if (held && held.sessionId === target.sessionId) return held;
  // A second session_id field changed the target after the first was cleared.
  if (held) await releaseUpload(deps, actor, held);
  return authorizeUpload(deps, actor, endpoint, target);
}

/**
 * The stored message of the upload's id, looked up after the grant counted it (an id sent
 * after the file, or a commit that found the id taken). Found, the budget goes back; a lookup
 * that fails (another sender's id) gives it back too.
 */
export async function findUploadRetry(
  deps: UploadGrantDeps,
  actor: Actor,
  grant: UploadGrant,
  target: UploadTarget,
): Promise<TChatMessage | null> {
  const budget = budgetOf(grant.endpoint);
  try {
    const message =
      target.id === undefined
        ? null
        : await findStoredRetry(deps.repos, deps.fileUrls, target.id, actor, target.sessionId);
    if (message) await deps.rateLimiter.refund(budget, actor.id);
    return message;
  } catch (error) {
    await deps.rateLimiter.refund(budget, actor.id);
    throw error;
  }
}

/**
 * A retry's answer: the stored message the grant found, or one found now for an id the grant
 * did not look up (sent after the file). Null: a new upload, stored by the pipeline.
 */
export async function uploadRetryAnswer(
  deps: UploadGrantDeps,
  actor: Actor,
  grant: UploadGrant,
  target: UploadTarget,
): Promise<TChatMessage | null> {
  if (grant.stored) return grant.stored;
  if (target.id === undefined || target.id === grant.checkedId) return null;
  return findUploadRetry(deps, actor, grant, target);
}
