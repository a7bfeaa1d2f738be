import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { TErrorCode } from '@chat/contracts';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { AppServices } from '../../app-services.js';
import type { EventBus } from '../../bus/bus.js';
import { registerChatHandlers } from './chat.handlers.js';
import {
  DEFAULT_EVENTS_PER_10S,
  DEFAULT_SOCKETS_PER_USER,
  EventBudget,
  SocketConnection,
} from './connection.js';
import { type FanOutLogger, registerGateway } from './gateway.js';
import { presenceRoom, userRoom } from './rooms.js';
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
  // Each socket's typing state, so a message sent over REST or tRPC can end it.
  const typingBySocket = new Map<string, TypingState>();
  const endTyping = (sessionId: string, userId: string) => {
    const here = io.of('/').adapter.rooms.get(presenceRoom(sessionId, userId));
    for (const socketId of here ?? []) typingBySocket.get(socketId)?.stop(sessionId);
  };
  // Each socket's connection, so a profile change can reach the sockets of its user here.
  const connections = new Map<string, SocketConnection>();
  const reassess = (userId: string | undefined) => {
    const ids = userId ? io.of('/').adapter.rooms.get(userRoom(userId)) : connections.keys();
    for (const socketId of ids ?? []) connections.get(socketId)?.reassess();
  };
  const stopGateway = registerGateway(io, options.bus, options.logger, {
    endTyping,
    clustered: options.adapterRedis !== undefined,
    reassess,
  });
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
      options.socketsPerUser ?? DEFAULT_SOCKETS_PER_USER,
    );
    const typing = new TypingState(io, socket);
    typingBySocket.set(socket.id, typing);
    connections.set(socket.id, connection);
    socket.on('disconnect', () => {
      typingBySocket.delete(socket.id);
      connections.delete(socket.id);
    });
    registerChatHandlers(io, connection, typing, options.services, clusterReachable);
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

/** The parts of an engine.io connection `coalesceWrites` uses (not all in its public types). */
export interface EngineConnection {
  on(event: 'packetCreate', listener: () => void): void;
  on(event: 'flush', listener: (packets: readonly unknown[]) => void): void;
  /** Sends what is queued, when the transport is writable (engine.io's own method). */
  flush(): void;
  transport?: { name?: string; writable: boolean; socket?: { _socket?: Socket } };
}

/**
 * Everything written to one websocket connection during one turn of the event loop leaves in
 * one `writev` instead of one system call per frame. Writes were the largest item in the send
 * benchmark's CPU profile: each message is four frames (`new_message` to both sides,
 * `message_sent`, the ack), and a group commit answers a hundred senders in one burst.
 *
 * engine.io queues packets while its transport is not writable (that is how it waits for a
 * write in progress). The first packet of a turn marks the idle transport not writable, so the
 * rest of the turn's packets queue behind it; `setImmediate` (right after this turn's I/O
 * callbacks) makes it writable again and flushes the queue, with the TCP socket corked for that
 * synchronous flush so the frames go out in one write.
 */
export function coalesceWrites(connection: EngineConnection): void {
  // Shared listeners (`this` is the connection): no closures kept per idle connection.
  connection.on('packetCreate', holdTurn);
  connection.on('flush', corkFlush);
}

/** Connections whose frames are being held for the rest of this turn. */
const holding = new WeakSet<EngineConnection>();

function holdTurn(this: EngineConnection): void {
  const { transport } = this;
  // Only an idle websocket: a write in progress queues the packet by itself, and the polling
  // transport already sends its queue as one response.
  if (holding.has(this) || transport?.name !== 'websocket' || !transport.writable) return;
  holding.add(this);
  transport.writable = false;
  setImmediate(releaseTurn, this, transport);
}

function releaseTurn(
  connection: EngineConnection,
  transport: NonNullable<EngineConnection['transport']>,
): void {
  holding.delete(connection);
  if (connection.transport !== transport || transport.writable) return;
  transport.writable = true;
  connection.flush();
}

function corkFlush(this: EngineConnection, packets: readonly unknown[]): void {
  if (packets.length < 2) return;
  const { transport } = this;
  // ws keeps its net.Socket as `_socket`.
  const raw = transport?.name === 'websocket' ? transport.socket?._socket : undefined;
  if (!raw || raw.destroyed || raw.writableCorked > 0) return;
  raw.cork();
  process.nextTick(uncork, raw);
}

const uncork = (raw: Socket) => raw.uncork();
