import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';
import type { Socket } from 'socket.io-client';

/** The socket typed by the contract's event maps: a renamed event or field fails typecheck. */
export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type ServerEventName = keyof ServerToClientEvents;

/** What the server sends with an event, e.g. `ServerEventData<'messages_read'>`. */
export type ServerEventData<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];

/**
 * A server event as the reducers take it: its name, what came with it, and when it arrived
 * (milliseconds since the epoch), so the reducers stay pure.
 */
export type ServerEvent = {
  [E in ServerEventName]: { type: E; data: ServerEventData<E>; at: number };
}[ServerEventName];

/** Every event the server may send; the `Record` makes a new event in the contract fail here. */
const SERVER_EVENTS: Record<ServerEventName, true> = {
  authenticated: true,
  auth_error: true,
  chat_joined: true,
  user_joined: true,
  user_left: true,
  message_sent: true,
  new_message: true,
  user_typing: true,
  message_reaction_update: true,
  messages_read: true,
  chat_activity: true,
  message_deleted: true,
  session_updated: true,
  error: true,
};

export const SERVER_EVENT_NAMES = Object.keys(SERVER_EVENTS) as ServerEventName[];
