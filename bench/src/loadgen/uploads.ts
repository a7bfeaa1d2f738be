import { createConnection } from 'node:net';
import { type Summary, summarize } from '../lib/util.js';
import { now } from './sockets.js';

/**
 * A valid PCM WAV of exactly `bytes` bytes (16-bit mono, 16 kHz): a tone with noise, so the
 * bytes are not a run of zeros.
 */
export function makeWav(bytes: number): Buffer {
  const dataBytes = bytes - 44;
  const buffer = Buffer.alloc(bytes);
  const rate = 16_000;
  buffer.write('RIFF', 0, 'ascii');
  buffer.writeUInt32LE(bytes - 8, 4);
  buffer.write('WAVE', 8, 'ascii');
  buffer.write('fmt ', 12, 'ascii');
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20); // PCM
  buffer.writeUInt16LE(1, 22); // mono
  buffer.writeUInt32LE(rate, 24);
  buffer.writeUInt32LE(rate * 2, 28);
  buffer.writeUInt16LE(2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write('data', 36, 'ascii');
  buffer.writeUInt32LE(dataBytes, 40);
  let seed = 12345;
  for (let i = 0; i + 1 < dataBytes; i += 2) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const sample =
      Math.round(8000 * Math.sin((2 * Math.PI * 440 * (i / 2)) / rate)) + ((seed >> 16) % 500);
    buffer.writeInt16LE(Math.max(-32768, Math.min(32767, sample)), 44 + i);
  }
  return buffer;
}

export interface RunResult {
  count: number;
  concurrency: number;
  perS: number;
  ms: Summary;
  errors: number;
  errorCodes: Record<string, number>;
}

async function run(
  count: number,
  concurrency: number,
  one: () => Promise<string | null>,
): Promise<RunResult> {
  const samples: number[] = [];
  const errorCodes: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const started = now();
  const worker = async () => {
    while (next < count) {
      next++;
      const t = now();
      let failure: string | null;
      try {
        failure = await one();
      } catch (error) {
        failure = (error as Error).message.slice(0, 80);
      }
      if (failure) {
        errors++;
        errorCodes[failure] = (errorCodes[failure] ?? 0) + 1;
      } else samples.push(now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = (now() - started) / 1000;
  return {
    count,
    concurrency,
    perS: samples.length / elapsedS,
    ms: summarize(samples),
    errors,
    errorCodes,
  };
}

const wavCache = new Map<number, Buffer>();
const wav = (bytes: number) => {
  let b = wavCache.get(bytes);
  if (!b) {
    b = makeWav(bytes);
    wavCache.set(bytes, b);
  }
  return b;
};

/** POST /api/chat/voice-notes, multipart (session_id first, then the file), as the web client sends it. */
export async function uploadRun(args: {
  url: string;
  token: string;
  sessionId: string;
  bytes: number;
  count: number;
  concurrency: number;
}): Promise<RunResult> {
  const bytes = wav(args.bytes);
  return run(args.count, args.concurrency, async () => {
    const form = new FormData();
    form.append('session_id', args.sessionId);
    form.append('duration', '3');
    form.append('voice_note', new Blob([bytes], { type: 'audio/wav' }), 'voice_note.wav');
    const response = await fetch(`${args.url}/api/chat/voice-notes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${args.token}` },
      body: form,
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await response.json()) as { success?: boolean; code?: string };
    if (response.status !== 201 || body.success !== true)
      return body.code ?? `HTTP ${response.status}`;
    return null;
  });
}

/** clamd INSTREAM alone, the same bytes in the same 64 KB chunks, a new connection each (as the server does). */
export async function clamdRun(args: {
  host: string;
  port: number;
  bytes: number;
  count: number;
  concurrency: number;
}): Promise<RunResult> {
  const bytes = wav(args.bytes);
  const frames: Buffer[] = [Buffer.from('zINSTREAM\0')];
  for (let i = 0; i < bytes.length; i += 64 * 1024) {
    const chunk = bytes.subarray(i, i + 64 * 1024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(chunk.length, 0);
    frames.push(header, chunk);
  }
  frames.push(Buffer.alloc(4));
  return run(
    args.count,
    args.concurrency,
    () =>
      new Promise<string | null>((resolve) => {
        const socket = createConnection(args.port, args.host);
        let reply = '';
        const timer = setTimeout(() => {
          socket.destroy();
          resolve('TIMEOUT');
        }, 30_000);
        socket.on('connect', () => {
          for (const frame of frames) socket.write(frame);
        });
        socket.on('data', (data) => {
          reply += data.toString('utf8');
          if (reply.includes('\0')) {
            clearTimeout(timer);
            socket.destroy();
            resolve(/: OK\0/.test(reply) ? null : `clamd: ${reply.replace(/\0/g, '')}`);
          }
        });
        socket.on('error', (error) => {
          clearTimeout(timer);
          resolve(error.message);
        });
      }),
  );
}
