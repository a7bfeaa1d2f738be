import type { TChatMessage } from '@chat/contracts';
import type { Actor, MessageRow } from '../domain/types.js';
import { ChatError } from '../errors.js';
import type { Repositories } from '../repositories/store.js';
import { type FileUrls, presentMessages } from './message-view.js';

/**
 * The stored message of a repeated client id (a retry whose first answer was lost): the
 * caller's own message in this session, presented as stored; null when the id is free. An id
 * that belongs to another sender or session is refused, so ids cannot be probed or taken over.
 */
export async function findStoredRetry(
  repos: Repositories,
  fileUrls: FileUrls,
  id: string,
  actor: Actor,
  sessionId: string,
): Promise<TChatMessage | null> {
  return presentStoredRetry(repos, fileUrls, await repos.messages.findById(id), actor, sessionId);
}

/** `findStoredRetry` for a row already looked up (alongside other reads). */
export async function presentStoredRetry(
  repos: Repositories,
  fileUrls: FileUrls,
  existing: MessageRow | null,
  actor: Actor,
  sessionId: string,
): Promise<TChatMessage | null> {
  if (!existing) return null;
  if (existing.senderId !== actor.id || existing.sessionId !== sessionId) {
    throw new ChatError('VALIDATION_ERROR', 'Message id already in use', {
      details: ['id: already used by another message'],
    });
  }
  const [rows, participants] = await Promise.all([
    repos.messages.findWithSender([existing.id]),
    repos.sessions.participants(existing.sessionId),
  ]);
  const [message] = await presentMessages(repos, rows, {
    viewerId: actor.id,
    participants,
    fileUrl: fileUrls.builderFor(actor.origin),
  });
  if (!message) throw new ChatError('MESSAGE_NOT_FOUND');
  return message;
}
