import { createHmac, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { createClient } from '@supabase/supabase-js';
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { type AppServices, createAppServices } from './app-services.js';
import { createDevAuthService, loadDevSecret } from './auth/dev-auth.service.js';
import { createOperatorCheck } from './auth/operator-access.js';
import {
  createJwksVerifier,
  createSecretVerifier,
  type TokenVerifier,
} from './auth/token-verifier.js';
import { createEventBus, type EventBus } from './bus/bus.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { listenForProfileChanges } from './db/profile-changes.js';
import { ChatError } from './errors.js';
import {
  type BlobStore,
  createLocalBlobStore,
  createSupabaseBlobStore,
} from './media/blob-store.js';
import { createFileUrlSigner, type FileUrlSigner } from './media/file-urls.js';
import { createClamavScanner, noScanner, type Scanner } from './media/scanner.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createStore, type Store } from './repositories/store.js';
import type { FileUrls } from './services/message-view.js';
import { createRateLimiter } from './services/rate-limiter.js';
import { createOriginPolicy, type OriginPolicy } from './transport/origins.js';
import { acceptedRequestId } from './transport/request-id.js';
import { devAuthRoutes } from './transport/rest/dev-auth.routes.js';
import { filesRoutes } from './transport/rest/files.routes.js';
import { healthRoutes, type ReadinessCheck } from './transport/rest/health.routes.js';
import { registerErrorHandling, sendError, toChatError } from './transport/rest/http-errors.js';
import { messagesRoutes } from './transport/rest/messages.routes.js';
import { metricsRoutes } from './transport/rest/metrics.routes.js';
import { MULTIPART_LIMITS } from './transport/rest/multipart.js';
import { docsCsp, securityHeaders } from './transport/rest/security-headers.js';
import { sessionsRoutes } from './transport/rest/sessions.routes.js';
import { createSocketServer } from './transport/socket/socket.server.js';
import type { ChatServer } from './transport/socket/socket-types.js';
import { type AppRouter, appRouter } from './transport/trpc/app.router.js';
import { chatErrorOf } from './transport/trpc/trpc.js';

export interface AppDeps {
  config: Config;
  database: Database;
  redis?: Redis | undefined;
  /** A dedicated connection for the Socket.IO adapter (it blocks on stream reads). */
  adapterRedis?: Redis | undefined;
  /** Metrics registry (a test or an embedding app may bring its own). */
  metrics?: Metrics;
  /** Replaces the configured blob store (tests of the storage contract). */
  blobStore?: BlobStore;
  /** Replaces the configured scanner. */
  scanner?: Scanner;
  /** Pino options, or false for silence (tests). */
  logger?: boolean | object;
}

export interface BuiltApp {
  app: FastifyInstance;
  io: ChatServer;
  services: AppServices;
  bus: EventBus;
  store: Store;
}

const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** Builds the whole app without listening: `main.ts` listens, tests inject or listen on port 0. */
export async function buildApp(deps: AppDeps): Promise<BuiltApp> {
  const { config, database, redis } = deps;
  const app = Fastify({
    logger: deps.logger ?? {
      level: config.logLevel,
      // Requests are logged by method, path and status only: never headers (tokens), bodies
      // (message text, files) or a file link's signature.
      serializers: {
        req: (request: FastifyRequest) => ({
          method: request.method,
          url: request.url.replace(/signature=[^&]+/, 'signature=[redacted]'),
          remoteAddress: request.ip,
        }),
      },
    },
    bodyLimit: 256 * 1024,
    // A request whose body stops arriving is cut off (408, connection closed) REQUEST_TIMEOUT_MS
    // after it began: only receiving it counts, so a long-poll GET awaiting its answer and an
    // upgraded WebSocket are not bound by it. Node looks for such requests every
    // `connectionsCheckingInterval` (30 s by default: a quarter of the timeout here, at most
    // that), and the headers get no longer than the whole request. No socket idle timeout
    // (`connectionTimeout` stays 0): it would cut a poll held for SOCKET_PING_INTERVAL_MS and an
    // upload waiting on its scan; keep-alive connections keep Fastify's 72 s.
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(60_000, config.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.requestTimeoutMs / 4)),
    },
    // tRPC batches put every procedure name in one path parameter (`/trpc/a,b,c`).
    routerOptions: { maxParamLength: 5000 },
    // X-Forwarded-* count only from the proxies named in TRUSTED_PROXIES: anyone else could
    // choose the host and scheme of the links the other participant receives.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    // A caller's X-Request-Id is kept (so a request can be followed across services) when it is a
    // short token, else a UUID: it is echoed in every answer and written to every log line.
    requestIdHeader: false,
    genReqId: (request) => acceptedRequestId(request.headers['x-request-id']) ?? randomUUID(),
    // A URL that cannot be decoded (`/api/chat/sessions/%`) is refused before routing: with the
    // envelope too, not Fastify's own error shape.
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply, toChatError(error));
    },
    // While draining, new requests get the envelope (below), not Fastify's own 503 body.
    return503OnClosing: false,
  }).withTypeProvider<ZodTypeProvider>();
  // Shutting down (SIGTERM): requests that arrive now are turned away with a 503 the client can
  // retry elsewhere, and every answer closes its connection, so keep-alive connections do not
  // hold the exit back.
  let draining = false;
  app.addHook('onRequest', async (_request, reply) => {
    if (draining) {
      return sendError(
        reply,
        new ChatError('SERVICE_UNAVAILABLE', 'This node is shutting down, try again'),
      );
    }
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (draining) reply.header('connection', 'close');
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(fastifyHelmet, securityHeaders(config));
  const metrics = deps.metrics ?? createMetrics();
  registerErrorHandling(app, (route, code) => metrics.errors.inc({ route, code }));

  const origins = createOriginPolicy(config);
  const store = createStore(database, (operation, seconds) =>
    metrics.dbQuerySeconds.observe({ operation }, seconds),
  );
  const bus = createEventBus((error) => app.log.error({ err: error }, 'event subscriber failed'));
  const devSecret = config.auth.kind === 'dev' ? loadDevSecret(config.dataDir) : undefined;
  const devAuth = devSecret ? createDevAuthService(devSecret) : null;
  const signer = createFileUrlSigner(fileUrlSecret(config, devSecret), config.fileUrlTtlSeconds);
  const blobStore = deps.blobStore ?? createBlobStore(config);
  const scanner = deps.scanner ?? createScanner(config);
  const services = createAppServices({
    store,
    bus,
    rateLimiter: createRateLimiter(config.rateLimits, redis, (budget) =>
      metrics.rateLimited.inc({ budget }),
    ),
    verifier: createVerifier(config, devSecret),
    devAuth,
    fileUrls: fileUrls(origins, signer),
    origins,
    blobStore,
    scanner,
    signer,
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Booking chat API',
        version: '1.0.0',
        description:
          'REST adapters of the booking chat service. Errors use the envelope `{ success: false, error, code, details }`.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: docsCsp });

  const isAllowedOrigin = origins.isAllowedOrigin;
  registerOriginCheck(app, origins);
  await app.register(fastifyCors, {
    origin: (origin, callback) =>
      callback(null, origin ? origins.isAllowedOrigin(origin, undefined) : false),
    credentials: true,
    exposedHeaders: ['Retry-After'],
  });

  await app.register(fastifyMultipart, { limits: MULTIPART_LIMITS, throwFileSizeLimit: true });

  const readiness: ReadinessCheck[] = [{ name: 'database', check: () => database.ping() }];
  if (redis) readiness.push({ name: 'redis', check: async () => void (await redis.ping()) });
  if (scanner.kind !== 'none') readiness.push({ name: 'scanner', check: () => scanner.ping() });
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
  await app.register(sessionsRoutes, { services });
  await app.register(messagesRoutes, { services });
  await app.register(filesRoutes, {
    services,
    tempDir: resolve(config.dataDir, 'tmp', 'uploads'),
    uploadIdleTimeoutMs: config.uploadIdleTimeoutMs,
  });
  if (devAuth) await app.register(devAuthRoutes, { devAuth, isOwnHost: origins.isOwnHost });

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

  const webDist = config.webDistDir ?? DEFAULT_WEB_DIST;
  if (existsSync(webDist)) {
    await app.register(fastifyStatic, { root: webDist, prefix: '/', wildcard: false });
  } else {
    app.log.warn({ webDist }, 'web client not built; serving the API only');
  }

  const sockets = createSocketServer({
    logger: app.log,
    httpServer: app.server,
    services,
    bus,
    isAllowedOrigin,
    adapterRedis: deps.adapterRedis,
    log: (error, message) => app.log.error({ err: error }, message),
    onError: (event, code) => metrics.errors.inc({ route: `socket ${event}`, code }),
    pingIntervalMs: config.socketPingIntervalMs,
    pingTimeoutMs: config.socketPingTimeoutMs,
    eventsPer10s: config.socketEventsPer10s,
    socketsPerUser: config.socketsPerUser,
  });
  // Roles and profiles are the marketplace's: the database tells every node when one changes.
  const stopProfileChanges = await listenForProfileChanges(database, {
    changed: services.profileChanges.changed,
    missed: services.profileChanges.missed,
    lost: (error) =>
      app.log.warn({ err: error }, 'profile changes: listening connection lost, reopening'),
  });
  app.addHook('onClose', stopProfileChanges);
  sockets.io.on('connection', (socket) => {
    metrics.openSockets.inc();
    socket.on('disconnect', () => metrics.openSockets.dec());
  });
  // Sockets go first, so the HTTP server can close once they are gone.
  app.addHook('preClose', async () => {
    draining = true;
    await sockets.close();
  });

  return { app, io: sockets.io, services, bus, store };
}

function createBlobStore(config: Config): BlobStore {
  if (config.supabase) {
    const client = createClient(config.supabase.url, config.supabase.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    return createSupabaseBlobStore(client, config.storageBucket);
  }
  return createLocalBlobStore(resolve(config.dataDir, 'files'));
}

function createScanner(config: Config): Scanner {
  return config.clamav ? createClamavScanner(config.clamav) : noScanner;
}

/** File links are signed with FILE_URL_SECRET, else a key derived from the JWT secret, so every node agrees. */
function fileUrlSecret(config: Config, devSecret: string | undefined): string {
  if (config.fileUrlSecret) return config.fileUrlSecret;
  const root = config.auth.kind === 'secret' ? config.auth.secret : devSecret;
  if (!root) return loadDevSecret(config.dataDir);
  return createHmac('sha256', root).update('chat-file-urls').digest('hex');
}

/** `origin` is a caller's link base, already vetted by the origin policy (never a raw header). */
function fileUrls(origins: OriginPolicy, signer: FileUrlSigner): FileUrls {
  return {
    builderFor(origin) {
      const base = origin ?? origins.linkBase(undefined, undefined);
      return (message, variant) =>
        `${base}/api/chat/files/${message.id}?${signer.query(message.id, variant)}`;
    },
  };
}

function createVerifier(config: Config, devSecret: string | undefined): TokenVerifier {
  switch (config.auth.kind) {
    case 'secret':
      return createSecretVerifier(config.auth.secret);
    case 'jwks':
      return createJwksVerifier(config.auth.url);
    case 'dev':
      if (!devSecret) throw new Error('development sign-in needs its secret');
      return createSecretVerifier(devSecret);
  }
}

/**
 * A browser request must come from FRONTEND_URL or from this server's own pages. A request
 * with no Origin (curl, a server-side client) is not cross-site and passes.
 */
function registerOriginCheck(app: FastifyInstance, origins: OriginPolicy): void {
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined || origins.isAllowedOrigin(origin, request.headers.host)) return;
    return sendError(reply, new ChatError('CHAT_ACCESS_DENIED', 'Origin not allowed'));
  });
}
