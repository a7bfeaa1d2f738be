import { createHash, timingSafeEqual } from 'node:crypto';
import { type AuthService, bearerToken } from './auth.service.js';

/**
 * Compares a presented token with a configured secret in constant time: both are hashed first,
 * so neither the content nor the length of the secret shows in how long a refusal takes.
 */
export function secretMatcher(secret: string): (candidate: string | undefined) => boolean {
  const expected = digest(secret);
  return (candidate) => candidate !== undefined && timingSafeEqual(digest(candidate), expected);
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Who may read the service's internals (why a readiness check failed): the metrics scraper
 * (METRICS_TOKEN), or a signed-in user whose profile is an admin or a monitor. Anyone else, a
 * bad token included, is answered as an anonymous caller: never an error, since probes must not
 * fail for want of credentials. The scraper's token works while the database is away; a user's
 * needs their profile read (or cached from the last 2 s).
 */
export function createOperatorCheck(
  auth: AuthService,
  metricsToken: string | undefined,
): (authorization: string | undefined) => Promise<boolean> {
  const isScraper = metricsToken === undefined ? () => false : secretMatcher(metricsToken);
  return async (authorization) => {
    const token = bearerToken(authorization);
    if (token === undefined) return false;
    if (isScraper(token)) return true;
    try {
      const { actor } = await auth.authenticate(token);
      return actor.role === 'admin' || actor.role === 'monitor';
    } catch {
      return false;
    }
  };
}
