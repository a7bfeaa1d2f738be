import { createReadStream } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { ChatError } from '../errors.js';

export type ScanResult = { infected: false } | { infected: true; signature: string };

/** Virus scanning of a file before it is stored. */
export interface Scanner {
  readonly kind: 'clamav' | 'none';
  scan(filePath: string): Promise<ScanResult>;
  ping(): Promise<void>;
}

/** No scanner configured (development, or production with ALLOW_UNSCANNED_UPLOADS=true). */
export const noScanner: Scanner = {
  kind: 'none',
  scan: async () => ({ infected: false }),
  ping: async () => {},
};

export type ClamdAddress = { host: string; port: number } | { socket: string };

const CHUNK_BYTES = 64 * 1024;

/**
 * ClamAV's clamd over its INSTREAM protocol (TCP or Unix socket): `zINSTREAM\0`, then
 * `<uint32 BE length><bytes>` chunks, then a zero-length chunk; the reply ends with `\0`.
 * Anything but a clear OK or FOUND fails closed as SCANNER_UNAVAILABLE.
 */
export function createClamavScanner(address: ClamdAddress, timeoutMs = 30_000): Scanner {
  const connect = (): Socket =>
    'socket' in address
      ? createConnection(address.socket)
      : createConnection(address.port, address.host);

  function command(write: (socket: Socket) => Promise<void>): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const socket = connect();
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (error: Error | null, reply?: string) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        if (error) reject(error);
        else resolve(reply ?? '');
      };
      socket.setTimeout(timeoutMs, () => finish(new Error('clamd timed out')));
      socket.on('error', (error) => finish(error));
      socket.on('data', (data) => {
        chunks.push(data);
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.includes('\0')) finish(null, text.slice(0, text.indexOf('\0')).trim());
      });
      socket.on('end', () =>
        finish(null, Buffer.concat(chunks).toString('utf8').replace(/\0/g, '').trim()),
      );
      socket.on('connect', () => {
        write(socket).catch((error: Error) => finish(error));
      });
    });
  }

  const unavailable = (cause: unknown) =>
    new ChatError('SCANNER_UNAVAILABLE', undefined, { cause });

  return {
    kind: 'clamav',
    async scan(filePath) {
      let reply: string;
      try {
        reply = await command(async (socket) => {
          socket.write('zINSTREAM\0');
          for await (const chunk of createReadStream(filePath, { highWaterMark: CHUNK_BYTES })) {
            const data = chunk as Buffer;
            const header = Buffer.alloc(4);
            header.writeUInt32BE(data.length, 0);
            if (!socket.write(Buffer.concat([header, data]))) {
              await new Promise<void>((resolve) => socket.once('drain', () => resolve()));
            }
          }
          socket.write(Buffer.alloc(4));
        });
      } catch (error) {
        throw unavailable(error);
      }
      if (/: OK$/.test(reply)) return { infected: false };
      const found = /^stream: (.+) FOUND$/.exec(reply);
      if (found) return { infected: true, signature: found[1] ?? 'unknown' };
      throw unavailable(new Error(`clamd answered: ${reply || '(nothing)'}`));
    },
    async ping() {
      const reply = await command(async (socket) => {
        socket.write('zPING\0');
      });
      if (reply !== 'PONG') throw new Error(`clamd answered ${reply}`);
    },
  };
}
