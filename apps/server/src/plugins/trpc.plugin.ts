import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppServices } from '../app-services.js';
import type { Config } from '../config.js';
import { ChatError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { OriginPolicy } from '../transport/origins.js';
import { type AppRouter, appRouter } from '../transport/trpc/app.router.js';
import { chatErrorOf } from '../transport/trpc/trpc.js';

export interface TrpcPluginOptions {
  config: Config;
  services: AppServices;
  origins: OriginPolicy;
  metrics: Metrics;
}

/** `/trpc`: the same operations as REST, typed from the router, calling the same services. */
export const trpcPlugin: FastifyPluginAsync<TrpcPluginOptions> = async (app, options) => {
  const { config, services, origins, metrics } = options;
  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      // One batch of many history reads is one request with a huge answer: a batch carries at
      // most TRPC_MAX_BATCH_SIZE calls (a client sets httpBatchLink's maxItems to match).
      maxBatchSize: config.trpcMaxBatchSize,
      createContext: ({ req }: { req: FastifyRequest }) => ({
        services,
        authorization: req.headers.authorization,
        origin: origins.linkBase(req.protocol, req.host),
        requestId: req.id,
      }),
      onError: ({ error, path }) => {
        metrics.errors.inc({ route: `trpc ${path ?? 'unknown'}`, code: chatErrorOf(error).code });
        if (error.code === 'INTERNAL_SERVER_ERROR' && !(error.cause instanceof ChatError)) {
          app.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
        }
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });
};
