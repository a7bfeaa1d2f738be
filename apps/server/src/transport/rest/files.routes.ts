import { rm } from 'node:fs/promises';
import {
  API_PATHS,
  SUCCESS_MESSAGES,
  successEnvelope,
  ZChatMessage,
  ZFileUploadFields,
  ZId,
  ZVoiceNoteFields,
} from '@chat/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppServices } from '../../app-services.js';
import { bearerToken } from '../../auth/auth.service.js';
import { ChatError } from '../../errors.js';
import type { UploadGrant } from '../../services/files.service.js';
import { requireActor } from './context.js';
import { errorResponses } from './http-errors.js';
import { type ReceivedUpload, receiveUpload } from './multipart.js';

const security = [{ bearerAuth: [] }];
const uploadResponses = {
  200: successEnvelope(ZChatMessage),
  201: successEnvelope(ZChatMessage),
  ...errorResponses,
};

const ZDownloadQuery = z.object({
  expires: z.coerce.number().int().optional(),
  signature: z.string().max(200).optional(),
  variant: z.enum(['original', 'thumbnail']).default('original'),
});

export const filesRoutes: FastifyPluginAsyncZod<{
  services: AppServices;
  tempDir: string;
  /** An upload whose body pauses longer than this is abandoned (UPLOAD_IDLE_TIMEOUT_MS). */
  uploadIdleTimeoutMs: number;
}> = async (app, { services, tempDir, uploadIdleTimeoutMs }) => {
  /** Both upload routes: spool the file, then hand it to the one upload pipeline. */
  const uploadHandler =
    <S extends typeof ZVoiceNoteFields | typeof ZFileUploadFields>(
      endpoint: 'voice' | 'file',
      fileField: string,
      fieldsSchema: S,
      successMessage: string,
    ) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const actor = await requireActor(services, request);
      let grant: UploadGrant | undefined;
      let upload: ReceivedUpload<unknown>;
      try {
        upload = await receiveUpload(request, {
          fileField,
          fieldsSchema,
          tempDir,
          authorize: async ({ sessionId, id }) => {
            grant = await services.files.authorizeUpload(actor, sessionId, endpoint, id);
            // A retry of a stored upload: its message is the answer, its bytes are not needed.
            return grant.stored ? 'discard' : 'receive';
          },
          startScan: services.files.beginScan,
          idleTimeoutMs: uploadIdleTimeoutMs,
        });
      } catch (error) {
        if (grant) await services.files.releaseUpload(actor, grant);
        throw error;
      }
      const fields = upload.fields as {
        id?: string;
        session_id: string;
        duration?: number;
        caption?: string;
      };
      try {
        const { message, created } = await services.files.storeUpload(
          actor,
          {
            id: fields.id,
            endpoint,
            sessionId: fields.session_id,
            tempPath: upload.tempPath,
            written: upload.written,
            content: upload.content,
            originalName: upload.originalName,
            durationHint: fields.duration,
            caption: fields.caption,
            grant,
            scan: upload.scan,
          },
          'rest',
        );
        // A retry of a stored upload (same client id) answers 200, as a repeated message does.
        reply.code(created ? 201 : 200);
        return { success: true as const, data: message, message: successMessage };
      } finally {
        await upload.written.catch(() => {});
        await rm(upload.tempPath, { force: true });
      }
    };

  app.post(
    API_PATHS.voiceNotes,
    {
      schema: {
        tags: ['files'],
        summary: 'Upload a voice note (multipart: voice_note, session_id, duration?)',
        security,
        consumes: ['multipart/form-data'],
        response: uploadResponses,
      },
    },
    uploadHandler('voice', 'voice_note', ZVoiceNoteFields, SUCCESS_MESSAGES.voiceNoteUploaded),
  );

  app.post(
    API_PATHS.files,
    {
      schema: {
        tags: ['files'],
        summary: 'Upload an image or PDF (multipart: file, session_id, caption?)',
        security,
        consumes: ['multipart/form-data'],
        response: uploadResponses,
      },
    },
    uploadHandler('file', 'file', ZFileUploadFields, SUCCESS_MESSAGES.fileUploaded),
  );

  app.get(
    API_PATHS.fileDownload,
    {
      schema: {
        tags: ['files'],
        summary:
          'Download a file: with the signed file_url, or with a bearer token (participants, admins, monitors)',
        params: z.object({ message_id: ZId }),
        querystring: ZDownloadQuery,
      },
    },
    async (request, reply) => {
      const hasToken = bearerToken(request.headers.authorization) !== undefined;
      const actor = hasToken ? await requireActor(services, request) : null;
      const download = await services.files.openDownload(actor, {
        messageId: request.params.message_id,
        variant: request.query.variant,
        expires: request.query.expires,
        signature: request.query.signature,
      });
      if (download.redirectUrl) return reply.redirect(download.redirectUrl, 302);

      const size = await download.size();
      if (size === null) throw new ChatError('MESSAGE_NOT_FOUND');
      const range = parseRange(request.headers.range, size);
      if (range === 'unsatisfiable') {
        return reply.code(416).header('Content-Range', `bytes */${size}`).send();
      }
      const opened = await download.open(range ?? undefined);
      if (!opened) throw new ChatError('MESSAGE_NOT_FOUND');

      reply
        .header('Content-Type', download.mimeType)
        .header('X-Content-Type-Options', 'nosniff')
        .header('Content-Security-Policy', "default-src 'none'; sandbox")
        .header('Accept-Ranges', 'bytes')
        .header('Cache-Control', 'private, max-age=300')
        .header('Content-Disposition', contentDisposition(download.disposition, download.fileName));
      if (range) {
        reply
          .code(206)
          .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
          .header('Content-Length', String(range.end - range.start + 1));
      } else {
        reply.header('Content-Length', String(size));
      }
      return reply.send(opened.stream);
    },
  );
};

/** One `bytes=` range (what audio and video elements ask for); several ranges get the whole file. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | 'unsatisfiable' {
  // A real range header is a few dozen characters; a longer one is served the whole file.
  if (!header || header.length > 200) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from, to] = match;
  let start: number;
  let end: number;
  if (from === '' && to === '') return null;
  if (from === '') {
    start = Math.max(0, size - Number(to));
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
