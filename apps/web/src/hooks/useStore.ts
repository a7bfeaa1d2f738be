import type { Readable } from '@chat/client';
import { useSyncExternalStore } from 'react';

/** The current state of one of the SDK's stores; re-renders when it changes. */
export function useStore<S>(store: Readable<S>): S {
  return useSyncExternalStore(store.subscribe, store.getState);
}
