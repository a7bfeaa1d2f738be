import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AppServices } from '../app-services.js';
import { createEventBus } from '../bus/bus.js';
import { loadConfig } from '../config.js';
import { ChatError } from '../errors.js';
import { createMetrics } from '../metrics.js';
import type { OriginPolicy } from '../transport/origins.js';
import { errorsPlugin } from './errors.plugin.js';
import { observabilityPlugin } from './observability.plugin.js';
import { securityPlugin } from './security.plugin.js';

/** Each plugin loads alone on a bare Fastify, with fakes for what it is given. */

const config = loadConfig({ JWT_SECRET: 'plugin-test', METRICS_TOKEN: 'm'.repeat(32) });

/** An auth service that knows one operator token and refuses every other. */
const fakeServices = {
  auth: {
    async authenticate(token: string | undefined) {
      if (token !== 'operator') throw new ChatError('AUTHENTICATION_REQUIRED');
      return { actor: { id: 'op', role: 'monitor' }, expiresAt: undefined };
    },
  },
} as unknown as AppServices;

describe('observability plugin, alone', () => {
  it('answers /readyz from the checks it is given: why one failed only for an operator', async () => {
    const app = Fastify({ logger: false });
    const metrics = createMetrics();
    await app.register(errorsPlugin, { metrics });
    await app.register(observabilityPlugin, {
      config,
      services: fakeServices,
      bus: createEventBus(() => {}),
      metrics,
      readiness: [
        { name: 'database', check: async () => {} },
        {
          name: 'scanner',
          check: async () => Promise.reject(new Error('clamd at 10.0.0.9 refused')),
        },
      ],
    });
    const anonymous = await app.inject({ method: 'GET', url: '/readyz' });
    expect(anonymous.statusCode).toBe(503);
    expect(anonymous.json()).toEqual({
      status: 'unavailable',
      checks: { database: 'ok', scanner: 'failing' },
    });
    const operator = await app.inject({
      method: 'GET',
      url: '/readyz',
      headers: { authorization: 'Bearer operator' },
    });
    expect(operator.json().checks.scanner).toBe('clamd at 10.0.0.9 refused');
    const scrape = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${'m'.repeat(32)}` },
    });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.body).toContain('chat_messages_total');
    await app.close();
  });
});

describe('security plugin, alone', () => {
  it('asks the origin policy it is given, and answers a refusal in the envelope', async () => {
    const app = Fastify({ logger: false });
    const origins = { isAllowedOrigin: (origin: string) => origin === 'http://ok.example' };
    await app.register(errorsPlugin, { metrics: createMetrics() });
    await app.register(securityPlugin, { config, origins: origins as unknown as OriginPolicy });
    app.get('/ping', async () => ({ pong: true }));
    const allowed = await app.inject({
      method: 'GET',
      url: '/ping',
      headers: { origin: 'http://ok.example' },
    });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('http://ok.example');
    expect(allowed.headers['x-content-type-options']).toBe('nosniff');
    const refused = await app.inject({
      method: 'GET',
      url: '/ping',
      headers: { origin: 'http://evil.example' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ success: false, code: 'CHAT_ACCESS_DENIED' });
    await app.close();
  });
});
