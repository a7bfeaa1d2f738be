import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import type { TFileUploadFields, TMessageType, TVoiceNoteFields } from '@chat/contracts';
import { ChatError } from '../errors.js';
import { type BlobStore, thumbnailKey } from '../media/blob-store.js';
import {
  displayFileName,
  type SniffedKind,
  sniffUpload,
  storageFileName,
  type UploadEndpoint,
} from '../media/file-kind.js';
import { audioDuration, reencodeImage } from '../media/media-processing.js';
import type { Scanner, ScanResult, StreamScan } from '../media/scanner.js';

/** An upload spooled to a temporary file by the transport (within the size limit). */
export interface SpooledUpload {
  tempPath: string;
  /** Settles when `tempPath` is complete; awaited before anything reads or moves the file. */
  written: Promise<void>;
  /** The whole file, when the transport kept it in memory too (small uploads). */
  content: Buffer | null;
  originalName: string;
  /** Either endpoint's fields, as the contract parsed them. */
  fields: TVoiceNoteFields & TFileUploadFields;
  /** The scan fed while the file arrived (the sender was cleared first); null: scan the file. */
  scan: StreamScan | null;
}

/** What the bytes turned out to be, once the scanner found them clean. */
export interface Inspection {
  kind: SniffedKind;
  /** Audio: the duration its header declares, read while clamd finished. */
  duration: Promise<number | null> | null;
}

/** The file message an upload becomes, decided before anything is stored. */
export interface PlannedFileMessage {
  id: string;
  sessionId: string;
  type: TMessageType;
  content: string | null;
  fileName: string;
  storageKey: string;
  mimeType: string;
}

/** What the blob store now holds for the message. */
export interface PersistedFile {
  fileSize: number;
  metadata: Record<string, unknown>;
  /** Removed again when the message row cannot be written. */
  storedKeys: string[];
}

/**
 * The verdict of the scan fed during the upload. A stream scan that failed is repeated once
 * from the spooled file: a client that paused longer than clamd waits for data ends the
 * stream without that being the scanner's fault. Still failing: closed, as always.
 */
export async function scanVerdict(scanner: Scanner, upload: SpooledUpload): Promise<ScanResult> {
  if (upload.scan) {
    try {
      return await upload.scan.result();
    } catch (error) {
      if (!(error instanceof ChatError && error.code === 'SCANNER_UNAVAILABLE')) throw error;
    }
  }
  await upload.written;
  return scanner.scan(upload.tempPath);
}

/**
 * Inspect: the type from the bytes (the name's extension must agree), then the virus verdict.
 * Reading an audio header is pure JS and runs while clamd finishes; nothing of it is kept
 * unless the verdict is clean. Images wait for the verdict before the native decoder.
 */
export async function inspectUpload(
  scanner: Scanner,
  upload: SpooledUpload,
  endpoint: UploadEndpoint,
): Promise<Inspection> {
  const bytes = { path: upload.tempPath, content: upload.content };
  if (!bytes.content) await upload.written;
  const kind = await sniffUpload(bytes, upload.originalName, endpoint);
  const duration = kind.family === 'audio' ? audioDuration(bytes) : null;
  const verdict = await scanVerdict(scanner, upload);
  if (verdict.infected) {
    throw new ChatError('FILE_INFECTED', undefined, {
      details: [`Detected: ${verdict.signature}`],
    });
  }
  return { kind, duration };
}

/** The message's id, type, content and names: the client's id, or a new one. */
export function planFileMessage(
  upload: SpooledUpload,
  endpoint: UploadEndpoint,
  kind: SniffedKind,
): PlannedFileMessage {
  const { id = randomUUID(), session_id: sessionId, caption } = upload.fields;
  // Shown when the sender's file had no usable name: `voice_note.webm`, `file.pdf`.
  const fallbackName = `${endpoint === 'voice' ? 'voice_note' : 'file'}.${kind.format}`;
  const fileName = displayFileName(upload.originalName, fallbackName);
  const type = kind.family === 'image' ? 'image' : kind.family === 'audio' ? 'voice' : 'file';
  return {
    id,
    sessionId,
    type,
    content: type === 'voice' ? 'Voice message' : caption?.trim() || null,
    fileName,
    storageKey: `${sessionId}/${id}/${storageFileName(fileName, kind.format)}`,
    mimeType: kind.mime,
  };
}

/**
 * Persist: the clean file goes into the blob store under the planned key. An image is
 * re-encoded first (metadata dropped) with its thumbnail stored beside it; audio carries the
 * duration its header declares, else the client's hint. A failure leaves no blob behind, and
 * the re-encoded copies are removed either way.
 */
export async function persistUpload(
  blobStore: BlobStore,
  upload: SpooledUpload,
  { kind, duration }: Inspection,
  storageKey: string,
): Promise<PersistedFile> {
  const storedKeys: string[] = [];
  const cleanup: string[] = [];
  try {
    let filePath = upload.tempPath;
    let fileSize: number;
    let metadata: Record<string, unknown> = {};
    await upload.written;
    if (kind.family === 'image') {
      const image = await reencode(upload.tempPath, kind);
      cleanup.push(image.path, image.thumbnail.path);
      filePath = image.path;
      fileSize = image.size;
      metadata = {
        width: image.width,
        height: image.height,
        thumbnail: { width: image.thumbnail.width, height: image.thumbnail.height },
      };
      storedKeys.push(thumbnailKey(storageKey));
      await blobStore.put(thumbnailKey(storageKey), image.thumbnail.path, 'image/webp', {
        move: true,
      });
    } else {
      if (duration) {
        metadata = {
          duration: (await duration) ?? upload.fields.duration ?? 0,
          audio_format: kind.format,
        };
      }
      fileSize = upload.content?.length ?? (await stat(filePath)).size;
    }
    // Pushed first: a put that fails half way (a copy across mounts) is removed too.
    storedKeys.push(storageKey);
    await blobStore.put(storageKey, filePath, kind.mime, { move: true });
    return { fileSize, metadata, storedKeys };
  } catch (error) {
    await blobStore.delete(storedKeys).catch(() => {});
    throw error;
  } finally {
    await Promise.all(cleanup.map((path) => rm(path, { force: true })));
  }
}

/** An image the decoder cannot read is not an image after all. */
function reencode(tempPath: string, kind: SniffedKind) {
  return reencodeImage(tempPath, `${tempPath}.out.${kind.format}`, kind.format).catch(
    (cause: unknown) => {
      throw new ChatError('UNSUPPORTED_FILE_TYPE', 'The image could not be decoded', { cause });
    },
  );
}
