import { uuid } from '@chat/client';
import { useCallback, useState } from 'react';

export interface Alert {
  id: string;
  text: string;
}

/** Problems to show above the composer (rate limits, refused files, closed session): the last 3. */
export function useAlerts() {
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const addAlert = useCallback(
    (text: string) => setAlerts((list) => [...list.slice(-2), { id: uuid(), text }]),
    [],
  );
  const dismissAlert = useCallback(
    (id: string) => setAlerts((list) => list.filter((a) => a.id !== id)),
    [],
  );
  return { alerts, addAlert, dismissAlert };
}
