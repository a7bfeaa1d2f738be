import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { ChatError } from '../errors.js';

/** Separate budgets, each counted per user in a window that starts at the user's first request. */
export type Budget =
  | 'messages'
  | 'voice_notes'
  | 'files'
  | 'typing'
  | 'reactions'
  /** Sessions created, per hour (booking, support or manual; admins too). */
  | 'sessions'
  /** Reads (session list and detail, message history and catch-up, downloads by token). */
  | 'reads';

export interface RateLimiter {
  /** Counts one request against the budget, or throws `RATE_LIMIT_EXCEEDED` with `Retry-After`. */
  consume(budget: Budget, userId: string): Promise<void>;
  /** Gives one request back (it turned out to store nothing: a retry, an inactive session). */
  refund(budget: Budget, userId: string): Promise<void>;
}

export interface RateLimits {
  messagesPerMinute: number;
  voiceNotesPerMinute: number;
  filesPerMinute: number;
  typingPerMinute: number;
  reactionsPerMinute: number;
  sessionsPerHour: number;
  readsPerMinute: number;
}

/**
 * rate-limiter-flexible: fixed windows that start at the key's first hit, atomic in Redis, and an
 * in-memory "insurance" limiter that takes over per node while Redis is unreachable.
 */
export function createRateLimiter(
  limits: RateLimits,
  redis?: Redis,
  onRefusal: (budget: Budget) => void = () => {},
): RateLimiter {
  const points: Record<Budget, number> = {
    messages: limits.messagesPerMinute,
    voice_notes: limits.voiceNotesPerMinute,
    files: limits.filesPerMinute,
    typing: limits.typingPerMinute,
    reactions: limits.reactionsPerMinute,
    sessions: limits.sessionsPerHour,
    reads: limits.readsPerMinute,
  };
  // Window length in seconds: creating chats is rare, so its budget spans an hour.
  const windows: Record<Budget, 60 | 3600> = {
    messages: 60,
    voice_notes: 60,
    files: 60,
    typing: 60,
    reactions: 60,
    sessions: 3600,
    reads: 60,
  };
  const limiters = Object.fromEntries(
    (Object.keys(points) as Budget[]).map((budget) => {
      const options = {
        points: points[budget],
        duration: windows[budget],
        keyPrefix: `chat-rl-${budget}`,
      };
      const memory = new RateLimiterMemory(options);
      const limiter: RateLimiterAbstract = redis
        ? new RateLimiterRedis({
            ...options,
            storeClient: redis,
            rejectIfRedisNotReady: true,
            insuranceLimiter: new RateLimiterMemory(options),
          })
        : memory;
      return [budget, limiter];
    }),
  ) as Record<Budget, RateLimiterAbstract>;

  return {
    async consume(budget, userId) {
      try {
        await limiters[budget].consume(userId);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          onRefusal(budget);
          throw new ChatError('RATE_LIMIT_EXCEEDED', undefined, {
            retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
            details: [
              `At most ${points[budget]} ${budget.replace('_', ' ')} per ${windows[budget] === 60 ? 'minute' : 'hour'}`,
            ],
          });
        }
        throw rejection;
      }
    },
    async refund(budget, userId) {
      // Best effort: a refund lost to a Redis hiccup only leaves the user one request short.
      await limiters[budget].reward(userId, 1).catch(() => {});
    },
  };
}
