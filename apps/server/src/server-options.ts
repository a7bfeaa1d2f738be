import { randomUUID } from 'node:crypto';
import type { FastifyHttpOptions, FastifyRequest } from 'fastify';
import type { Config } from './config.js';
import { acceptedRequestId } from './transport/request-id.js';
import { sendError, toChatError } from './transport/rest/http-errors.js';

/** What the Fastify instance is made with: logging, bounds, proxies and request ids. */
export function fastifyOptions(
  config: Config,
  logger: boolean | object | undefined,
): FastifyHttpOptions<import('node:http').Server> {
  return {
    logger: logger ?? {
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
    // While draining, new requests get the envelope (lifecycle plugin), not Fastify's own 503.
    return503OnClosing: false,
  };
}
