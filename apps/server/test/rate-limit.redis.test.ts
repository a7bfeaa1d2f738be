import { describe, expect, it } from 'vitest';
import type { Readiness } from '../src/transport/rest/health.routes.js';
import { expectError, type MessageListAnswer, rest } from './support/rest.js';
import {
  requiredServiceUrl,
  startTestApp,
  type TestApp,
  type TestUser,
  useTestApp,
} from './support/test-app.js';

const env = { REDIS_URL: requiredServiceUrl('REDIS_URL'), RATE_LIMIT_MESSAGES_PER_MINUTE: '2' };

// Two app instances: separate processes' worth of memory, one database, one Redis.
const a = useTestApp(env);
const b = useTestApp(env, { sharesDatabaseWith: a });

const send = (app: TestApp, user: TestUser, sessionId: string, content: string) =>
  rest(app.app, user).post('/api/chat/messages', { session_id: sessionId, content });

describe('message rate limit in Redis', () => {
  it('two instances share one user’s budget', async () => {
    // Factory users have fresh random ids, so no run meets another run's counters.
    const { client, reader, sessionId } = await a.factory.bookingChat();
    expect((await send(a, client, sessionId, 'one')).statusCode).toBe(201);
    expect((await send(b, client, sessionId, 'two')).statusCode).toBe(201);

    for (const app of [a, b]) {
      const refused = await send(app, client, sessionId, 'three');
      expectError(refused, 'RATE_LIMIT_EXCEEDED');
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }

    // Counted per user: the other participant still has a whole budget on either instance.
    expect((await send(b, reader, sessionId, 'reply')).statusCode).toBe(201);
    expect((await send(a, reader, sessionId, 'again')).statusCode).toBe(201);

    const stored = await rest(b.app, reader).get(`/api/chat/messages?session_id=${sessionId}`);
    expect(stored.json<MessageListAnswer>().data.messages.map((m) => m.content)).toEqual([
      'one',
      'two',
      'reply',
      'again',
    ]);
  });

  it('a new instance (a restart) still sees the spent budget', async () => {
    const { client, sessionId } = await a.factory.bookingChat();
    expect((await send(a, client, sessionId, 'one')).statusCode).toBe(201);
    expect((await send(a, client, sessionId, 'two')).statusCode).toBe(201);
    const restarted = await startTestApp(env, { database: a.database });
    try {
      expectError(await send(restarted, client, sessionId, 'three'), 'RATE_LIMIT_EXCEEDED');
    } finally {
      await restarted.close();
    }
  });

  it('readiness reports Redis', async () => {
    const response = await a.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json<Readiness>().checks).toMatchObject({ database: 'ok', redis: 'ok' });
  });
});
