import type { Actor } from '../domain/types.js';
import type { SessionsService } from './sessions.service.js';

/** One socket's typing indicators, per session; the transport shows and times them out. */
export interface TypingIndicator {
  isTyping(sessionId: string): boolean;
  /** Shows the user typing in the session, or keeps showing it for another full timeout. */
  start(sessionId: string): void;
}

/**
 * Typing: the reference's clients send `typing_start` on every keystroke, so only the first one
 * of a run is checked (access, an active session) and counted against the typing budget; the
 * rest only keep the indicator up.
 */
export function createTypingService({
  sessions,
}: {
  sessions: Pick<SessionsService, 'authorizeTyping'>;
}) {
  return {
    async start(actor: Actor, sessionId: string, indicator: TypingIndicator): Promise<void> {
      if (!indicator.isTyping(sessionId)) await sessions.authorizeTyping(actor, sessionId);
      indicator.start(sessionId);
    },
  };
}
export type TypingService = ReturnType<typeof createTypingService>;
