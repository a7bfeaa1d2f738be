import { ZMessageReactionPayload } from '@chat/contracts';
import { toReactionUpdate } from '../../services/message-view.js';
import type { SocketConnection } from './connection.js';
import type { HandlerDeps } from './socket-types.js';

/** `message_reaction`: toggles the emoji; the room hears it from the gateway, the ack says it. */
export function registerReactionHandlers(
  connection: SocketConnection,
  { services }: HandlerDeps,
): void {
  connection.handle(
    'message_reaction',
    ZMessageReactionPayload,
    async (actor, { message_id, reaction }) => {
      const change = await services.reactions.toggle(actor, message_id, reaction);
      return toReactionUpdate(change, connection.socket.data.userName ?? '');
    },
  );
}
