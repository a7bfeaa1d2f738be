import type { Actor } from '../domain/types.js';
import { ChatError } from '../errors.js';
import type { ProfilesRepository } from '../repositories/profiles.repository.js';
import type { TokenVerifier } from './token-verifier.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Authenticated {
  actor: Actor;
  expiresAt: number | undefined;
}

/** Token → profile → Actor. The role is the profile's, never a claim from the token. */
export function createAuthService(verifier: TokenVerifier, profiles: ProfilesRepository) {
  return {
    async authenticate(token: string | undefined): Promise<Authenticated> {
      if (!token) throw new ChatError('AUTHENTICATION_REQUIRED', 'Missing bearer token');
      const verified = await verifier.verify(token);
      // A `sub` that is not a UUID cannot name a profile (and would be a database error).
      const profile = UUID.test(verified.userId) ? await profiles.findById(verified.userId) : null;
      if (!profile) throw new ChatError('AUTHENTICATION_REQUIRED', 'Unknown user');
      return { actor: profile, expiresAt: verified.expiresAt };
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;

/** `Bearer <token>` → token. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
