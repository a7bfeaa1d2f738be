import { LRUCache } from 'lru-cache';
import type { Actor } from '../domain/types.js';
import { ChatError } from '../errors.js';
import type { ProfilesRepository } from '../repositories/profiles.repository.js';
import type { TokenVerifier } from './token-verifier.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Authenticated {
  actor: Actor;
  expiresAt: number | undefined;
}

/**
 * How long a user's profile (role, name) read at sign-in is reused for their next requests. A
 * role change or a deleted profile is announced by the database and forgotten at once (`forget`);
 * a name change takes effect within this time on every node.
 */
export const PROFILE_CACHE_TTL_MS = 2_000;
const PROFILE_CACHE_MAX_ENTRIES = 10_000;

export interface AuthServiceOptions {
  /** 0 reads the profile on every request. */
  profileCacheTtlMs?: number;
  now?: () => number;
}

/** Token → profile → Actor. The role is the profile's, never a claim from the token. */
export function createAuthService(
  verifier: TokenVerifier,
  profiles: ProfilesRepository,
  options: AuthServiceOptions = {},
) {
  const ttl = options.profileCacheTtlMs ?? PROFILE_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  // Every request still has its token verified; only the profile read (a database round trip
  // on each request, most of them from the same few users in bursts) is shared for a moment.
  const recent = new LRUCache<string, Actor>({
    max: PROFILE_CACHE_MAX_ENTRIES,
    // lru-cache answers while an entry's age is <= ttl; ours ends at the TTL itself.
    ttl: Math.max(ttl - 1, 1),
    perf: { now },
    ttlResolution: 0,
  });

  /** Profile changes heard so far (see `changes`). */
  let heard = 0;

  /**
   * Reads in flight, per user: callers that need the same profile at once (a user's tabs, every
   * socket of a node re-reading after missed changes) share one read, as long as no change was
   * heard since it began.
   */
  const inFlight = new Map<string, { since: number; read: Promise<Actor> }>();

  /** The profile as the database has it now; kept unless a change was heard during the read. */
  const load = (userId: string): Promise<Actor> => {
    const key = userId.toLowerCase();
    const pending = inFlight.get(key);
    if (pending && pending.since === heard) return pending.read;
    const since = heard;
    const read = (async () => {
      // A `sub` that is not a UUID cannot name a profile (and would be a database error).
      const profile = UUID.test(userId) ? await profiles.findById(userId) : null;
      if (!profile) throw new ChatError('AUTHENTICATION_REQUIRED', 'Unknown user');
      // Frozen: one object now serves several requests (callers copy it to add their fields).
      const actor: Actor = Object.freeze(profile);
      // A read that started before a change was heard may hold the old row: used once, not kept.
      if (ttl > 0 && since === heard) recent.set(key, actor);
      return actor;
    })().finally(() => {
      if (inFlight.get(key)?.read === read) inFlight.delete(key);
    });
    inFlight.set(key, { since, read });
    return read;
  };

  return {
    async authenticate(token: string | undefined): Promise<Authenticated> {
      if (!token) throw new ChatError('AUTHENTICATION_REQUIRED', 'Missing bearer token');
      const verified = await verifier.verify(token);
      // Keyed as PostgreSQL prints ids, which is how a change names the user.
      const cached = ttl > 0 ? recent.get(verified.userId.toLowerCase()) : undefined;
      if (cached) return { actor: cached, expiresAt: verified.expiresAt };
      return { actor: await load(verified.userId), expiresAt: verified.expiresAt };
    },

    /**
     * The user's profile read again from the database (an open connection re-checking its
     * user). Throws `AUTHENTICATION_REQUIRED` ('Unknown user') when it is gone, as signing in would.
     */
    reload: load,

    /** The user's profile changed (the database said so): their next request reads it again. */
    forget(userId: string): void {
      heard += 1;
      recent.delete(userId.toLowerCase());
    },

    /** Changes may have been missed (the database's announcements were cut): forget every profile. */
    forgetAll(): void {
      heard += 1;
      recent.clear();
    },

    /**
     * How many changes have been heard: a caller that read a profile, and compares this before
     * and after, knows whether a change it may have missed came in meanwhile.
     */
    changes(): number {
      return heard;
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;

/** Longest `Authorization` header read: tokens are about 1 KB (Supabase's with metadata, 2-3 KB). */
export const MAX_AUTHORIZATION_LENGTH = 8192;

/**
 * `Bearer <token>` (any case, any spaces around) → token. Split by hand, not by a pattern: the
 * header is the caller's, and no input may make reading it slower than its length.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header || header.length > MAX_AUTHORIZATION_LENGTH) return undefined;
  const value = header.trim();
  const scheme = 'bearer';
  if (value.slice(0, scheme.length).toLowerCase() !== scheme) return undefined;
  const rest = value.slice(scheme.length);
  const token = rest.trimStart();
  if (token.length === 0 || token.length === rest.length) return undefined;
  for (let i = 0; i < token.length; i += 1) if (isSpace(token.charCodeAt(i))) return undefined;
  return token;
}

/** What `\s` matched here before: ASCII white space and the usual Unicode spaces. */
function isSpace(code: number): boolean {
  return (
    code === 32 ||
    (code >= 9 && code <= 13) ||
    code === 160 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}
