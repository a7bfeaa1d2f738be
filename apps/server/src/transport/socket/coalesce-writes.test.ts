import { EventEmitter } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, createServer, Socket } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { coalesceWrites, type EngineConnection } from './coalesce-writes.js';

/** A real loopback TCP pair: the server side stands for a client's websocket connection. */
async function socketPair(): Promise<{ server: Socket; client: Socket; close(): void }> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const client = connect(address.port, '127.0.0.1');
  const server = await accepted;
  return {
    server,
    client,
    close() {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}

/** engine.io's queueing as it matters here: packets wait while the transport is not writable. */
class FakeConnection extends EventEmitter implements EngineConnection {
  private queue: string[] = [];
  readonly flushes: string[][] = [];
  readonly transport: NonNullable<EngineConnection['transport']>;

  constructor(
    private readonly raw: Socket,
    name = 'websocket',
  ) {
    super();
    this.transport = { name, writable: true, socket: { _socket: raw } };
  }

  send(data: string): void {
    this.emit('packetCreate');
    this.queue.push(data);
    this.flush();
  }

  flush(): void {
    if (!this.transport.writable || this.queue.length === 0) return;
    this.emit('flush', this.queue);
    const packets = this.queue;
    this.queue = [];
    this.flushes.push(packets);
    // One write per frame, as ws does; the cork decides how many system calls that is.
    for (const packet of packets) this.raw.write(packet);
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesceWrites', () => {
  it('the frames of one turn leave together after it, in order, corked into one write', async () => {
    const { server, client, close } = await socketPair();
    try {
      const received: Buffer[] = [];
      client.on('data', (chunk: Buffer) => received.push(chunk));
      const connection = new FakeConnection(server);
      coalesceWrites(connection);
      let corkedAtFlush = -1;
      // Listeners run in order: this one sees the socket as the flush's writes will.
      connection.on('flush', () => {
        corkedAtFlush = server.writableCorked;
      });
      connection.send('one,');
      connection.send('two,');
      connection.send('three');
      expect(connection.flushes).toEqual([]);
      await nextTurn();
      expect(connection.flushes).toEqual([['one,', 'two,', 'three']]);
      expect(corkedAtFlush).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.writableCorked).toBe(0);
      expect(Buffer.concat(received).toString()).toBe('one,two,three');
      expect(connection.transport.writable).toBe(true);
      // The next turn is held again.
      connection.send('four');
      expect(connection.flushes).toHaveLength(1);
      await nextTurn();
      expect(connection.flushes).toEqual([['one,', 'two,', 'three'], ['four']]);
    } finally {
      close();
    }
  });

  it('leaves the polling transport and a transport busy writing alone', async () => {
    const { server, close } = await socketPair();
    try {
      const polling = new FakeConnection(server, 'polling');
      coalesceWrites(polling);
      polling.send('a');
      polling.send('b');
      expect(polling.flushes).toEqual([['a'], ['b']]);

      const busy = new FakeConnection(server);
      coalesceWrites(busy);
      busy.transport.writable = false;
      busy.send('c');
      await nextTurn();
      // Still the writer's to release: not made writable by the hold.
      expect(busy.transport.writable).toBe(false);
      expect(busy.flushes).toEqual([]);
      busy.transport.writable = true;
      busy.flush();
      expect(busy.flushes).toEqual([['c']]);
    } finally {
      close();
    }
  });
});

/**
 * `coalesceWrites` leans on two internals: engine.io queues a connection's packets while its
 * `transport.writable` is false, and ws keeps the connection's net.Socket as `_socket`. engine.io
 * is pinned to one version for that (root package.json, pnpm overrides); this suite runs the
 * engine.io and ws that socket.io really uses, so a bump that changes either fails here, by name,
 * instead of silently losing the gain or breaking the sends (see docs/decisions.md, "Socket
 * writes coalesced per turn: engine.io pinned").
 */
describe('coalesceWrites on the engine.io and ws that socket.io runs', () => {
  it('a turn of emits leaves as one flush through ws, its frames corked into one write', async () => {
    const http = createHttpServer();
    const io = new Server(http);
    const engineConnections: EngineConnection[] = [];
    io.engine.on('connection', (connection: EngineConnection) => {
      coalesceWrites(connection);
      engineConnections.push(connection);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const serverSocket = new Promise<import('socket.io').Socket>((resolve) =>
      io.on('connection', resolve),
    );
    const client = connectClient(`http://127.0.0.1:${port}`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    try {
      const socket = await serverSocket;
      const received: number[] = [];
      client.on('frame', (n: number) => received.push(n));
      await new Promise((resolve) => client.on('connect', () => resolve(null)));
      await new Promise((resolve) => setTimeout(resolve, 50));

      const [connection] = engineConnections;
      const transport = connection?.transport;
      expect(transport?.name, 'engine.io: Socket#transport is the websocket transport').toBe(
        'websocket',
      );
      expect(
        typeof transport?.writable,
        'engine.io: Transport#writable, which coalesceWrites turns off for a turn',
      ).toBe('boolean');
      const raw = transport?.socket?._socket;
      expect(raw, 'ws: WebSocket#_socket, the net.Socket coalesceWrites corks').toBeInstanceOf(
        Socket,
      );
      if (!connection || !raw) return;

      const flushes: number[] = [];
      const corkedAtWrite: number[] = [];
      connection.on('flush', (packets) => flushes.push(packets.length));
      const write = raw.write;
      raw.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
        corkedAtWrite.push(this.writableCorked);
        return write.apply(this, args);
      } as Socket['write'];

      // One turn: three frames to this socket, and a broadcast (ws's pre-encoded frame path).
      socket.emit('frame', 1);
      socket.emit('frame', 2);
      socket.emit('frame', 3);
      io.emit('frame', 4);
      expect(flushes, 'engine.io: packets queue while transport.writable is false').toEqual([]);

      await waitUntil(() => received.length === 4);
      expect(received).toEqual([1, 2, 3, 4]);
      expect(flushes, 'engine.io: the held packets leave in one flush').toEqual([4]);
      expect(corkedAtWrite.length, 'ws: one write per frame').toBeGreaterThanOrEqual(4);
      expect(
        corkedAtWrite.every((corked) => corked > 0),
        'ws: every frame of the flush written to the corked net.Socket',
      ).toBe(true);
      expect(raw.writableCorked).toBe(0);
      expect(transport?.writable, 'engine.io: writable again once its write completed').toBe(true);
    } finally {
      client.close();
      await io.close();
    }
  });
});

async function waitUntil(done: () => boolean, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
