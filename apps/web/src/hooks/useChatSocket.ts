import type { TSocketUser } from '@chat/contracts';
import { useEffect, useState } from 'react';
import { type ChatSocket, createChatSocket } from '../api/socket';

export type ConnectionState = 'connecting' | 'connected' | 'offline';

export interface SocketState {
  socket: ChatSocket | null;
  connection: ConnectionState;
  /** The user as the server knows them (after `authenticated`). */
  user: TSocketUser | null;
  /** Set when the server refused the token (`auth_error`). */
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
    socket.on('authenticated', ({ user }) => update({ user }));
    socket.on('auth_error', ({ message }) => {
      socket.disconnect();
      update({ authError: message || 'Authentication failed' });
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
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
      socket.removeAllListeners();
      socket.disconnect();
    };
  }, [token]);

  return state;
}
