import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
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
import type { Scanner } from '../media/scanner.js';
import type { Store } from '../repositories/store.js';
import { assertActive, authorizeSession } from './access.policy.js';
import type { MessageCommitter } from './message-committer.js';
import { type FileUrls, presentMessages } from './message-view.js';
import type { RateLimiter } from './rate-limiter.js';

export interface FilesServiceDeps {
  store: Store;
  bus: EventBus;
  rateLimiter: RateLimiter;
  blobStore: BlobStore;
  scanner: Scanner;
  signer: FileUrlSigner;
  fileUrls: FileUrls;
  committer: MessageCommitter;
}

/** An upload spooled to a temporary file by the transport (within the size limit). */
export interface SpooledUpload {
  endpoint: UploadEndpoint;
  sessionId: string;
  tempPath: string;
  originalName: string;
  /** Voice notes: the client's measured duration, used only when the audio does not say. */
  durationHint?: number | undefined;
  caption?: string | undefined;
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

export function createFilesService(deps: FilesServiceDeps) {
  const { store, bus, rateLimiter, blobStore, scanner } = deps;
  const { repos } = store;

  return {
    /**
     * Access and session checks, run as soon as `session_id` is known (before the file is read
     * when the client sends the field first) and again when the upload completes.
     */
    async authorizeUpload(actor: Actor, sessionId: string): Promise<void> {
      const access = await authorizeSession(repos, actor, sessionId, 'write', 'file.upload');
      assertActive(access.session);
    },

    /**
     * The pipeline after the bytes are in: budget, type from the bytes, virus scan, re-encode or
     * probe, store, then the message row. Anything failing leaves no blob and no row; the
     * transport removes the spooled file.
     */
    async storeUpload(
      actor: Actor,
      upload: SpooledUpload,
      transport: Transport,
    ): Promise<TChatMessage> {
      const access = await authorizeSession(repos, actor, upload.sessionId, 'write', 'file.upload');
      assertActive(access.session);
      await rateLimiter.consume(upload.endpoint === 'voice' ? 'voice_notes' : 'files', actor.id);

      const kind = await sniffUpload(upload.tempPath, upload.originalName, upload.endpoint);
      const scan = await scanner.scan(upload.tempPath);
      if (scan.infected) {
        throw new ChatError('FILE_INFECTED', undefined, {
          details: [`Detected: ${scan.signature}`],
        });
      }

      const messageId = randomUUID();
      const fileName = displayFileName(
        upload.originalName,
        `${upload.endpoint === 'voice' ? 'voice_note' : 'file'}.${kind.format}`,
      );
      const storageKey = `${upload.sessionId}/${messageId}/${storageFileName(fileName, kind.format)}`;
      const cleanup: string[] = [];
      const stored: string[] = [];
      try {
        let filePath = upload.tempPath;
        let metadata: Record<string, unknown> = {};
        let type: 'voice' | 'image' | 'file';
        if (kind.family === 'image') {
          type = 'image';
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
          metadata = {
            width: image.width,
            height: image.height,
            thumbnail: { width: image.thumbnail.width, height: image.thumbnail.height },
          };
          await blobStore.put(thumbnailKey(storageKey), image.thumbnail.path, 'image/webp');
          stored.push(thumbnailKey(storageKey));
        } else if (kind.family === 'audio') {
          type = 'voice';
          const measured = await audioDuration(upload.tempPath);
          metadata = { duration: measured ?? upload.durationHint ?? 0, audio_format: kind.format };
        } else {
          type = 'file';
        }
        const { size } = await import('node:fs/promises').then((fs) => fs.stat(filePath));
        await blobStore.put(storageKey, filePath, kind.mime);
        stored.push(storageKey);

        await deps.committer.append({
          id: messageId,
          sessionId: upload.sessionId,
          senderId: actor.id,
          type,
          content: type === 'voice' ? 'Voice message' : upload.caption?.trim() || null,
          file: { storageKey, fileName, fileSize: size, mimeType: kind.mime },
          metadata,
          advanceSenderCursor: access.membership !== null,
        });
      } catch (error) {
        await blobStore.delete(stored).catch(() => {});
        throw error;
      } finally {
        await Promise.all(cleanup.map((path) => rm(path, { force: true })));
      }

      const rows = await repos.messages.findWithSender([messageId]);
      const [message] = await presentMessages(repos, rows, {
        viewerId: actor.id,
        participants: access.participants,
        fileUrl: deps.fileUrls.builderFor(actor.origin),
      });
      if (!message) throw new ChatError('MESSAGE_NOT_FOUND');
      bus.publish('message.created', {
        message,
        participantIds: access.participants.map((p) => p.userId),
        transport,
        requestId: actor.requestId,
      });
      return message;
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
      const message = await repos.messages.findById(request.messageId);
      if (!message || message.deletedAt || !message.storageKey || !message.mimeType) {
        throw new ChatError('MESSAGE_NOT_FOUND');
      }
      const signed =
        request.signature !== undefined &&
        request.expires !== undefined &&
        deps.signer.verify(request.messageId, request.variant, request.expires, request.signature);
      if (!signed) {
        if (!actor)
          throw new ChatError('AUTHENTICATION_REQUIRED', 'This link has expired or is not valid');
        await authorizeSession(repos, actor, message.sessionId, 'read', 'file.download');
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
