import { EventEmitter } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from './socket.server.js';

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

function fakeConnection(raw: Socket, name = 'websocket') {
  const connection = Object.assign(new EventEmitter(), {
    transport: { name, socket: { _socket: raw } },
  });
  coalesceWrites(connection);
  return connection;
}

describe('coalesceWrites', () => {
  it('a flush of several frames is written in one go on the next tick, all bytes in order', async () => {
    const { server, client, close } = await socketPair();
    try {
      const received: Buffer[] = [];
      client.on('data', (chunk: Buffer) => received.push(chunk));
      const connection = fakeConnection(server);
      connection.emit('flush', ['a', 'b', 'c']);
      expect(server.writableCorked).toBe(1);
      server.write('one,');
      server.write('two,');
      server.write('three');
      // Nothing left yet: held until the flush's turn is over.
      expect(server.writableLength).toBe(13);
      await new Promise((resolve) => process.nextTick(resolve));
      expect(server.writableCorked).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(Buffer.concat(received).toString()).toBe('one,two,three');
    } finally {
      close();
    }
  });

  it('leaves a single frame, the polling transport and a socket corked by someone else alone', async () => {
    const { server, close } = await socketPair();
    try {
      fakeConnection(server).emit('flush', ['only']);
      expect(server.writableCorked).toBe(0);
      fakeConnection(server, 'polling').emit('flush', ['a', 'b']);
      expect(server.writableCorked).toBe(0);
      server.cork();
      fakeConnection(server).emit('flush', ['a', 'b']);
      expect(server.writableCorked).toBe(1);
      await new Promise((resolve) => process.nextTick(resolve));
      expect(server.writableCorked).toBe(1);
      server.uncork();
    } finally {
      close();
    }
  });
});
