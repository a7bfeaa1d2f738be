import type { Actor, ParticipantRow, SessionRow } from '../domain/types.js';
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
  if (!session) throw new ChatError('SESSION_NOT_FOUND');
  const participants = await repos.sessions.participants(sessionId);
  const membership = participants.find((p) => p.userId === actor.id) ?? null;

  if (!isAllowed(actor, membership !== null, mode)) throw new ChatError('CHAT_ACCESS_DENIED');

  if (!membership) {
    await repos.audit.record({
      actorId: actor.id,
      actorRole: actor.role,
      action,
      sessionId,
    });
  }
  return { session, participants, membership };
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
