import { ZMarkReadPayload, ZSendMessagePayload } from '@chat/contracts';
import { toMessageSent } from '../../services/message-view.js';
import type { SocketConnection } from './connection.js';
import type { HandlerDeps } from './socket-types.js';

/** `send_message` and `mark_read`. Their fan-out (`new_message`, `messages_read`) is the gateway's. */
export function registerMessageHandlers(
  connection: SocketConnection,
  { services, typing }: HandlerDeps,
): void {
  const { socket } = connection;

  // The send path: one parse (into REST's and tRPC's send, or an upload's echo), one call.
  connection.handle('send_message', ZSendMessagePayload, async (actor, command) => {
    const { message } = await services.messages.send(actor, command, 'socket');
    // A message sent means typing in that session is over.
    typing.stop(command.session_id);
    const sent = toMessageSent(message);
    socket.emit('message_sent', sent);
    return sent;
  });

  connection.handle('mark_read', ZMarkReadPayload, async (actor, { message_id }) =>
    services.messages.markRead(actor, message_id),
  );
}
