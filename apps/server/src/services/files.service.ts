import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { TChatMessage } from '@chat/contracts';
import type { EventBus, Transport } from '../bus/bus.js';
import type { Actor } from '../domain/types.js';
import { ChatError } from '../errors.js';
import { type BlobStore, THUMBNAIL_NAME, thumbnailKey } from '../media/blob-store.js';
import {
  displayFileName,
  sniffUpload,
  storageFileName,
  type UploadEndpoint,
} from '../media/file-kind.js';
import type { FileUrlSigner, FileVariant } from '../media/file-urls.js';
import { audioDuration, reencodeImage } from '../media/media-processing.js';
import type { Scanner, ScanResult, StreamScan } from '../media/scanner.js';
import type { Store } from '../repositories/store.js';
import {
  assertActive,
  authorizeFromRoster,
  authorizeMessage,
  type RosterCache,
} from './access.policy.js';
import { type Committed, DuplicateMessageId, type MessageCommitter } from './message-committer.js';
import { type FileUrls, presentCommitted } from './message-view.js';
import type { RateLimiter } from './rate-limiter.js';
import { findStoredRetry, presentStoredRetry } from './stored-retry.js';

export interface FilesServiceDeps {
  store: Store;
  bus: EventBus;
  rateLimiter: RateLimiter;
  blobStore: BlobStore;
  scanner: Scanner;
  signer: FileUrlSigner;
  fileUrls: FileUrls;
  committer: MessageCommitter;
  rosters: RosterCache;
}

/**
 * A sender cleared to upload into a session, with the upload counted against their budget; or,
 * for a retry of an upload already stored, its message (nothing counted, no file needed).
 */
export interface UploadGrant {
  sessionId: string;
  endpoint: UploadEndpoint;
  participantIds: readonly string[];
  isParticipant: boolean;
  /** The client id looked up when the grant was made (undefined: none was known yet). */
  checkedId: string | undefined;
  /** The stored message of that id: the upload is a retry, answered with it. */
  stored: TChatMessage | null;
}

/** An upload spooled to a temporary file by the transport (within the size limit). */
export interface SpooledUpload {
  /** Client-made message id: a retry with it answers the stored message (`created: false`). */
  id?: string | undefined;
  endpoint: UploadEndpoint;
  sessionId: string;
  tempPath: string;
  /** Settles when `tempPath` is complete; awaited before anything reads or moves the file. */
  written: Promise<void>;
  /** The whole file, when the transport kept it in memory too (small uploads). */
  content: Buffer | null;
  originalName: string;
  /** Voice notes: the client's measured duration, used only when the audio does not say. */
  durationHint?: number | undefined;
  caption?: string | undefined;
  /** From `authorizeUpload` when `session_id` came before the file. */
  grant?: UploadGrant | undefined;
  /** The scan fed while the file arrived (with a grant); otherwise the spooled file is scanned. */
  scan?: StreamScan | null | undefined;
}

export interface FileDownload {
  mimeType: string;
  fileName: string;
  /** Attachment for documents, inline for media the browser shows or plays. */
  disposition: 'inline' | 'attachment';
  /** Present when the store hands out its own short-lived links (Supabase). */
  redirectUrl: string | null;
  size(): Promise<number | null>;
  open(range?: { start: number; end: number }): Promise<{ stream: Readable; size: number } | null>;
}

const budgetOf = (endpoint: UploadEndpoint) => (endpoint === 'voice' ? 'voice_notes' : 'files');

