import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/media/blob-store.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** What every BlobStore adapter must do; run against each adapter that can be reached. */
export function blobStoreContract(name: string, makeStore: () => BlobStore) {
  describe(`blob store contract: ${name}`, () => {
    const key = () => `${randomUUID()}/${randomUUID()}/note.wav`;
    const file = async (content: string) => {
      const path = join(tmpdir(), `blob-${randomUUID()}`);
      await writeFile(path, content);
      return path;
    };

    it('stores, reads whole and by range, sizes and deletes an object', async () => {
      const store = makeStore();
      const k = key();
      await store.put(k, await file('0123456789'), 'audio/wav');
      expect(await store.size(k)).toBe(10);
      const whole = await store.read(k);
      expect(whole?.size).toBe(10);
      expect((await readAll(whole?.stream ?? process.stdin)).toString()).toBe('0123456789');
      const part = await store.read(k, { start: 2, end: 5 });
      expect((await readAll(part?.stream ?? process.stdin)).toString()).toBe('2345');
      await store.delete([k]);
      expect(await store.read(k)).toBeNull();
      expect(await store.size(k)).toBeNull();
    });

    it('put with move stores the bytes; removing the source afterwards is harmless', async () => {
      const store = makeStore();
      const k = key();
      const source = await file('moved bytes');
      await store.put(k, source, 'audio/wav', { move: true });
      await rm(source, { force: true });
      const whole = await store.read(k);
      expect((await readAll(whole?.stream ?? process.stdin)).toString()).toBe('moved bytes');
      await store.delete([k]);
      expect(await store.size(k)).toBeNull();
    });

    it('answers null for a missing object and deletes missing objects quietly', async () => {
      const store = makeStore();
      expect(await store.read(key())).toBeNull();
      await expect(store.delete([key()])).resolves.toBeUndefined();
    });

    it('never writes outside its own keys', async () => {
      const store = makeStore();
      await expect(store.put('../../escape.txt', await file('x'), 'text/plain')).rejects.toThrow();
    });
  });
}
