import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MAX_UPLOAD_BYTES, ZId } from '@chat/contracts';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ChatError } from '../../errors.js';

/** Multipart limits: one file, a handful of short fields, nothing else. */
export const MULTIPART_LIMITS = {
  fileSize: MAX_UPLOAD_BYTES,
  files: 1,
  fields: 8,
  parts: 10,
  fieldSize: 8 * 1024,
  headerPairs: 100,
} as const;

export interface ReceivedUpload<F> {
  tempPath: string;
  originalName: string;
  fields: F;
}

/**
 * Streams a multipart body: the one file part goes to a temporary file (never the whole upload
 * in memory, stopped at 10 MB), fields are collected in whatever order they come. As soon as
 * `session_id` arrives before the file, `onSessionId` runs, so a caller without access is turned
 * away before their file is read. On any failure the temporary file is gone.
 */
export async function receiveUpload<S extends z.ZodType>(
  request: FastifyRequest,
  options: {
    fileField: string;
    fieldsSchema: S;
    tempDir: string;
    onSessionId: (sessionId: string) => Promise<void>;
  },
): Promise<ReceivedUpload<z.output<S>>> {
  if (!request.isMultipart()) {
    throw new ChatError('VALIDATION_ERROR', 'Expected multipart/form-data', {
      details: [`${options.fileField}: send the file as multipart/form-data`],
    });
  }
  await mkdir(options.tempDir, { recursive: true });
  const tempPath = join(options.tempDir, `${randomUUID()}.upload`);
  const fields: Record<string, string> = {};
  let originalName: string | undefined;
  let authorized = false;

  try {
    for await (const part of request.parts({ limits: MULTIPART_LIMITS })) {
      if (part.type === 'field') {
        if (typeof part.value !== 'string') continue;
        fields[part.fieldname] = part.value;
        if (
          part.fieldname === 'session_id' &&
          originalName === undefined &&
          ZId.safeParse(part.value).success
        ) {
          await options.onSessionId(part.value);
          authorized = true;
        }
        continue;
      }
      if (part.fieldname !== options.fileField) {
        part.file.resume();
        throw new ChatError('VALIDATION_ERROR', `Unexpected file field ${part.fieldname}`, {
          details: [`${part.fieldname}: the file goes in ${options.fileField}`],
        });
      }
      originalName = part.filename;
      await pipeline(part.file, createWriteStream(tempPath, { flags: 'wx' }));
      if (part.file.truncated) throw new ChatError('FILE_TOO_LARGE');
    }
    if (originalName === undefined) {
      throw new ChatError('VALIDATION_ERROR', `${options.fileField} is required`, {
        details: [`${options.fileField}: a file is required`],
      });
    }
    const parsed = options.fieldsSchema.safeParse(fields);
    if (!parsed.success) {
      throw new ChatError('VALIDATION_ERROR', undefined, {
        details: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      });
    }
    if (!authorized) await options.onSessionId((parsed.data as { session_id: string }).session_id);
    return { tempPath, originalName, fields: parsed.data };
  } catch (error) {
    await rm(tempPath, { force: true });
    throw malformed(error);
  }
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
