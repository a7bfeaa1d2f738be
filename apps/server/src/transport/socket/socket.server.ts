import type { Server as HttpServer } from 'node:http';
import type { TErrorCode } from '@chat/contracts';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { AppServices } from '../../app-services.js';
import type { EventBus } from '../../bus/bus.js';
import { coalesceWrites } from './coalesce-writes.js';
import {
  DEFAULT_EVENTS_PER_10S,
  DEFAULT_SOCKETS_PER_USER,
  EventBudget,
  SocketConnection,
} from './connection.js';
import { type FanOutLogger, registerGateway } from './gateway.js';
import { registerMessageHandlers } from './messages.handlers.js';
import { registerPresenceHandlers } from './presence.handlers.js';
import { registerReactionHandlers } from './reactions.handlers.js';
import { presenceRoom, userRoom } from './rooms.js';
import { createSessionTabs } from './session-tabs.js';
import type { ChatServer, HandlerDeps } from './socket-types.js';
import { registerTypingHandlers } from './typing.handlers.js';
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
  /** Authenticated sockets one user may hold on this node (`SOCKETS_PER_USER`). */
  socketsPerUser?: number;
}

/** Largest frame a client may send; a chat payload is a few KB at most. */
export const MAX_SOCKET_PAYLOAD_BYTES = 64 * 1024;

export function createSocketServer(options: SocketServerOptions): {
  io: ChatServer;
  close(): Promise<void>;
} {
  let closing = false;
  const io = newChatServer(options, () => closing);
  io.engine.on('connection', coalesceWrites);
  const here = new LocalSockets(io);
  const stopGateway = registerGateway(io, options.bus, options.logger, {
    endTyping: (sessionId, userId) => here.endTyping(sessionId, userId),
    clustered: options.adapterRedis !== undefined,
    reassess: (userId) => here.reassess(userId),
  });
  // The adapter's client queues commands while Redis is away; presence lookups must not wait on it.
  const adapterRedis = options.adapterRedis;
  const tabs = createSessionTabs(
    io,
    () => adapterRedis === undefined || adapterRedis.status === 'ready',
  );

  io.on('connection', (socket) => {
    // Handlers are registered synchronously, so events sent right after connecting are queued
    // until authentication settles rather than lost.
    const connection = new SocketConnection(
      socket,
      options.services,
      (error) => options.log(error, 'socket handler failed'),
      options.onError,
      new EventBudget(options.eventsPer10s ?? DEFAULT_EVENTS_PER_10S),
      options.socketsPerUser ?? DEFAULT_SOCKETS_PER_USER,
    );
    const typing = new TypingState(io, socket);
    here.add(connection, typing);
    const deps: HandlerDeps = { io, services: options.services, typing, tabs };
    // Typing first: a closed socket's indicators end before its presence is reconsidered.
    registerTypingHandlers(connection, deps);
    registerPresenceHandlers(connection, deps);
    registerMessageHandlers(connection, deps);
    registerReactionHandlers(connection, deps);
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

function newChatServer(options: SocketServerOptions, closing: () => boolean): ChatServer {
  return new Server(options.httpServer, {
    maxHttpBufferSize: MAX_SOCKET_PAYLOAD_BYTES,
    pingInterval: options.pingIntervalMs ?? 25_000,
    pingTimeout: options.pingTimeoutMs ?? 20_000,
    // Cross-site WebSocket hijacking: a browser page from another origin cannot open a socket.
    allowRequest: (request, callback) => {
      // A node shutting down takes no new connections: the client tries again (another node).
      if (closing()) return callback('shutting down', false);
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
}

/**
 * This node's sockets, each with its connection and typing state, so what the gateway hears
 * reaches them: a message sent over REST or tRPC ends the sender's typing, a profile change
 * has its user's sockets read it again.
 */
class LocalSockets {
  private readonly typingBySocket = new Map<string, TypingState>();
  private readonly connections = new Map<string, SocketConnection>();

  constructor(private readonly io: ChatServer) {}

  add(connection: SocketConnection, typing: TypingState): void {
    const { id } = connection.socket;
    this.typingBySocket.set(id, typing);
    this.connections.set(id, connection);
    connection.socket.on('disconnect', () => {
      this.typingBySocket.delete(id);
      this.connections.delete(id);
    });
  }

  endTyping(sessionId: string, userId: string): void {
    const sockets = this.io.of('/').adapter.rooms.get(presenceRoom(sessionId, userId));
    for (const socketId of sockets ?? []) this.typingBySocket.get(socketId)?.stop(sessionId);
  }

  /** The user's sockets here, or every socket here (undefined), read their profile again. */
  reassess(userId: string | undefined): void {
    const ids = userId
      ? this.io.of('/').adapter.rooms.get(userRoom(userId))
      : this.connections.keys();
    for (const socketId of ids ?? []) this.connections.get(socketId)?.reassess();
  }
}
