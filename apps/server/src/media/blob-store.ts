import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { SupabaseClient } from '@supabase/supabase-js';

/** A message's thumbnail sits beside its file: `<session_id>/<message_id>/thumbnail.webp`. */
export const THUMBNAIL_NAME = 'thumbnail.webp';
export const thumbnailKey = (storageKey: string) => `${dirname(storageKey)}/${THUMBNAIL_NAME}`;

/** Where uploaded files live. Keys look like `<session_id>/<message_id>/<name>`. */
export interface BlobStore {
  readonly kind: 'local' | 'supabase';
  /**
   * Stores the file's bytes under `key`. With `move`, the store may take the file itself
   * (the local store renames it into place); the caller still removes `filePath` afterwards,
   * which is then a no-op.
   */
  put(
    key: string,
    filePath: string,
    contentType: string,
    options?: { move?: boolean },
  ): Promise<void>;
  /** A byte range (inclusive) or the whole object; null when the object does not exist. */
  read(
    key: string,
    range?: { start: number; end: number },
  ): Promise<{ stream: Readable; size: number } | null>;
  size(key: string): Promise<number | null>;
  /** A short-lived URL the client can fetch directly, when the store offers one (Supabase). */
  signedUrl(key: string, ttlSeconds: number, download?: string): Promise<string | null>;
  delete(keys: readonly string[]): Promise<void>;
}

/** Files under DATA_DIR/files; the default, and what one node without Supabase uses. */
export function createLocalBlobStore(root: string): BlobStore {
  const base = resolve(root);
  const pathOf = (key: string) => {
    const full = resolve(join(base, key));
    // Keys are built by the service, but a path that escapes the root is never touched.
    if (!full.startsWith(base + sep)) throw new Error(`blob key escapes the store: ${key}`);
    return full;
  };
  const exists = async (key: string) =>
    stat(pathOf(key)).then(
      (s) => s.size,
      () => null,
    );

  return {
    kind: 'local',
    async put(key, filePath, _contentType, options) {
      const target = pathOf(key);
      const firstCreated = await mkdir(dirname(target), { recursive: true });
      if (options?.move) {
        // The bytes reach the disk before a name points at them: after a power cut the message
        // row (committed next) never points at an empty or missing file. (The upload spool
        // flushes as it closes, so this finds nothing left to write.)
        await syncPath(filePath);
        // A rename costs no pass over the bytes; the upload folder sits under the same
        // DATA_DIR, but a different mount (EXDEV) still works by copying.
        const moved = await rename(filePath, target).then(
          () => true,
          (error: NodeJS.ErrnoException) => {
            if (error.code === 'EXDEV') return false;
            throw error;
          },
        );
        if (moved) return syncFolders(target, firstCreated);
      }
      await copyFile(filePath, target);
      await syncPath(target);
      await syncFolders(target, firstCreated);
    },
    async read(key, range) {
      const size = await exists(key);
      if (size === null) return null;
      return { stream: createReadStream(pathOf(key), range ?? {}), size };
    },
    size: exists,
    signedUrl: async () => null,
    async delete(keys) {
      for (const key of keys) {
        await rm(pathOf(key), { force: true });
        // Remove the message's folder once it is empty (rmdir refuses a folder with files).
        await rmdir(dirname(pathOf(key))).catch(() => {});
      }
    },
  };
}

/** fsync: a file's bytes, or a folder's entries, are on the disk when this settles. */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes `file`'s name durable: its folder, and each folder `mkdir` just created on the way
 * (`firstCreated` is the outermost), in its parent's entries.
 */
async function syncFolders(file: string, firstCreated: string | undefined): Promise<void> {
  let folder = dirname(file);
  const folders = [folder];
  const outermost = firstCreated === undefined ? folder : dirname(firstCreated);
  while (folder !== outermost && folder !== dirname(folder)) {
    folder = dirname(folder);
    folders.push(folder);
  }
  // Independent fsyncs, side by side on libuv's pool.
  await Promise.all(folders.map(syncPath));
}

/** Supabase Storage: a private bucket; clients fetch through short-lived signed URLs. */
export function createSupabaseBlobStore(client: SupabaseClient, bucket: string): BlobStore {
  const storage = () => client.storage.from(bucket);
  return {
    kind: 'supabase',
    async put(key, filePath, contentType) {
      const { readFile } = await import('node:fs/promises');
      const { error } = await storage().upload(key, await readFile(filePath), {
        contentType,
        upsert: false,
      });
      if (error) throw new Error(`Supabase upload failed: ${error.message}`);
    },
    async read(key, range) {
      const { data, error } = await storage().download(key);
      if (error || !data) return null;
      const buffer = Buffer.from(await data.arrayBuffer());
      const { Readable } = await import('node:stream');
      const slice = range ? buffer.subarray(range.start, range.end + 1) : buffer;
      return { stream: Readable.from(slice), size: buffer.length };
    },
    async size(key) {
      const result = await this.read(key);
      return result ? result.size : null;
    },
    async signedUrl(key, ttlSeconds, download) {
      const { data, error } = await storage().createSignedUrl(
        key,
        ttlSeconds,
        download ? { download } : undefined,
      );
      if (error || !data)
        throw new Error(`Supabase signed URL failed: ${error?.message ?? 'no data'}`);
      return data.signedUrl;
    },
    async delete(keys) {
      if (keys.length === 0) return;
      const { error } = await storage().remove([...keys]);
      if (error) throw new Error(`Supabase delete failed: ${error.message}`);
    },
  };
}
