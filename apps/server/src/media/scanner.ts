import { createReadStream } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { ChatError } from '../errors.js';

export type ScanResult = { infected: false } | { infected: true; signature: string };

/**
 * A scan fed while the upload arrives, so the verdict is ready a moment after the last byte
 * instead of after a second pass over the spooled file.
 */
export interface StreamScan {
  /** The next bytes. Resolves when more can be sent; never rejects (failures show in `result`). */
  write(chunk: Buffer): Promise<void>;
  /** No more bytes: clamd starts scanning while the caller finishes its own work. */
  end(): void;
  /** The verdict (ending the stream if `end` was not called); SCANNER_UNAVAILABLE for anything but a clear one. */
  result(): Promise<ScanResult>;
  /** The upload failed: drop the scan and its connection. */
  abort(): void;
}

/** Virus scanning of a file before it is stored. */
export interface Scanner {
  readonly kind: 'clamav' | 'none';
  scan(filePath: string): Promise<ScanResult>;
  begin(): StreamScan;
  ping(): Promise<void>;
}

const clean: ScanResult = { infected: false };

/** No scanner configured (development, or production with ALLOW_UNSCANNED_UPLOADS=true). */
export const noScanner: Scanner = {
  kind: 'none',
  scan: async () => clean,
  begin: () => ({
    write: async () => {},
    end: () => {},
    result: async () => clean,
    abort: () => {},
  }),
  ping: async () => {},
};

export type ClamdAddress = { host: string; port: number } | { socket: string };

const CHUNK_BYTES = 64 * 1024;
const END_OF_STREAM = Buffer.alloc(4);

/**
 * No Nagle delay: the small end-of-stream chunk would otherwise wait for the ACK of the bytes
 * before it, and the verdict with it.
 */
function connect(address: ClamdAddress): Socket {
  return 'socket' in address
    ? createConnection(address.socket)
    : createConnection({ port: address.port, host: address.host, noDelay: true });
}

const unavailable = (cause: unknown) => new ChatError('SCANNER_UNAVAILABLE', undefined, { cause });

/** Sends a command and collects the reply up to its `\0` (or the end of the connection). */
function openExchange(address: ClamdAddress, timeoutMs: number, command: string) {
  const socket = connect(address);
  const chunks: Buffer[] = [];
  let failure: Error | null = null;
  let reply: string | null = null;
  const waiters = new Set<() => void>();
  const wake = () => {
    const woken = [...waiters];
    waiters.clear();
    for (const waiter of woken) waiter();
  };
  const finish = (error: Error | null, text?: string) => {
    if (failure !== null || reply !== null) return;
    if (error) failure = error;
    else reply = text ?? '';
    socket.destroy();
    wake();
  };
  socket.on('error', (error) => finish(error));
  socket.on('timeout', () => finish(new Error('clamd timed out')));
  socket.on('drain', wake);
  socket.on('data', (data) => {
    chunks.push(data);
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.includes('\0')) finish(null, text.slice(0, text.indexOf('\0')).trim());
  });
  socket.on('end', () =>
    finish(null, Buffer.concat(chunks).toString('utf8').replace(/\0/g, '').trim()),
  );
  socket.on('close', () => finish(new Error('clamd closed the connection')));
  socket.write(command);

  const settled = () => failure !== null || reply !== null;
  /** Waits for `ready` or the end of the exchange; the timer runs only while clamd is awaited. */
  const until = (ready: () => boolean) =>
    new Promise<void>((resolve) => {
      if (ready() || settled()) return resolve();
      socket.setTimeout(timeoutMs);
      const waiter = () => {
        if (!ready() && !settled()) return void waiters.add(waiter);
        if (!settled()) socket.setTimeout(0);
        resolve();
      };
      waiters.add(waiter);
    });
  return {
    socket,
    settled,
    until,
    /** The reply, or the failure that ended the exchange. */
    async reply(): Promise<string> {
      await until(() => false);
      if (failure) throw failure;
      return reply ?? '';
    },
    close: () => finish(new Error('scan aborted')),
  };
}

function verdict(reply: string): ScanResult {
  if (/: OK$/.test(reply)) return clean;
  const found = /^stream: (.+) FOUND$/.exec(reply);
  if (found) return { infected: true, signature: found[1] ?? 'unknown' };
  throw unavailable(new Error(`clamd answered: ${reply || '(nothing)'}`));
}

/** One INSTREAM exchange fed chunk by chunk, waiting when clamd reads slower than we send. */
function beginInstream(address: ClamdAddress, timeoutMs: number): StreamScan {
  const exchange = openExchange(address, timeoutMs, 'zINSTREAM\0');
  const { socket } = exchange;
  let ended = false;
  const end = () => {
    if (!ended && !exchange.settled()) socket.write(END_OF_STREAM);
    ended = true;
  };
  return {
    async write(chunk) {
      if (ended || exchange.settled() || chunk.length === 0) return;
      // Header and bytes leave in one packet; the chunk itself is not copied.
      const header = Buffer.allocUnsafe(4);
      header.writeUInt32BE(chunk.length, 0);
      socket.cork();
      socket.write(header);
      const more = socket.write(chunk);
      socket.uncork();
      if (!more) await exchange.until(() => socket.writableLength === 0);
    },
    end,
    async result() {
      end();
      try {
        return verdict(await exchange.reply());
      } catch (error) {
        throw error instanceof ChatError ? error : unavailable(error);
      }
    },
    abort() {
      ended = true;
      exchange.close();
    },
  };
}

/**
 * ClamAV's clamd over its INSTREAM protocol (TCP or Unix socket): `zINSTREAM\0`, then
 * `<uint32 BE length><bytes>` chunks, then a zero-length chunk; the reply ends with `\0`.
 * Anything but a clear OK or FOUND fails closed as SCANNER_UNAVAILABLE.
 */
export function createClamavScanner(address: ClamdAddress, timeoutMs = 30_000): Scanner {
  const begin = () => beginInstream(address, timeoutMs);
  return {
    kind: 'clamav',
    begin,
    async scan(filePath) {
      const scan = begin();
      try {
        for await (const chunk of createReadStream(filePath, { highWaterMark: CHUNK_BYTES })) {
          await scan.write(chunk as Buffer);
        }
      } catch (error) {
        scan.abort();
        throw unavailable(error);
      }
      return scan.result();
    },
    async ping() {
      const reply = await openExchange(address, timeoutMs, 'zPING\0').reply();
      if (reply !== 'PONG') throw new Error(`clamd answered ${reply}`);
    },
  };
}
