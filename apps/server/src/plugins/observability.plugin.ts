import type { FastifyPluginAsync } from 'fastify';
import type { AppServices } from '../app-services.js';
import { createOperatorCheck } from '../auth/operator-access.js';
import type { EventBus } from '../bus/bus.js';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import { healthRoutes, type ReadinessCheck } from '../transport/rest/health.routes.js';
import { metricsRoutes } from '../transport/rest/metrics.routes.js';

export interface ObservabilityPluginOptions {
  config: Config;
  services: AppServices;
  bus: EventBus;
  metrics: Metrics;
  readiness: ReadinessCheck[];
}

/**
 * `/healthz` and `/readyz` (why a check failed only for operators), `/metrics` on this port only
 * with METRICS_TOKEN, and the message counters, fed from the bus so every transport counts alike.
 */
export const observabilityPlugin: FastifyPluginAsync<ObservabilityPluginOptions> = async (
  app,
  { config, services, bus, metrics, readiness },
) => {
  await app.register(healthRoutes, {
    checks: readiness,
    isOperator: createOperatorCheck(services.auth, config.metrics.token),
  });
  if (config.metrics.token) {
    await app.register(metricsRoutes, { registry: metrics.registry, token: config.metrics.token });
  }
  bus.subscribe('message.created', ({ message, transport }) => {
    metrics.messages.inc({ type: message.type, transport });
    if (message.file_size) metrics.uploadBytes.inc({ type: message.type }, message.file_size);
  });
};
