import { LRUCache } from 'lru-cache';
import type { Actor, MessageRow, ParticipantRow, SessionRow } from '../domain/types.js';
import { ChatError } from '../errors.js';
import type { Repositories } from '../repositories/store.js';

/**
 * read: see the session, its messages and files.
 * write: send, react (participants; admins anywhere, for moderation and support).
 * moderate: delete others' messages, change status, post system messages (admins only).
 * member: what only a participant has, whatever the role (their own read cursor).
 */
export type AccessMode = 'read' | 'write' | 'moderate' | 'member';

export interface SessionAccess {
  session: SessionRow;
  participants: ParticipantRow[];
  /** The actor's own participant row; null when access comes from the admin/monitor override. */
  membership: ParticipantRow | null;
}

/**
 * The one place that decides who may do what in a session. Admin and monitor access to a
 * session they are not part of is written to the audit log.
 */
export async function authorizeSession(
  repos: Repositories,
  actor: Actor,
  sessionId: string,
  mode: AccessMode,
  action: string,
): Promise<SessionAccess> {
  const session = await repos.sessions.findById(sessionId);
  if (!session) throw concealedMissing(actor, 'SESSION_NOT_FOUND');
  const participants = await repos.sessions.participants(sessionId);
  const membership = participants.find((p) => p.userId === actor.id) ?? null;

  await enforce(repos, actor, sessionId, membership !== null, mode, action);
  return { session, participants, membership };
}

/**
 * `authorizeSession` for the session of a message. A message id that names nothing answers like
 * a message of a session the caller may not see (see `concealedMissing`).
 */
export async function authorizeMessage(
  repos: Repositories,
  actor: Actor,
  messageId: string,
  mode: AccessMode | ((message: MessageRow) => AccessMode),
  action: string,
): Promise<SessionAccess & { message: MessageRow }> {
  const message = await repos.messages.findById(messageId);
  if (!message) throw concealedMissing(actor, 'MESSAGE_NOT_FOUND');
  const access = await authorizeSession(
    repos,
    actor,
    message.sessionId,
    typeof mode === 'function' ? mode(message) : mode,
    action,
  );
  return { ...access, message };
}

/** Admins and monitors may read every session: nothing about what exists is hidden from them. */
function seesEverySession(actor: Actor): boolean {
  return actor.role === 'admin' || actor.role === 'monitor';
}

/**
 * What a missing session or message answers. For anyone but an admin or monitor it is the same
 * `CHAT_ACCESS_DENIED` (same message) as a session they are not in, so ids cannot be probed for
 * existence; staff, who could read it anyway, get the precise 404.
 */
export function concealedMissing(
  actor: Actor,
  code: 'SESSION_NOT_FOUND' | 'MESSAGE_NOT_FOUND',
): ChatError {
  return new ChatError(seesEverySession(actor) ? code : 'CHAT_ACCESS_DENIED');
}

/** Refuses what the mode does not allow; records admin/monitor access from outside. */
async function enforce(
  repos: Repositories,
  actor: Actor,
  sessionId: string,
  isParticipant: boolean,
  mode: AccessMode,
  action: string,
): Promise<void> {
  if (!isAllowed(actor, isParticipant, mode)) throw new ChatError('CHAT_ACCESS_DENIED');
  if (!isParticipant) {
    await repos.audit.record({
      actorId: actor.id,
      actorRole: actor.role,
      action,
      sessionId,
    });
  }
}

/** Who takes part in a session. */
export interface SessionRoster {
  participantIds: readonly string[];
}

/**
 * Sessions' participant lists, kept in memory. A session's participants are written with it
 * in one transaction and never change afterwards (there is no add/remove), so a kept list is
 * never stale and needs no invalidation, on this node or across nodes. What does change (status,
 * read cursors) is not kept: the commit checks the status under the session's row lock.
 */
export interface RosterCache {
  get(sessionId: string): Promise<SessionRoster>;
}

/** Sessions kept; a miss costs one (group) read. About 200 bytes each. */
const ROSTER_CACHE_SIZE = 20_000;

export function createRosterCache(repos: Repositories, max = ROSTER_CACHE_SIZE): RosterCache {
  const kept = new LRUCache<string, SessionRoster>({ max });
  return {
    async get(sessionId) {
      const hit = kept.get(sessionId);
      if (hit) return hit;
      const [session, participants] = await Promise.all([
        repos.sessions.findById(sessionId),
        repos.sessions.participants(sessionId),
      ]);
      if (!session) throw new ChatError('SESSION_NOT_FOUND');
      const roster = { participantIds: participants.map((p) => p.userId) };
      kept.set(sessionId, roster);
      return roster;
    },
  };
}

/**
 * `authorizeSession` for the hot write path (sending): decides from the kept participant list,
 * without reading the session. The caller's write must still check the session is active
 * (the group commit does, under the row lock).
 */
export async function authorizeFromRoster(
  repos: Repositories,
  rosters: RosterCache,
  actor: Actor,
  sessionId: string,
  mode: AccessMode,
  action: string,
): Promise<{ participantIds: readonly string[]; isParticipant: boolean }> {
  let participantIds: readonly string[];
  try {
    ({ participantIds } = await rosters.get(sessionId));
  } catch (error) {
    if (error instanceof ChatError && error.code === 'SESSION_NOT_FOUND')
      throw concealedMissing(actor, 'SESSION_NOT_FOUND');
    throw error;
  }
  const isParticipant = participantIds.includes(actor.id);
  await enforce(repos, actor, sessionId, isParticipant, mode, action);
  return { participantIds, isParticipant };
}

export function isAllowed(actor: Actor, isParticipant: boolean, mode: AccessMode): boolean {
  if (mode === 'member') return isParticipant;
  switch (actor.role) {
    case 'admin':
      return true;
    case 'monitor':
      return mode === 'read';
    default:
      return isParticipant && mode !== 'moderate';
  }
}

export function assertActive(session: SessionRow): void {
  if (session.status !== 'active') throw new ChatError('SESSION_INACTIVE');
}
