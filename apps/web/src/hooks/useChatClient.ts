import { type ChatClient, type ClientState, createChatClient } from '@chat/client';
import { useEffect, useMemo } from 'react';
import type { Auth } from '../state/auth';
import { useStore } from './useStore';

/**
 * The tab's client for one signed-in user: its socket is opened on mount and closed on
 * unmount (and again under StrictMode's second mount). The page's own origin serves the API.
 */
export function useChatClient(auth: Auth): ClientState & { client: ChatClient } {
  const { token, userId } = auth;
  const client = useMemo(
    () => createChatClient({ userId, token, autoConnect: false }),
    [userId, token],
  );
  useEffect(() => {
    client.connect();
    return () => client.close();
  }, [client]);
  return { client, ...useStore(client) };
}
