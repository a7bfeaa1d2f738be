import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';
import type { Server, Socket } from 'socket.io';
import type { AppServices } from '../../app-services.js';
import type { SessionTabs } from '../../services/presence.service.js';
import type { TypingState } from './typing.js';

/** Per-socket state kept in `socket.data` (carried across nodes by the adapter for fetchSockets). */
export interface SocketData {
  userId: string | undefined;
  userName: string | undefined;
}

/** Between nodes (`serverSideEmit`, carried by the adapter). */
export interface InterServerEvents {
  /** A user sent a message another way than this socket (REST, tRPC): their typing is over. */
  typing_ended: (sessionId: string, userId: string) => void;
}

export type ChatServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type ChatSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/** What each area's handlers (`register...Handlers(connection, deps)`) may use. */
export interface HandlerDeps {
  io: ChatServer;
  services: AppServices;
  /** This socket's typing indicators. */
  typing: TypingState;
  /** Where a user's tabs are, for the presence rules. */
  tabs: SessionTabs;
}
