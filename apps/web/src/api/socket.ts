import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';
import { io, type Socket } from 'socket.io-client';

/** The socket typed by the contract's event maps: a renamed event or field fails typecheck. */
export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How long an emit waits for its ack before it counts as failed. */
export const ACK_TIMEOUT_MS = 10_000;

/**
 * One socket per signed-in tab, on the page's own origin (the server serves the client; the
 * Vite dev server proxies /socket.io). Socket.IO reconnects by itself with backoff; the chat view
 * rejoins and catches up on every `connect`.
 */
export function createChatSocket(token: string): ChatSocket {
  return io({
    auth: { token },
    reconnectionDelay: 500,
    reconnectionDelayMax: 5_000,
    // The server's limit on a frame is 64 KB; nothing here comes close.
    autoConnect: true,
  });
}
