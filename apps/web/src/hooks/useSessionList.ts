import type { ChatClient } from '@chat/client';
import { useEffect, useMemo } from 'react';
import { useStore } from './useStore';

/** Every session of the user (all statuses), with badges kept live by the SDK. */
export function useSessionList(client: ChatClient) {
  const list = useMemo(() => client.sessionList({ status: 'all', limit: 100 }), [client]);
  useEffect(() => {
    list.start();
    return () => list.stop();
  }, [list]);
  return { list, ...useStore(list) };
}
