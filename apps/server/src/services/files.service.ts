import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { TChatMessage } from '@chat/contracts';
import type { EventBus, Transport } from '../bus/bus.js';
import type { Actor } from '../domain/types.js';
import { ChatError } from '../errors.js';
import { type BlobStore, THUMBNAIL_NAME, thumbnailKey } from '../media/blob-store.js';
import type { UploadEndpoint } from '../media/file-kind.js';
import type { FileUrlSigner, FileVariant } from '../media/file-urls.js';
import type { Scanner, StreamScan } from '../media/scanner.js';
import type { Store } from '../repositories/store.js';
import { authorizeMessage, type RosterCache } from './access.policy.js';
import { type Committed, DuplicateMessageId, type MessageCommitter } from './message-committer.js';
import { type FileUrls, presentCommitted } from './message-view.js';
import type { RateLimiter } from './rate-limiter.js';
import {
  findUploadRetry,
  receiveUnderGrant,
  settleGrant,
  type UploadAuthorizer,
  type UploadGrant,
  type UploadGrantDeps,
  type UploadTarget,
  uploadRetryAnswer,
} from './upload-grant.js';
import {
  inspectUpload,
  type PersistedFile,
  type PlannedFileMessage,
  persistUpload,
  planFileMessage,
  type SpooledUpload,
} from './upload-pipeline.js';

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

/** The service's dependencies with the repositories at hand, as the grant's steps take them. */
type FilesContext = FilesServiceDeps & UploadGrantDeps;

/** What the transport's receiver is handed: clearance for the sender, and the scan to feed. */
export interface UploadGate {
  /** Asked as the file part starts (after `session_id`), or once the body is in (file first). */
  authorize: UploadAuthorizer;
  /** Scans the file as it arrives (after clearance). */
  startScan: () => StreamScan;
}

/** Reads the upload's body into a temporary file, asking `gate` for clearance on the way. */
export type UploadReceiver = (gate: UploadGate) => Promise<SpooledUpload>;

/** An upload's outcome: `created: false` answers a retry with the message already stored. */
export interface UploadResult {
  message: TChatMessage;
  created: boolean;
}

export interface DownloadRequest {
  messageId: string;
  variant: FileVariant;
  expires?: number | undefined;
  signature?: string | undefined;
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
  const context: FilesContext = { ...deps, repos: deps.store.repos };
  return {
    /**
     * One upload, from its body to its message. `receive` reads the body and asks for clearance
     * as soon as `session_id` is known (access, session, retry and budget, before the file is
     * read when the fields come first); the budget goes back when the body fails before the
     * pipeline. Then the pipeline: type from the bytes, virus verdict, re-encode or probe,
     * store, then the message row. The spooled file is removed either way.
     */
    upload: (
      actor: Actor,
      endpoint: UploadEndpoint,
      transport: Transport,
      receive: UploadReceiver,
    ) => uploadFile(context, actor, endpoint, transport, receive),

    /**
     * A download: by a signed link (no header needed, for `<audio src>`), or by a participant
     * (or admin/monitor) with a bearer token.
     */
    openDownload: (actor: Actor | null, request: DownloadRequest) =>
      openDownload(context, actor, request),
  };
}
export type FilesService = ReturnType<typeof createFilesService>;

async function uploadFile(
  context: FilesContext,
  actor: Actor,
  endpoint: UploadEndpoint,
  transport: Transport,
  receive: UploadReceiver,
): Promise<UploadResult> {
  const { received, grant } = await receiveUnderGrant(context, actor, endpoint, (authorize) =>
    receive({ authorize, startScan: () => context.scanner.begin() }),
  );
  try {
    return await storeReceived(context, actor, endpoint, received, grant, transport);
  } finally {
    received.scan?.abort();
    // A write still in flight would otherwise recreate the file after it is removed.
    await received.written.catch(() => {});
    await rm(received.tempPath, { force: true });
  }
}

/**
 * After the body is in: the grant settled with every field known, a retry answered, then
 * inspect, persist and commit. Anything failing leaves no blob and no row.
 */
async function storeReceived(
  context: FilesContext,
  actor: Actor,
  endpoint: UploadEndpoint,
  upload: SpooledUpload,
  held: UploadGrant | undefined,
  transport: Transport,
): Promise<UploadResult> {
  const target = { sessionId: upload.fields.session_id, id: upload.fields.id };
  const grant = await settleGrant(context, actor, endpoint, held, target);
  const retried = await uploadRetryAnswer(context, actor, grant, target);
  if (retried) return { message: retried, created: false };
  const inspection = await inspectUpload(context.scanner, upload, endpoint);
  const plan = planFileMessage(upload, endpoint, inspection.kind);
  const persisted = await persistUpload(context.blobStore, upload, inspection, plan.storageKey);
  return commitUpload(context, actor, { grant, target, plan, persisted }, transport);
}

/**
 * Commit: the message row (the group commit checks the session is still active), then the
 * event. A row that cannot be written takes its blobs with it; a commit that finds the id
 * taken is the same upload retried at once, answered with the message the other one stored.
 */
async function commitUpload(
  context: FilesContext,
  actor: Actor,
  upload: {
    grant: UploadGrant;
    target: UploadTarget;
    plan: PlannedFileMessage;
    persisted: PersistedFile;
  },
  transport: Transport,
): Promise<UploadResult> {
  const { grant, plan, persisted } = upload;
  const { storageKey, fileName, mimeType, ...draft } = plan;
  const { fileSize, metadata } = persisted;
  let committed: Committed;
  try {
    committed = await context.committer.append({
      ...draft,
      senderId: actor.id,
      file: { storageKey, fileName, fileSize, mimeType },
      metadata,
      advanceSenderCursor: grant.isParticipant,
    });
  } catch (error) {
    await context.blobStore.delete(persisted.storedKeys).catch(() => {});
    if (error instanceof DuplicateMessageId) {
      const winner = await findUploadRetry(context, actor, grant, upload.target);
      if (winner) return { message: winner, created: false };
    }
    throw error;
  }
  const message = presentCommitted(
    { ...plan, senderId: actor.id, fileSize, metadata },
    committed,
    actor,
    context.fileUrls.builderFor(actor.origin),
  );
  context.bus.publish('message.created', {
    message,
    participantIds: [...grant.participantIds],
    transport,
    requestId: actor.requestId,
  });
  return { message, created: true };
}

async function openDownload(
  context: FilesContext,
  actor: Actor | null,
  request: DownloadRequest,
): Promise<FileDownload> {
  const { repos, blobStore } = context;
  const signed =
    request.signature !== undefined &&
    request.expires !== undefined &&
    context.signer.verify(request.messageId, request.variant, request.expires, request.signature);
  // Access before existence: without a valid link or access to its session, a message id
  // that exists answers like one that does not.
  let message: Awaited<ReturnType<typeof repos.messages.findById>>;
  if (signed) {
    message = await repos.messages.findById(request.messageId);
  } else {
    if (!actor)
      throw new ChatError('AUTHENTICATION_REQUIRED', 'This link has expired or is not valid');
    // A download by token is a read; a signed link has no user to count.
    await context.rateLimiter.consume('reads', actor.id);
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
  const fileName = request.variant === 'thumbnail' ? THUMBNAIL_NAME : (message.fileName ?? 'file');
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
}
