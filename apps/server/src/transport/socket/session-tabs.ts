import type { SessionTabs } from '../../services/presence.service.js';
import { presenceRoom } from './rooms.js';
import type { ChatServer } from './socket-types.js';

/** How long a presence lookup may wait for the other nodes before this node answers alone. */
export const PRESENCE_LOOKUP_MS = 2_000;

/**
 * A user's tabs in a session are their sockets in the session's presence room: this node's
 * rooms answer `here`, the adapter's `fetchSockets` asks every node for `anywhere`.
 * `clusterReachable` says whether the adapter can ask the other nodes right now (Redis up).
 */
export function createSessionTabs(
  io: ChatServer,
  clusterReachable: () => boolean = () => true,
): SessionTabs {
  return {
    here: (sessionId, userId) =>
      (io.of('/').adapter.rooms.get(presenceRoom(sessionId, userId))?.size ?? 0) > 0,

    /**
     * Never hangs: `fetchSockets` waits on Redis forever while it is down, and the socket's next
     * events wait behind this one.
     */
    async anywhere(sessionId, userId) {
      if (!clusterReachable()) return undefined;
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), PRESENCE_LOOKUP_MS);
      });
      try {
        const sockets = await Promise.race([
          io.in(presenceRoom(sessionId, userId)).timeout(PRESENCE_LOOKUP_MS).fetchSockets(),
          gaveUp,
        ]);
        return sockets === undefined ? undefined : sockets.length > 0;
      } catch {
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
