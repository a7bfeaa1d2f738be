import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { AppServices } from '../../app-services.js';
import type { EventBus } from '../../bus/bus.js';
import { registerChatHandlers } from './chat.handlers.js';
import { SocketConnection } from './connection.js';
import { registerGateway } from './gateway.js';
import type { ChatServer } from './socket-types.js';
import { TypingState } from './typing.js';

export interface SocketServerOptions {
  httpServer: HttpServer;
  services: AppServices;
  bus: EventBus;
  /** Decides whether a browser Origin may open a socket (same rule as REST). */
  isAllowedOrigin: (origin: string, host: string | undefined) => boolean;
  /** A dedicated Redis connection for the adapter (several nodes), or none for one node. */
  adapterRedis?: Redis | undefined;
  log: (error: unknown, message: string) => void;
}

/** Largest frame a client may send; a chat payload is a few KB at most. */
export const MAX_SOCKET_PAYLOAD_BYTES = 64 * 1024;

export function createSocketServer(options: SocketServerOptions): { io: ChatServer; close(): Promise<void> } {
  const io: ChatServer = new Server(options.httpServer, {
    maxHttpBufferSize: MAX_SOCKET_PAYLOAD_BYTES,
    // Cross-site WebSocket hijacking: a browser page from another origin cannot open a socket.
    allowRequest: (request, callback) => {
      const origin = request.headers.origin;
      callback(null, origin === undefined || options.isAllowedOrigin(origin, request.headers.host));
    },
    cors: {
      origin: (origin, callback) =>
        callback(null, origin === undefined ? true : options.isAllowedOrigin(origin, undefined)),
      credentials: true,
    },
    ...(options.adapterRedis ? { adapter: createAdapter(options.adapterRedis, { maxLen: 100_000 }) } : {}),
  });

  const stopGateway = registerGateway(io, options.bus);
  // The adapter's client queues commands while Redis is away; presence lookups must not wait on it.
  const adapterRedis = options.adapterRedis;
  const clusterReachable = () => adapterRedis === undefined || adapterRedis.status === 'ready';

  io.on('connection', (socket) => {
    // Handlers are registered synchronously, so events sent right after connecting are queued
    // until authentication settles rather than lost.
    const connection = new SocketConnection(socket, options.services, (error) =>
      options.log(error, 'socket handler failed'),
    );
    registerChatHandlers(io, connection, new TypingState(io, socket), options.services, clusterReachable);
  });

  return {
    io,
    async close() {
      stopGateway();
      io.local.disconnectSockets(true);
      io.engine.close();
      await new Promise<void>((resolve) => {
        // Closes the adapter; the HTTP server itself is Fastify's to close.
        void io.of('/').adapter.close?.();
        resolve();
      });
    },
  };
}
