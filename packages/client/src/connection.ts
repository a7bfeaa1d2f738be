/** Whether the device has a network, and news when that changes. */
export interface NetworkStatus {
  isOnline(): boolean;
  /** Calls `listener` with `true` when the network comes back and `false` when it goes. */
  subscribe(listener: (online: boolean) => void): () => void;
}

/**
 * The browser's `navigator.onLine` and `online`/`offline` events; where there are none (Node,
 * React Native without a shim), always online.
 */
export function defaultNetwork(): NetworkStatus {
  const target = globalThis as Partial<Pick<Window, 'addEventListener' | 'removeEventListener'>>;
  const navigatorLike = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  return {
    isOnline: () => navigatorLike?.onLine ?? true,
    subscribe(listener) {
      if (!target.addEventListener || !target.removeEventListener) return () => {};
      const online = () => listener(true);
      const offline = () => listener(false);
      target.addEventListener('online', online);
      target.addEventListener('offline', offline);
      return () => {
        target.removeEventListener?.('online', online);
        target.removeEventListener?.('offline', offline);
      };
    },
  };
}

/** `auth_error` codes that mean "not now" (the server or its database is busy), not "not you". */
const TRY_AGAIN_CODES: ReadonlySet<string> = new Set([
  'SERVICE_UNAVAILABLE',
  'RATE_LIMIT_EXCEEDED',
]);

/**
 * After the socket's sign-in was refused: how long to wait before connecting again, or null
 * when the refusal is final (a bad or expired token). Exponential from 1 s to 30 s, with the
 * upper half jittered so a restarted server is not met by every tab at once.
 */
export function authRetryDelayMs(
  code: string | undefined,
  attempt: number,
  random: () => number = Math.random,
): number | null {
  if (code === undefined || !TRY_AGAIN_CODES.has(code)) return null;
  const ceiling = Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
