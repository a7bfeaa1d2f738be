import { ZId } from '@chat/contracts';
import { z } from 'zod';

/** Who this tab is signed in as. */
export interface Auth {
  token: string;
  userId: string;
  /** Shown until the socket's `authenticated` names the user. */
  name: string;
}

// Per tab, not per browser: two tabs can be two users (the client and the reader, side by side).
const STORAGE_KEY = 'booking-chat.auth';

const ZStoredAuth = z.object({ token: z.string().min(1), userId: ZId, name: z.string() });

export function loadAuth(storage: Pick<Storage, 'getItem'> = sessionStorage): Auth | null {
  try {
    const raw = storage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = ZStoredAuth.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function saveAuth(
  auth: Auth | null,
  storage: Pick<Storage, 'setItem' | 'removeItem'> = sessionStorage,
) {
  if (auth) storage.setItem(STORAGE_KEY, JSON.stringify(auth));
  else storage.removeItem(STORAGE_KEY);
}

const ZClaims = z.object({ sub: ZId, exp: z.number().optional() });

/**
 * The user id (`sub`) of a pasted Supabase-style token, read without verifying it: the server
 * verifies every call; the client only needs to know which messages are its own.
 */
export function readTokenClaims(token: string): { sub: string; exp?: number | undefined } | null {
  const payload = token.trim().split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const parsed = ZClaims.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
