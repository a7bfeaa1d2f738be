import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { ChatError } from '../errors.js';
import type { OriginPolicy } from '../transport/origins.js';
import { sendError } from '../transport/rest/http-errors.js';
import { securityHeaders } from '../transport/rest/security-headers.js';

export interface SecurityPluginOptions {
  config: Config;
  origins: OriginPolicy;
}

/**
 * Security headers on every answer; a browser request must come from FRONTEND_URL or from this
 * server's own pages (a request with no Origin, from curl or a server, is not cross-site and
 * passes); CORS answers only for the allowed origins.
 */
export const securityPlugin = fp<SecurityPluginOptions>(
  async (app, { config, origins }) => {
    await app.register(fastifyHelmet, securityHeaders(config));
    app.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (origin === undefined || origins.isAllowedOrigin(origin, request.headers.host)) return;
      return sendError(reply, new ChatError('CHAT_ACCESS_DENIED', 'Origin not allowed'));
    });
    await app.register(fastifyCors, {
      origin: (origin, callback) =>
        callback(null, origin ? origins.isAllowedOrigin(origin, undefined) : false),
      credentials: true,
      exposedHeaders: ['Retry-After'],
    });
  },
  { name: 'security' },
);
