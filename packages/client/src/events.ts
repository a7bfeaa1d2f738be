import {
  type ClientToServerEvents,
  SERVER_EVENTS,
  type ServerToClientEvents,
} from '@chat/contracts';
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

/** Every event the server may send, from the contracts' runtime map (typed to cover them all). */
export const SERVER_EVENT_NAMES = Object.keys(SERVER_EVENTS) as ServerEventName[];
