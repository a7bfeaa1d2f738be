import { describe, expect, it } from 'vitest';
import { createEventBus } from '../bus/bus.js';
import type { Actor } from '../domain/types.js';
import type { Store } from '../repositories/store.js';
import type { Budget, RateLimiter } from './rate-limiter.js';
import { createSessionsService } from './sessions.service.js';

/** A budget that counts what is taken and given back. */
function countingLimiter() {
  const taken: Budget[] = [];
  const given: Budget[] = [];
  const limiter: RateLimiter = {
    consume: async (budget) => void taken.push(budget),
    refund: async (budget) => void given.push(budget),
  };
  return { limiter, taken, given };
}

describe('session creation and its budget', () => {
  it('a create the database refuses gives its session point back (nothing was created)', async () => {
    const store = {
      repos: { sessions: { findActiveSupportRequest: async () => null } },
      transaction: async () => {
        throw new Error('connection terminated');
      },
    } as unknown as Store;
    const { limiter, taken, given } = countingLimiter();
    const sessions = createSessionsService({
      store,
      bus: createEventBus(() => {}),
      rateLimiter: limiter,
    });
    const client = { id: 'c1', role: 'client', firstName: 'C', lastName: 'L' } as unknown as Actor;
    await expect(
      sessions.create(client, { session_type: 'support', metadata: {} }),
    ).rejects.toThrow('connection terminated');
    expect(taken).toEqual(['sessions']);
    expect(given).toEqual(['sessions']);
  });
});
