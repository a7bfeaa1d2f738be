import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TProfile } from '@chat/contracts';
import { DEMO_PROFILES } from '../demo/demo-data.js';
import { ChatError } from '../errors.js';
import { toProfile } from '../services/sessions.service.js';
import { signUserToken } from './token-verifier.js';

const DEV_TOKEN_TTL_SECONDS = 12 * 3600;

/**
 * The signing secret of development sign-in, kept under DATA_DIR so tokens outlive a restart.
 * Never used when JWT_SECRET or JWKS_URL is set, never in production (config refuses to start).
 */
export function loadDevSecret(dataDir: string): string {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'dev-jwt-secret');
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return readFileSync(file, 'utf8').trim();
}

/** Sign-in for the demo users only: a picker in the web client, a curl call in the README. */
export function createDevAuthService(secret: string) {
  return {
    users(): TProfile[] {
      return DEMO_PROFILES.map(toProfile);
    },
    async signIn(userId: string): Promise<{ token: string; expires_at: string; user: TProfile }> {
      const profile = DEMO_PROFILES.find((p) => p.id === userId);
      if (!profile) {
        throw new ChatError('VALIDATION_ERROR', 'Development sign-in is only for the demo users', {
          details: ['user_id: not a demo user'],
        });
      }
      const { token, expiresAt } = await signUserToken(secret, userId, DEV_TOKEN_TTL_SECONDS);
      return { token, expires_at: expiresAt.toISOString(), user: toProfile(profile) };
    },
  };
}
export type DevAuthService = ReturnType<typeof createDevAuthService>;
