import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import {
  issueDetails,
  MAX_MESSAGE_CHARS,
  MAX_UPLOAD_BYTES,
  MULTIPART_FIELDS,
  ZId,
} from '@chat/contracts';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ChatError } from '../../errors.js';
import { SMALL_UPLOAD_BYTES } from '../../media/file-kind.js';
import type { StreamScan } from '../../media/scanner.js';
import type { UploadAuthorizer } from '../../services/upload-grant.js';

/**
 * Multipart limits: one file, a handful of short fields, nothing else. A field holds a whole
 * caption (4000 code points of up to 4 bytes each); a longer one is refused, never cut short.
 */
export const MULTIPART_LIMITS = {
  fileSize: MAX_UPLOAD_BYTES,
  files: 1,
  fields: 8,
  parts: 10,
  fieldSize: MAX_MESSAGE_CHARS * 4 + 1024,
  headerPairs: 100,
} as const;

export interface ReceivedUpload<F> {
  tempPath: string;
  /**
   * Settles when the temporary file is complete and closed. The body is parsed by then, and the
   * bytes are in memory (small files) or only the last writes are pending: callers that need
   * the file await it, the rest of the pipeline does not wait for the disk.
   */
  written: Promise<void>;
  /** The whole file, when it is small enough to be kept in memory too. */
  content: Buffer | null;
  originalName: string;
  fields: F;
  /** Fed while the file arrived (the sender was cleared first); null: scan the spooled file. */
  scan: StreamScan | null;
}

/** An upload's fields: every schema names the target session, and may carry the client's id. */
type UploadFieldsSchema = z.ZodType<{ session_id: string; id?: string | undefined }>;

export interface ReceiveOptions<S extends UploadFieldsSchema> {
  fileField: string;
  fieldsSchema: S;
  tempDir: string;
  authorize: UploadAuthorizer;
  startScan: () => StreamScan;
  /** Longest pause between two pieces of the body (UPLOAD_IDLE_TIMEOUT_MS). */
  idleTimeoutMs: number;
}

/** What has arrived so far; on failure, what there is to close and remove. */
interface Receiving {
  tempPath: string;
  fields: Record<string, string>;
  originalName: string | undefined;
  authorized: boolean;
  scan: StreamScan | null;
  content: Buffer | null;
  written: Promise<void>;
}

/**
 * Streams a multipart body: the one file part goes to a temporary file (never the whole upload
 * in memory, stopped at 10 MB), fields are collected in whatever order they come. When the file
 * part starts after `session_id`, `authorize` runs with the fields so far, so a caller without
 * access is turned away before their file is read, and a retry (its `id` sent before the file)
 * is answered without reading the file in. Otherwise the file goes to the scan `startScan` opens
 * as it arrives (one pass instead of a second read of the spooled file). With the file first,
 * `authorize` runs once the body is in. Fields are held to `fieldsSchema` as soon as the file
 * starts (a bad caption sent first is refused before the file is read) and again at the end.
 * A body that stops arriving for `idleTimeoutMs` is abandoned: the connection is closed. On any
 * failure the temporary file is gone and the scan dropped.
 */
export async function receiveUpload<S extends UploadFieldsSchema>(
  request: FastifyRequest,
  options: ReceiveOptions<S>,
): Promise<ReceivedUpload<z.output<S>>> {
  if (!request.isMultipart()) {
    throw new ChatError('VALIDATION_ERROR', 'Expected multipart/form-data', {
      details: [`${options.fileField}: send the file as multipart/form-data`],
    });
  }
  await mkdir(options.tempDir, { recursive: true });
  const state: Receiving = {
    tempPath: join(options.tempDir, `${randomUUID()}.upload`),
    fields: {},
    originalName: undefined,
    authorized: false,
    scan: null,
    content: null,
    written: Promise.resolve(),
  };
  let stalled = false;
  let stopWatching = () => {};
  try {
    const parts = request.parts({ limits: MULTIPART_LIMITS });
    // Watched from here: the parser reads the body from now on.
    stopWatching = abandonWhenIdle(request, options.idleTimeoutMs, () => {
      stalled = true;
    });
    for await (const part of parts) {
      if (part.type === 'field') collectField(part, state.fields);
      else await receiveFile(part, state, options);
    }
    return await complete(state, options, stopWatching);
  } catch (error) {
    stopWatching();
    state.scan?.abort();
    // A write still in flight would otherwise recreate the file after it is removed.
    await state.written.catch(() => {});
    await rm(state.tempPath, { force: true });
    if (stalled) {
      // Nobody reads this answer (the connection is gone); it names the cause in the logs.
      throw new ChatError('VALIDATION_ERROR', 'Upload abandoned: the body stopped arriving', {
        details: [`no data for ${options.idleTimeoutMs} ms`],
        cause: error,
      });
    }
    throw malformed(error);
  }
}

function collectField(part: MultipartValue, fields: Record<string, string>): void {
  if (part.valueTruncated) {
    throw new ChatError('VALIDATION_ERROR', undefined, {
      details: [`${part.fieldname}: longer than ${MULTIPART_LIMITS.fieldSize} bytes`],
    });
  }
  if (typeof part.value === 'string') fields[part.fieldname] = part.value;
}

/**
 * The file part: cleared first when `session_id` came before it (a retry's bytes are then read
 * past), then spooled, through the scan when there is one.
 */
