import type { DomainEvents, EventBus } from '../../bus/bus.js';
import { toReactionUpdate, toSocketMessage } from '../../services/message-view.js';
import { sessionRoom, userRoom } from './rooms.js';
import type { ChatServer } from './socket-types.js';

export interface FanOutLogger {
  debug(fields: Record<string, unknown>, message: string): void;
}

/**
 * Turns committed domain events into Socket.IO emits. This is the only place that broadcasts
 * writes, so a message sent over REST, tRPC or the socket reaches every client the same way;
 * the adapter carries each emit to the other nodes.
 */
export function registerGateway(
  io: ChatServer,
  bus: EventBus,
  logger: FanOutLogger,
  options: {
    /** Ends a user's typing indicator in a session on this node's sockets. */
    endTyping: (sessionId: string, userId: string) => void;
    /**
     * Other nodes exist (an adapter between nodes carries emits and server-side emits). The
     * in-memory adapter has no other node to tell and warns on every `serverSideEmit`.
     */
    clustered: boolean;
    /**
     * Has this node's sockets of a user (every socket: undefined) re-read their profile. Every
     * node hears a change from the database by itself, so this never crosses nodes.
     */
    reassess?: (userId: string | undefined) => void;
  } = { endTyping: () => {}, clustered: false },
): () => void {
  const { endTyping, clustered, reassess = () => {} } = options;
  // Another node relays a message sent there (REST, tRPC) by a user typing on this one.
  io.on('typing_ended', endTyping);
  const unsubscribe = [
    bus.subscribe('message.created', messageFanOut(io, logger, endTyping, clustered)),
    bus.subscribe('reaction.changed', ({ change, userName }) => {
      io.to(sessionRoom(change.session_id)).emit(
        'message_reaction_update',
        toReactionUpdate(change, userName),
      );
    }),
    bus.subscribe('messages.read', (read) => {
      io.to([sessionRoom(read.session_id), userRoom(read.user_id)]).emit('messages_read', read);
    }),
    bus.subscribe('message.deleted', ({ sessionId, messageId }) => {
      io.to(sessionRoom(sessionId)).emit('message_deleted', {
        session_id: sessionId,
        message_id: messageId,
      });
    }),
    bus.subscribe('session.updated', ({ sessionId, status, participantIds }) => {
      io.to([sessionRoom(sessionId), ...participantIds.map(userRoom)]).emit('session_updated', {
        session_id: sessionId,
        status,
      });
    }),
    bus.subscribe('profile.changed', ({ userId }) => reassess(userId)),
    bus.subscribe('profiles.missed', () => reassess(undefined)),
  ];
  return () => {
    io.off('typing_ended', endTyping);
    for (const off of unsubscribe) off();
  };
}

/**
 * `message.created`: `new_message` to the session's room, `chat_activity` to the participants'
 * sockets elsewhere, and the end of the sender's typing when the message came another way.
 */
function messageFanOut(
  io: ChatServer,
  logger: FanOutLogger,
  endTyping: (sessionId: string, userId: string) => void,
  clustered: boolean,
): (event: DomainEvents['message.created']) => void {
  /** Some participant has a socket on this node outside the session's room (a session list). */
  const listensElsewhereHere = (participantIds: readonly string[], sessionId: string) => {
    const { rooms } = io.of('/').adapter;
    const inSession = rooms.get(sessionRoom(sessionId));
    for (const userId of participantIds) {
      for (const socketId of rooms.get(userRoom(userId)) ?? []) {
        if (!inSession?.has(socketId)) return true;
      }
    }
    return false;
  };
  return ({ message, participantIds, requestId, transport }) => {
    if (transport !== 'socket' && message.sender_id) {
      // A message sent another way than the typing socket still means typing is over (the
      // socket's own send_message ends it there), on this node and on the others.
      endTyping(message.session_id, message.sender_id);
      if (clustered) {
        io.serverSideEmit('typing_ended', message.session_id, message.sender_id);
      }
    }
    logger.debug(
      { reqId: requestId, sessionId: message.session_id, seq: message.seq },
      'fan-out new_message',
    );
    io.to(sessionRoom(message.session_id)).emit('new_message', toSocketMessage(message));
    // For the participants' sockets that are not in the session (a session list, another
    // device): a socket in the session's room just got the whole message above. On one node
    // with nobody to tell, nothing is encoded (the usual case while both sides are in the chat).
    if (
      participantIds.length > 0 &&
      (clustered || listensElsewhereHere(participantIds, message.session_id))
    ) {
      io.to(participantIds.map(userRoom))
        .except(sessionRoom(message.session_id))
        .emit('chat_activity', {
          session_id: message.session_id,
          message_id: message.id,
          seq: message.seq,
          sender_id: message.sender_id,
          type: message.type,
          created_at: message.created_at,
        });
    }
  };
}