export function createFilesService(deps: FilesServiceDeps) {
  const { store, bus, rateLimiter, blobStore, scanner } = deps;
  const { repos } = store;

  /**
   * Access (participants are kept in memory), an active session, then the budget. A client id
   * already stored by this sender in this session is a retry: its message is the answer, and
   * no budget is spent, so a retry is answered even when the budget is used up (as a repeated
   * text message is).
   */
  async function authorizeUpload(
    actor: Actor,
    sessionId: string,
    endpoint: UploadEndpoint,
    id?: string,
  ): Promise<UploadGrant> {
    // The client's id is looked up beside the session (one round trip, not two in a row).
    const [session, access, existing] = await Promise.all([
      repos.sessions.findById(sessionId),
      authorizeFromRoster(repos, deps.rosters, actor, sessionId, 'write', 'file.upload'),
      id === undefined ? null : repos.messages.findById(id),
    ]);
    if (!session) throw new ChatError('SESSION_NOT_FOUND');
    assertActive(session);
    const stored = await presentStoredRetry(repos, deps.fileUrls, existing, actor, sessionId);
    if (!stored) await rateLimiter.consume(budgetOf(endpoint), actor.id);
    return { sessionId, endpoint, ...access, checkedId: id, stored };
  }

  /** Gives back what a grant counted (a retry's grant counted nothing). */
  async function release(actor: Actor, grant: UploadGrant): Promise<void> {
    if (!grant.stored) await rateLimiter.refund(budgetOf(grant.endpoint), actor.id);
  }

  /**
   * The verdict of the scan fed during the upload. A stream scan that failed is repeated once
   * from the spooled file: a client that paused longer than clamd waits for data ends the
   * stream without that being the scanner's fault. Still failing: closed, as always.
   */
  async function verdict(upload: SpooledUpload): Promise<ScanResult> {
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

  async function storeChecked(
    actor: Actor,
    upload: SpooledUpload,
    transport: Transport,
  ): Promise<{ message: TChatMessage; created: boolean }> {
    let grant = upload.grant;
    if (grant?.stored && (grant.sessionId !== upload.sessionId || grant.stored.id !== upload.id)) {
      // The retry's file was read past; a field after it cannot make it another upload.
      throw new ChatError('VALIDATION_ERROR', 'id and session_id changed after the file', {
        details: ['id: send id and session_id once, before the file'],
      });
    }
    if (grant && grant.sessionId !== upload.sessionId) {
      // A second session_id field changed the target after the first was cleared.
      await release(actor, grant);
      grant = undefined;
    }
    grant ??= await authorizeUpload(actor, upload.sessionId, upload.endpoint, upload.id);
    if (grant.stored) return { message: grant.stored, created: false };
    const cleared = grant;
    // A retry of an upload already stored (same client id): its message, nothing stored again,
    // nothing counted. Usually found by `authorizeUpload`; this covers an id sent after the file.
    const storedRetry = async () => {
      try {
        const message =
          upload.id === undefined
            ? null
            : await findStoredRetry(repos, deps.fileUrls, upload.id, actor, upload.sessionId);
        if (message) await rateLimiter.refund(budgetOf(cleared.endpoint), actor.id);
        return message;
      } catch (error) {
        await rateLimiter.refund(budgetOf(cleared.endpoint), actor.id);
        throw error;
      }
    };
    if (upload.id !== undefined && upload.id !== grant.checkedId) {
      const retried = await storedRetry();
      if (retried) return { message: retried, created: false };
    }

    const bytes = { path: upload.tempPath, content: upload.content };
    if (!bytes.content) await upload.written;
    const kind = await sniffUpload(bytes, upload.originalName, upload.endpoint);
    // Reading an audio header is pure JS and runs while clamd finishes; nothing of it is kept
    // unless the verdict is clean. Images wait for the verdict before the native decoder.
    const duration = kind.family === 'audio' ? audioDuration(bytes) : null;
    const scan = await verdict(upload);
    if (scan.infected) {
      throw new ChatError('FILE_INFECTED', undefined, {
        details: [`Detected: ${scan.signature}`],
      });
    }

    const messageId = upload.id ?? randomUUID();
    const fileName = displayFileName(
      upload.originalName,
      `${upload.endpoint === 'voice' ? 'voice_note' : 'file'}.${kind.format}`,
    );
    const storageKey = `${upload.sessionId}/${messageId}/${storageFileName(fileName, kind.format)}`;
    const cleanup: string[] = [];
    const stored: string[] = [];
    const type = kind.family === 'image' ? 'image' : kind.family === 'audio' ? 'voice' : 'file';
    const content = type === 'voice' ? 'Voice message' : upload.caption?.trim() || null;
    let metadata: Record<string, unknown> = {};
    let size: number;
    let committed: Committed;
    try {
      let filePath = upload.tempPath;
      await upload.written;
      if (kind.family === 'image') {
        const image = await reencodeImage(
          upload.tempPath,
          `${upload.tempPath}.out.${kind.format}`,
          kind.format,
        ).catch((cause: unknown) => {
          throw new ChatError('UNSUPPORTED_FILE_TYPE', 'The image could not be decoded', {
            cause,
          });
        });
        cleanup.push(image.path, image.thumbnail.path);
        filePath = image.path;
        size = image.size;
        metadata = {
          width: image.width,
          height: image.height,
          thumbnail: { width: image.thumbnail.width, height: image.thumbnail.height },
        };
        stored.push(thumbnailKey(storageKey));
        await blobStore.put(thumbnailKey(storageKey), image.thumbnail.path, 'image/webp', {
          move: true,
        });
      } else {
        if (duration) {
          metadata = {
            duration: (await duration) ?? upload.durationHint ?? 0,
            audio_format: kind.format,
          };
        }
        size = upload.content?.length ?? (await stat(filePath)).size;
      }
      // Pushed first: a put that fails half way (a copy across mounts) is removed too.
      stored.push(storageKey);
      await blobStore.put(storageKey, filePath, kind.mime, { move: true });

      committed = await deps.committer.append({
        id: messageId,
        sessionId: upload.sessionId,
        senderId: actor.id,
        type,
        content,
        file: { storageKey, fileName, fileSize: size, mimeType: kind.mime },
        metadata,
        advanceSenderCursor: grant.isParticipant,
      });
    } catch (error) {
      await blobStore.delete(stored).catch(() => {});
      if (error instanceof DuplicateMessageId) {
        // The same upload retried at once: the other request stored it first.
        const winner = await storedRetry();
        if (winner) return { message: winner, created: false };
      }
      throw error;
    } finally {
      await Promise.all(cleanup.map((path) => rm(path, { force: true })));
    }

    const message = presentCommitted(
      {
        id: messageId,
        sessionId: upload.sessionId,
        senderId: actor.id,
        type,
        content,
        storageKey,
        fileName,
        fileSize: size,
        mimeType: kind.mime,
        metadata,
      },
      committed,
      actor,
      deps.fileUrls.builderFor(actor.origin),
    );
    bus.publish('message.created', {
      message,
      participantIds: [...grant.participantIds],
      transport,
      requestId: actor.requestId,
    });
    return { message, created: true };
  }

  return {
    /**
     * Access, session, retry and budget checks, run as soon as `session_id` is known (before the
     * file is read when the client sends the fields first). The grant goes to `storeUpload`, or
     * back through `releaseUpload` when the upload fails before it.
     */
    authorizeUpload,

    /** Scans the file as it arrives (an upload with a grant). */
    beginScan: () => scanner.begin(),

    /** The upload stored nothing (too large, cut off, bad fields): its budget is given back. */
    releaseUpload: release,

    /**
     * The pipeline after the bytes are in: type from the bytes, virus verdict, re-encode or
     * probe, store, then the message row. Anything failing leaves no blob and no row; the
     * transport removes the spooled file.
     */
    async storeUpload(
      actor: Actor,
      upload: SpooledUpload,
      transport: Transport,
    ): Promise<{ message: TChatMessage; created: boolean }> {
      try {
        return await storeChecked(actor, upload, transport);
      } finally {
        upload.scan?.abort();
      }
    },
    /**
     * A download: by a signed link (no header needed, for `<audio src>`), or by a participant
     * (or admin/monitor) with a bearer token.
     */
    async openDownload(
      actor: Actor | null,
      request: {
        messageId: string;
        variant: FileVariant;
        expires?: number | undefined;
        signature?: string | undefined;
      },
    ): Promise<FileDownload> {
      const signed =
        request.signature !== undefined &&
        request.expires !== undefined &&
        deps.signer.verify(request.messageId, request.variant, request.expires, request.signature);
      // Access before existence: without a valid link or access to its session, a message id
      // that exists answers like one that does not.
      let message: Awaited<ReturnType<typeof repos.messages.findById>>;
      if (signed) {
        message = await repos.messages.findById(request.messageId);
      } else {
        if (!actor)
          throw new ChatError('AUTHENTICATION_REQUIRED', 'This link has expired or is not valid');
        // A download by token is a read; a signed link has no user to count.
        await rateLimiter.consume('reads', actor.id);
        ({ message } = await authorizeMessage(
          repos,
          actor,
          request.messageId,
          'read',
          'file.download',
        ));
      }
      if (!message || message.deletedAt || !message.storageKey || !message.mimeType) {
        throw new ChatError('MESSAGE_NOT_FOUND');
      }
      if (request.variant === 'thumbnail' && message.type !== 'image')
        throw new ChatError('MESSAGE_NOT_FOUND');

      const key =
        request.variant === 'thumbnail' ? thumbnailKey(message.storageKey) : message.storageKey;
      const mimeType = request.variant === 'thumbnail' ? 'image/webp' : message.mimeType;
      const fileName =
        request.variant === 'thumbnail' ? THUMBNAIL_NAME : (message.fileName ?? 'file');
      const disposition = mimeType === 'application/pdf' ? 'attachment' : 'inline';
      return {
        mimeType,
        fileName,
        disposition,
        redirectUrl: await blobStore.signedUrl(
          key,
          60,
          disposition === 'attachment' ? fileName : undefined,
        ),
        size: () => blobStore.size(key),
        open: (range) => blobStore.read(key, range),
      };
    },
  };
}
export type FilesService = ReturnType<typeof createFilesService>;
