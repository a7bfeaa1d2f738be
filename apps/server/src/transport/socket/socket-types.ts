import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';
import type { Server, Socket } from 'socket.io';

/** Per-socket state kept in `socket.data` (carried across nodes by the adapter for fetchSockets). */
export interface SocketData {
  userId: string | undefined;
  userName: string | undefined;
}

// biome-ignore lint/complexity/noBannedTypes: Socket.IO's slot for server-to-server events.
type NoServerEvents = {};

export type ChatServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  NoServerEvents,
  SocketData
>;
export type ChatSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  NoServerEvents,
  SocketData
>;
