import fp from 'fastify-plugin';
import type { Composition } from '../composition.js';
import { listenForProfileChanges } from '../db/profile-changes.js';
import { createSocketServer } from '../transport/socket/socket.server.js';
import type { ChatServer } from '../transport/socket/socket-types.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Socket.IO server on this app's HTTP server (tests and `buildApp`'s caller reach it). */
    io: ChatServer;
  }
}

export type SocketGatewayPluginOptions = Pick<
  Composition,
  'config' | 'database' | 'services' | 'bus' | 'origins' | 'metrics' | 'adapterRedis'
>;

/**
 * Socket.IO on the app's HTTP server: the gateway turns committed bus events into emits, and the
 * database tells every node when a role or profile changes. Registered last: its `preClose`
 * closes the sockets after the drain has begun, so the HTTP server can close once they are gone.
 */
export const socketGatewayPlugin = fp<SocketGatewayPluginOptions>(
  async (app, { config, database, services, bus, origins, metrics, adapterRedis }) => {
    const sockets = createSocketServer({
      logger: app.log,
      httpServer: app.server,
      services,
      bus,
      isAllowedOrigin: origins.isAllowedOrigin,
      adapterRedis,
      log: (error, message) => app.log.error({ err: error }, message),
      onError: (event, code) => metrics.errors.inc({ route: `socket ${event}`, code }),
      pingIntervalMs: config.socketPingIntervalMs,
      pingTimeoutMs: config.socketPingTimeoutMs,
      eventsPer10s: config.socketEventsPer10s,
      socketsPerUser: config.socketsPerUser,
    });
    app.decorate('io', sockets.io);
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
    app.addHook('preClose', () => sockets.close());
  },
  { name: 'socket-gateway' },
);
