import {
  API_PATHS,
  MULTIPART_FIELDS,
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
import type { UploadEndpoint } from '../../media/file-kind.js';
import { requireActor } from './context.js';
import { sendDownload } from './download-reply.js';
import { errorResponses } from './http-errors.js';
import { receiveUpload } from './multipart.js';

const security = [{ bearerAuth: [] }];
const uploadResponses = {
  200: successEnvelope(ZChatMessage),
  201: successEnvelope(ZChatMessage),
  ...errorResponses,
};

/** Each upload route's file part, fields and answer. */
const uploads: Record<
  UploadEndpoint,
  {
    fileField: string;
    fieldsSchema: typeof ZVoiceNoteFields | typeof ZFileUploadFields;
    successMessage: string;
  }
> = {
  voice: {
    fileField: MULTIPART_FIELDS.voiceNote,
    fieldsSchema: ZVoiceNoteFields,
    successMessage: SUCCESS_MESSAGES.voiceNoteUploaded,
  },
  file: {
    fileField: MULTIPART_FIELDS.file,
    fieldsSchema: ZFileUploadFields,
    successMessage: SUCCESS_MESSAGES.fileUploaded,
  },
};
const F = MULTIPART_FIELDS;

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
  /** Both upload routes: the files service runs the upload, the receiver reads its body. */
  const uploadHandler =
    (endpoint: UploadEndpoint) => async (request: FastifyRequest, reply: FastifyReply) => {
      const actor = await requireActor(services, request);
      const { successMessage, ...parts } = uploads[endpoint];
      const { message, created } = await services.files.upload(actor, endpoint, 'rest', (gate) =>
        receiveUpload(request, { ...parts, ...gate, tempDir, idleTimeoutMs: uploadIdleTimeoutMs }),
      );
      // A retry of a stored upload (same client id) answers 200, as a repeated message does.
      reply.code(created ? 201 : 200);
      return { success: true as const, data: message, message: successMessage };
    };

  app.post(
    API_PATHS.voiceNotes,
    {
      schema: {
        tags: ['files'],
        summary: `Upload a voice note (multipart: ${F.voiceNote}, ${F.sessionId}, ${F.duration}?)`,
        security,
        consumes: ['multipart/form-data'],
        response: uploadResponses,
      },
    },
    uploadHandler('voice'),
  );

  app.post(
    API_PATHS.files,
    {
      schema: {
        tags: ['files'],
        summary: `Upload an image or PDF (multipart: ${F.file}, ${F.sessionId}, ${F.caption}?)`,
        security,
        consumes: ['multipart/form-data'],
        response: uploadResponses,
      },
    },
    uploadHandler('file'),
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
      return sendDownload(reply, download, request.headers.range);
    },
  );
};
