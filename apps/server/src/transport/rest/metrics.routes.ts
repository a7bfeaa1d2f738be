import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { bearerToken } from '../../auth/auth.service.js';
import { secretMatcher } from '../../auth/operator-access.js';
import { ChatError } from '../../errors.js';

/**
 * `/metrics` on the service's port, registered only when METRICS_TOKEN is set: it answers only
 * `Authorization: Bearer <METRICS_TOKEN>` (what a Prometheus scrape_config sends). Without the
 * setting the path is unknown, like any other (METRICS_PORT serves it on loopback instead).
 */
export const metricsRoutes: FastifyPluginAsync<{ registry: Registry; token: string }> = async (
  app,
  { registry, token },
) => {
  const isScraper = secretMatcher(token);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!isScraper(bearerToken(request.headers.authorization))) {
      throw new ChatError('AUTHENTICATION_REQUIRED', 'The metrics token is required');
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};
