import { EventEmitter } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
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
