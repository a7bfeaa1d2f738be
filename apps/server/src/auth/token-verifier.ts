import { createRemoteJWKSet, type JWTPayload, jwtVerify, SignJWT } from 'jose';
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

function authError(error: unknown): ChatError {
  if (error instanceof ChatError) return error;
  const code = (error as { code?: string } | null)?.code;
  const message =
    code === 'ERR_JWT_EXPIRED'
      ? 'Token expired'
      : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
        ? 'Token is not a user token'
        : 'Invalid token';
  return new ChatError('AUTHENTICATION_REQUIRED', message, { cause: error });
}

/** HS256 with Supabase's (legacy) JWT secret. */
export function createSecretVerifier(secret: string): TokenVerifier {
  const key = new TextEncoder().encode(secret);
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: AUDIENCE });
        return toVerified(payload);
      } catch (error) {
        throw authError(error);
      }
    },
  };
}

/** RS256 / ES256 against a JWKS (Supabase's asymmetric signing keys); keys are cached and refetched on an unknown `kid`. */
export function createJwksVerifier(url: string): TokenVerifier {
  const jwks = createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          algorithms: ['RS256', 'ES256'],
          audience: AUDIENCE,
        });
        return toVerified(payload);
      } catch (error) {
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
