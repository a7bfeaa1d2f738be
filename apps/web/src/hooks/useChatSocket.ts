import type { TSocketUser } from '@chat/contracts';
import { useEffect, useState } from 'react';
import { type ChatSocket, createChatSocket } from '../api/socket';
import { authRetryDelayMs } from '../state/auth';

export type ConnectionState = 'connecting' | 'connected' | 'offline';

export interface SocketState {
  socket: ChatSocket | null;
  connection: ConnectionState;
  /** The user as the server knows them (after `authenticated`). */
  user: TSocketUser | null;
  /** Set when the server refused the token for good (`auth_error` that is not "try again"). */
  authError: string | null;
}

/**
 * The tab's socket for one token. Socket.IO reconnects by itself after a drop; when the browser
 * says it is offline the socket is closed at once (a dead connection could otherwise take the
 * heartbeat's 45 s to notice) and reopened when the browser is back online.
 */
export function useChatSocket(token: string): SocketState {
  const [state, setState] = useState<SocketState>({
    socket: null,
    connection: 'connecting',
    user: null,
    authError: null,
  });

  useEffect(() => {
    const socket = createChatSocket(token);
    const update = (change: Partial<SocketState>) => setState((s) => ({ ...s, ...change }));
    update({ socket, connection: 'connecting', authError: null });

    socket.on('connect', () => update({ connection: 'connected' }));
    socket.on('disconnect', () =>
      update({ connection: navigator.onLine ? 'connecting' : 'offline' }),
    );
    socket.on('connect_error', () =>
      update({ connection: navigator.onLine ? 'connecting' : 'offline' }),
    );
    // A sign-in refused because the server is busy (its database away, a restart storm) is
    // tried again with back-off; the server ends such a socket, and Socket.IO does not
    // reconnect a socket the server ended.
    let refusals = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    socket.on('authenticated', ({ user }) => {
      refusals = 0;
      update({ user });
    });
    socket.on('auth_error', ({ message, code }) => {
      socket.disconnect();
      const delay = authRetryDelayMs(code, refusals);
      if (delay === null) {
        update({ authError: message || 'Authentication failed' });
        return;
      }
      refusals += 1;
      update({ connection: 'connecting' });
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => socket.connect(), delay);
    });

    const offline = () => {
      update({ connection: 'offline' });
      socket.disconnect();
    };
    const online = () => {
      update({ connection: 'connecting' });
      if (!socket.connected) socket.connect();
    };
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    if (!navigator.onLine) offline();

    return () => {
      clearTimeout(retryTimer);
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
      socket.removeAllListeners();
      socket.disconnect();
    };
  }, [token]);

  return state;
}
