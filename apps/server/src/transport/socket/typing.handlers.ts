import { ZTypingPayload } from '@chat/contracts';
import { ChatError } from '../../errors.js';
import type { SocketConnection } from './connection.js';
import type { HandlerDeps } from './socket-types.js';

/** `typing_start` and `typing_stop`; a closed socket's indicators end with it. */
export function registerTypingHandlers(
  connection: SocketConnection,
  { services, typing }: HandlerDeps,
): void {
  connection.handle('typing_start', ZTypingPayload, async (actor, payload) => {
    await services.typing.start(actor, typingSession(connection, payload), typing);
    return null;
  });

  connection.handle('typing_stop', ZTypingPayload, async (_actor, payload) => {
    typing.stop(typingSession(connection, payload));
    return null;
  });

  connection.socket.on('disconnect', () => typing.stopAll());
}

/** The session named, or else the one this socket joined last (the reference sends none). */
function typingSession(
  connection: SocketConnection,
  payload: { session_id?: string | undefined } | undefined,
): string {
  const sessionId = payload?.session_id ?? connection.joined.at(-1);
  if (!sessionId) {
    throw new ChatError('VALIDATION_ERROR', 'No session: pass session_id or join a chat first', {
      details: ['session_id: required when no chat was joined'],
    });
  }
  return sessionId;
}