async function receiveFile<S extends UploadFieldsSchema>(
  part: MultipartFile,
  state: Receiving,
  options: ReceiveOptions<S>,
): Promise<void> {
  if (part.fieldname !== options.fileField) {
    part.file.resume();
    throw new ChatError('VALIDATION_ERROR', `Unexpected file field ${part.fieldname}`, {
      details: [`${part.fieldname}: the file goes in ${options.fileField}`],
    });
  }
  state.originalName = part.filename;
  const sessionId = ZId.safeParse(state.fields[MULTIPART_FIELDS.sessionId]);
  if (sessionId.success) {
    // Everything sent so far is checked before access, budget and the file itself.
    parseFields(options.fieldsSchema, state.fields);
    const id = ZId.safeParse(state.fields[MULTIPART_FIELDS.id]);
    const clearance = await options.authorize({
      sessionId: sessionId.data,
      id: id.success ? id.data : undefined,
    });
    state.authorized = true;
    if (clearance === 'discard') {
      part.file.resume();
      await finished(part.file);
      return;
    }
    // Connected before the first bytes are read, so they go straight out.
    state.scan = options.startScan();
  }
  const spooling = spool(part.file, state.tempPath, state.scan);
  state.written = spooling.written;
  state.content = await spooling.received;
  if (part.file.truncated) throw new ChatError('FILE_TOO_LARGE');
}

/** The body is in: a file was sent, every field holds, and the sender is cleared. */
async function complete<S extends UploadFieldsSchema>(
  state: Receiving,
  options: ReceiveOptions<S>,
  stopWatching: () => void,
): Promise<ReceivedUpload<z.output<S>>> {
  const { tempPath, written, content, originalName, scan } = state;
  if (originalName === undefined) {
    throw new ChatError('VALIDATION_ERROR', `${options.fileField} is required`, {
      details: [`${options.fileField}: a file is required`],
    });
  }
  const fields = parseFields(options.fieldsSchema, state.fields);
  stopWatching();
  if (!state.authorized) {
    // The file is spooled already; a retry found now is answered all the same.
    await options.authorize({ sessionId: fields.session_id, id: fields.id });
  }
  return { tempPath, written, content, originalName, fields, scan };
}

function parseFields<S extends z.ZodType>(schema: S, fields: Record<string, string>): z.output<S> {
  const parsed = schema.safeParse(fields);
  if (!parsed.success) {
    throw new ChatError('VALIDATION_ERROR', undefined, {
      details: issueDetails(parsed.error.issues),
    });
  }
  return parsed.data;
}

/**
 * Abandons the upload when its body stops arriving: the parser sees a body closed early, the
 * part being read fails, and with it the upload.
 */
function abandonWhenIdle(request: FastifyRequest, ms: number, onAbandon: () => void): () => void {
  return watchIdle(request.raw, ms, () => {
    onAbandon();
    request.log.warn({ idleTimeoutMs: ms }, 'upload abandoned: its body stopped arriving');
    request.raw.destroy();
  });
}

/**
 * Calls `onIdle` when no byte of the body arrives for `ms` while the parser waits for one. A
 * pause the server makes (the body held back while clamd or the disk catches up) is not the
 * client's: the wait starts again. Returns the function that stops watching.
 */
function watchIdle(body: IncomingMessage, ms: number, onIdle: () => void): () => void {
  const check = () => {
    if (body.readableEnded || body.destroyed) return;
    if (body.readableFlowing === false || body.readableLength > 0) return void timer.refresh();
    onIdle();
  };
  const timer = setTimeout(check, ms);
  const arrived = () => timer.refresh();
  // Beside the parser's own listener: the body already flows, this only sees it pass.
  body.on('data', arrived);
  return () => {
    clearTimeout(timer);
    body.off('data', arrived);
  };
}

/**
 * Writes the file part to `path`, handing each chunk to the scan on the way (waiting when clamd
 * is slower than the client). `received`: the part is read to its end (with the whole content
 * when it is small); `written`: the file is complete on disk.
 */
function spool(source: Readable, path: string, scan: StreamScan | null) {
  const kept: Buffer[] = [];
  let size = 0;
  let flushed: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    flushed = resolve;
  });
  // Buffers as large as a small upload: its bytes are all read while the disk catches up.
  const tee = new Transform({
    readableHighWaterMark: SMALL_UPLOAD_BYTES,
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size <= SMALL_UPLOAD_BYTES) kept.push(chunk);
      if (!scan) return done(null, chunk);
      scan.write(chunk).then(() => done(null, chunk), done);
    },
    flush(done) {
      // The last byte is in: clamd scans while the file is closed. Not for a file cut off at
      // the size limit, which is refused anyway.
      if (!(source as Readable & { truncated?: boolean }).truncated) scan?.end();
      flushed();
      done();
    },
  });
  const written = pipeline(
    source,
    tee,
    // `flush`: fsync before close, so the bytes are on the disk by the time the verdict is
    // in (the store needs them durable before the message row; done here it overlaps the scan).
    createWriteStream(path, { flags: 'wx', highWaterMark: SMALL_UPLOAD_BYTES, flush: true }),
  );
  // Awaited later (or by the cleanup); a failure still rejects `received` through the race.
  written.catch(() => {});
  const received = Promise.race([ended, written]).then(() =>
    size <= SMALL_UPLOAD_BYTES ? Buffer.concat(kept, size) : null,
  );
  return { received, written };
}

/**
 * The multipart parser reports a broken body (cut short, no closing boundary, bad part headers)
 * with plain errors that carry no code: that is the client's request, not a server fault.
 * Limits (`FST_*`) and file-system errors keep their codes and their own mapping.
 */
function malformed(error: unknown): unknown {
  if (error instanceof ChatError || !(error instanceof Error)) return error;
  if (typeof (error as { code?: unknown }).code === 'string') return error;
  return new ChatError('VALIDATION_ERROR', 'Malformed multipart body', {
    details: [error.message],
    cause: error,
  });
}
