import {
  ERROR_DEFINITIONS,
  type TErrorCode,
  type TErrorEnvelope,
  type TErrorStatus,
  ZErrorEnvelope,
} from '@chat/contracts';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { asChatError, ChatError, isChatError } from '../../errors.js';

/**
 * The envelope under every status of the error table, for response serialisation: any route may
 * answer any of them (a node draining, a database away). Which codes each operation documents is
 * the OpenAPI plugin's (`transport/docs/openapi.plugin.ts`).
 */
export const errorResponses = Object.fromEntries(
  Object.values(ERROR_DEFINITIONS).map(({ status }) => [status, ZErrorEnvelope]),
) as Record<TErrorStatus, typeof ZErrorEnvelope>;

export function sendError(reply: FastifyReply, error: ChatError): FastifyReply {
  const body: TErrorEnvelope = {
    success: false,
    error: error.message,
    code: error.code,
    details: error.details,
  };
  if (error.retryAfterSeconds !== undefined)
    reply.header('Retry-After', String(error.retryAfterSeconds));
  return reply.code(ERROR_DEFINITIONS[error.code].status).type('application/json').send(body);
}

/** Maps whatever was thrown to the documented envelope. A 500 never carries a stack or SQL. */
export function toChatError(error: unknown): ChatError {
  if (isChatError(error)) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as { validationContext?: string }).validationContext;
    return new ChatError('VALIDATION_ERROR', undefined, {
      details: error.validation.map((issue) => {
        const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
        const field = [where, path].filter(Boolean).join('.');
        return field ? `${field}: ${issue.message}` : (issue.message ?? 'invalid');
      }),
    });
  }
  const fastifyError = error as Partial<FastifyError>;
  const code = typeof fastifyError.code === 'string' ? fastifyError.code : '';
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new ChatError('FILE_TOO_LARGE');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new ChatError(
      'VALIDATION_ERROR',
      'Too many parts: one file and a few fields per upload',
      {
        details: [fastifyError.message ?? code],
      },
    );
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_PROTO_VIOLATION') {
    return new ChatError('VALIDATION_ERROR', undefined, {
      details: [fastifyError.message ?? code],
    });
  }
  // A path that cannot be decoded, or a path parameter longer than any id (Fastify's frameworkErrors).
  if (code === 'FST_ERR_BAD_URL' || code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new ChatError('VALIDATION_ERROR', 'Invalid URL', {
      details: ['path: not a valid URL or parameter'],
    });
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new ChatError('VALIDATION_ERROR', 'Request body too large');
  }
  if (code.startsWith('FST_ERR_CTP_') || code === 'FST_ERR_VALIDATION') {
    return new ChatError('VALIDATION_ERROR', undefined, {
      details: [fastifyError.message ?? 'invalid body'],
    });
  }
  // JSON with __proto__ / constructor keys (secure-json-parse) or malformed JSON.
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    return new ChatError('VALIDATION_ERROR', undefined, {
      details: [fastifyError.message ?? 'invalid request'],
    });
  }
  return asChatError(error);
}

export function registerErrorHandling(
  app: FastifyInstance,
  onError: (route: string, code: TErrorCode) => void = () => {},
): void {
  app.setErrorHandler((error, request, reply) => {
    const chatError = toChatError(error);
    if (chatError.code === 'INTERNAL_ERROR') request.log.error({ err: error }, 'unhandled error');
    onError(`${request.method} ${request.routeOptions.url ?? 'unknown'}`, chatError.code);
    return sendError(reply, chatError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new ChatError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
