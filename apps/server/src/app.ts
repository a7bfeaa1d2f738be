import Fastify, { type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppServices } from './app-services.js';
import type { EventBus } from './bus/bus.js';
import { type AppDeps, type Composition, compose } from './composition.js';
import { errorsPlugin } from './plugins/errors.plugin.js';
import { lifecyclePlugin } from './plugins/lifecycle.plugin.js';
import { observabilityPlugin } from './plugins/observability.plugin.js';
import { restPlugin } from './plugins/rest.plugin.js';
import { securityPlugin } from './plugins/security.plugin.js';
import { socketGatewayPlugin } from './plugins/socket-gateway.plugin.js';
import { trpcPlugin } from './plugins/trpc.plugin.js';
import { webClientPlugin } from './plugins/web-client.plugin.js';
import type { Store } from './repositories/store.js';
import { fastifyOptions } from './server-options.js';
import { asyncApiPlugin } from './transport/docs/asyncapi.plugin.js';
import { openApiPlugin } from './transport/docs/openapi.plugin.js';
import type { ChatServer } from './transport/socket/socket-types.js';

export type { AppDeps } from './composition.js';

export interface BuiltApp {
  app: FastifyInstance;
  io: ChatServer;
  services: AppServices;
  bus: EventBus;
  store: Store;
}

/**
 * Builds the whole app without listening (`main.ts` listens; tests inject or listen on port 0):
 * the dependencies from the composition root, then the plugins in the order they must run.
 */
export async function buildApp(deps: AppDeps): Promise<BuiltApp> {
  const app = Fastify(fastifyOptions(deps.config, deps.logger)).withTypeProvider<ZodTypeProvider>();
  const root = compose(deps, app.log);
  await registerPlugins(app, root);
  return { app, io: app.io, services: root.services, bus: root.bus, store: root.store };
}

/** Every plugin, in order: the one list (a test that observes routes registers it on its own app). */
export async function registerPlugins(app: FastifyInstance, root: Composition): Promise<void> {
  await app.register(lifecyclePlugin);
  await app.register(errorsPlugin, root);
  await app.register(securityPlugin, root);
  await app.register(openApiPlugin);
  await app.register(asyncApiPlugin);
  await app.register(observabilityPlugin, root);
  await app.register(restPlugin, root);
  await app.register(trpcPlugin, root);
  await app.register(webClientPlugin, { dir: root.config.webDistDir });
  await app.register(socketGatewayPlugin, root);
}
