import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { ChatError } from '../errors.js';

export interface VerifiedToken {
  userId: string;
  /** Seconds since the epoch; a socket is ended when it passes. */
  expiresAt: number | undefined;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

/** Supabase user tokens: `aud` and `role` are `authenticated`. Anon and service keys are not users. */
const AUDIENCE = 'authenticated';

function toVerified(payload: JWTPayload): VerifiedToken {
  if (payload.role !== undefined && payload.role !== AUDIENCE) {
    throw new ChatError('AUTHENTICATION_REQUIRED', 'Token is not a user token');
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
    throw new ChatError('AUTHENTICATION_REQUIRED', 'Token has no subject');
  }
  return { userId: payload.sub, expiresAt: payload.exp };
}

/**
 * What every user token must carry besides a valid signature: an expiry (a token without one
 * would work forever once leaked). `nbf`, when present, is honoured by jose itself.
 */
const VERIFY_CLAIMS = { audience: AUDIENCE, requiredClaims: ['exp'] };

function authError(error: unknown): ChatError {
  if (error instanceof ChatError) return error;
  return new ChatError('AUTHENTICATION_REQUIRED', authErrorMessage(error), { cause: error });
}

function authErrorMessage(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'Token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return 'Token has no expiry';
    if (error.claim === 'nbf') return 'Token is not valid yet';
    return 'Token is not a user token';
  }
  return 'Invalid token';
}

/** HS256 with Supabase's (legacy) JWT secret. */
export function createSecretVerifier(secret: string): TokenVerifier {
  const key = new TextEncoder().encode(secret);
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          ...VERIFY_CLAIMS,
        });
        return toVerified(payload);
      } catch (error) {
        throw authError(error);
      }
    },
  };
}

/**
 * The key set could not be fetched (unreachable, timed out, not a 200, not a key set): the
 * caller's token may be fine, so this is an outage (503), not a refusal (401).
 */
function jwksUnavailable(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError))
    return error instanceof Error && !(error instanceof ChatError);
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  return error.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set HTTP response/.test(error.message);
}

/** Shortest time between two fetches of the key set caused by tokens with an unknown `kid`. */
export const JWKS_REFETCH_COOLDOWN_MS = 5_000;

/**
 * RS256 / ES256 against a JWKS (Supabase's asymmetric signing keys). Keys are cached for 10
 * minutes and refetched on an unknown `kid`, at most once per 5 s (jose's default is 30 s:
 * after a key rotation, tokens signed with the new key would be refused that long).
 */
export function createJwksVerifier(url: string): TokenVerifier {
  const jwks = createRemoteJWKSet(new URL(url), {
    cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
    cacheMaxAge: 600_000,
    timeoutDuration: 5_000,
  });
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          algorithms: ['RS256', 'ES256'],
          ...VERIFY_CLAIMS,
        });
        return toVerified(payload);
      } catch (error) {
        if (jwksUnavailable(error)) {
          throw new ChatError(
            'SERVICE_UNAVAILABLE',
            'Token keys are unavailable, try again shortly',
            {
              retryAfterSeconds: 5,
              cause: error,
            },
          );
        }
        throw authError(error);
      }
    },
  };
}

/** Signs a Supabase-shaped user token (development sign-in and tests). */
export async function signUserToken(
  secret: string,
  userId: string,
  ttlSeconds: number,
): Promise<{ token: string; expiresAt: Date }> {
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  const token = await new SignJWT({ role: AUDIENCE })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(new TextEncoder().encode(secret));
  return { token, expiresAt };
}
