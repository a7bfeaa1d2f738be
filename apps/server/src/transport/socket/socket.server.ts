import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { TErrorCode } from '@chat/contracts';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { AppServices } from '../../app-services.js';
import type { EventBus } from '../../bus/bus.js';
import { registerChatHandlers } from './chat.handlers.js';
import { DEFAULT_EVENTS_PER_10S, EventBudget, SocketConnection } from './connection.js';
import { type FanOutLogger, registerGateway } from './gateway.js';
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
  logger: FanOutLogger;
  /** Every error answered to a socket event (metrics). */
  onError?: (event: string, code: TErrorCode) => void;
  /** Heartbeat: a peer that vanished is dropped within interval + timeout. */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /** Per-connection event budget (see `EventBudget`). */
  eventsPer10s?: number;
}

/** Largest frame a client may send; a chat payload is a few KB at most. */
export const MAX_SOCKET_PAYLOAD_BYTES = 64 * 1024;

export function createSocketServer(options: SocketServerOptions): {
  io: ChatServer;
  close(): Promise<void>;
} {
  let closing = false;
  const io: ChatServer = new Server(options.httpServer, {
    maxHttpBufferSize: MAX_SOCKET_PAYLOAD_BYTES,
    pingInterval: options.pingIntervalMs ?? 25_000,
    pingTimeout: options.pingTimeoutMs ?? 20_000,
    // Cross-site WebSocket hijacking: a browser page from another origin cannot open a socket.
    allowRequest: (request, callback) => {
      // A node shutting down takes no new connections: the client tries again (another node).
      if (closing) return callback('shutting down', false);
      const origin = request.headers.origin;
      callback(null, origin === undefined || options.isAllowedOrigin(origin, request.headers.host));
    },
    cors: {
      origin: (origin, callback) =>
        callback(null, origin === undefined ? true : options.isAllowedOrigin(origin, undefined)),
      credentials: true,
    },
    ...(options.adapterRedis
      ? { adapter: createAdapter(options.adapterRedis, { maxLen: 100_000 }) }
      : {}),
  });

  io.engine.on('connection', coalesceWrites);
  const stopGateway = registerGateway(io, options.bus, options.logger);
  // The adapter's client queues commands while Redis is away; presence lookups must not wait on it.
  const adapterRedis = options.adapterRedis;
  const clusterReachable = () => adapterRedis === undefined || adapterRedis.status === 'ready';

  io.on('connection', (socket) => {
    // Handlers are registered synchronously, so events sent right after connecting are queued
    // until authentication settles rather than lost.
    const connection = new SocketConnection(
      socket,
      options.services,
      (error) => options.log(error, 'socket handler failed'),
      options.onError,
      new EventBudget(options.eventsPer10s ?? DEFAULT_EVENTS_PER_10S),
    );
    registerChatHandlers(
      io,
      connection,
      new TypingState(io, socket),
      options.services,
      clusterReachable,
    );
  });

  return {
    io,
    /**
     * Shutting down: the transports are closed without a Socket.IO "disconnect" packet, so
     * clients treat it as a network drop and reconnect (to another node) by themselves, then
     * catch up with since_seq. The HTTP server is Fastify's to close.
     */
    async close() {
      closing = true;
      stopGateway();
      io.engine.close();
      await io.of('/').adapter.close?.();
    },
  };
}

/** The parts of an engine.io connection `coalesceWrites` uses (not in its public types). */
interface EngineConnection {
  on(event: 'flush', listener: (packets: readonly unknown[]) => void): void;
  transport?: { name?: string; socket?: { _socket?: Socket } };
}

/**
 * Frames engine.io flushes to one connection together (everything queued while its previous
 * write was in progress: under load, a `message_sent`, an ack and other sessions'
 * `new_message`) leave in one `writev` instead of one system call per frame. Writes were the
 * largest item in the send benchmark's CPU profile. The socket is corked for the synchronous
 * flush only and uncorked on the next tick, so nothing waits longer than this turn.
 */
export function coalesceWrites(connection: EngineConnection): void {
  connection.on('flush', (packets) => {
    if (packets.length < 2) return;
    const { transport } = connection;
    // ws keeps its net.Socket as `_socket`; the polling transport has no socket of its own.
    const raw = transport?.name === 'websocket' ? transport.socket?._socket : undefined;
    if (!raw || raw.destroyed || raw.writableCorked > 0) return;
    raw.cork();
    process.nextTick(() => raw.uncork());
  });
}
