import type { ConnectionState } from '@chat/client';
import { useEffect, useRef, useState } from 'react';

/**
 * A banner while the live connection is down (after it was up once: the first connection is not
 * news), and a short "back online" when it returns.
 */
export function NetworkBanner({ connection }: { connection: ConnectionState }) {
  const [back, setBack] = useState(false);
  const [everConnected, setEverConnected] = useState(false);
  const wasDown = useRef(false);

  useEffect(() => {
    if (connection !== 'connected') {
      if (everConnected || connection === 'offline') wasDown.current = true;
      setBack(false);
      return;
    }
    setEverConnected(true);
    if (!wasDown.current) return;
    wasDown.current = false;
    setBack(true);
    const timer = setTimeout(() => setBack(false), 3_000);
    return () => clearTimeout(timer);
  }, [connection, everConnected]);

  let text: string | null = null;
  let tone = 'warn';
  if (connection === 'offline') {
    text = 'You are offline. Messages will be sent when the connection is back.';
  } else if (connection === 'connecting' && everConnected) {
    text = 'Connection lost. Reconnecting…';
  } else if (back) {
    text = 'Back online.';
    tone = 'ok';
  }

  return (
    <div className="network-banner-slot" role="status" aria-live="polite">
      {text && (
        <div className={`network-banner network-banner-${tone}`} data-testid="network-banner">
          {text}
        </div>
      )}
    </div>
  );
}
