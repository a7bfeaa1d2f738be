import { resolve } from 'node:path';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { AppServices } from '../app-services.js';
import type { DevAuthService } from '../auth/dev-auth.service.js';
import type { Config } from '../config.js';
import type { OriginPolicy } from '../transport/origins.js';
import { devAuthRoutes } from '../transport/rest/dev-auth.routes.js';
import { filesRoutes } from '../transport/rest/files.routes.js';
import { messagesRoutes } from '../transport/rest/messages.routes.js';
import { MULTIPART_LIMITS } from '../transport/rest/multipart.js';
import { reactionsRoutes } from '../transport/rest/reactions.routes.js';
import { sessionsRoutes } from '../transport/rest/sessions.routes.js';

export interface RestPluginOptions {
  config: Config;
  services: AppServices;
  origins: OriginPolicy;
  devAuth: DevAuthService | null;
}

/** The documented `/api/chat/...` paths by area, and the development sign-in when it is on. */
const restAreas: FastifyPluginAsync<RestPluginOptions> = async (app, options) => {
  const { config, services, origins, devAuth } = options;
  // At the root scope (below): the multipart parser was always the whole app's.
  await app.register(fastifyMultipart, { limits: MULTIPART_LIMITS, throwFileSizeLimit: true });
  await app.register(sessionsRoutes, { services });
  await app.register(messagesRoutes, { services });
  await app.register(reactionsRoutes, { services });
  await app.register(filesRoutes, {
    services,
    tempDir: resolve(config.dataDir, 'tmp', 'uploads'),
    uploadIdleTimeoutMs: config.uploadIdleTimeoutMs,
  });
  if (devAuth) await app.register(devAuthRoutes, { devAuth, isOwnHost: origins.isOwnHost });
};

export const restPlugin = fp(restAreas, { name: 'rest' });
