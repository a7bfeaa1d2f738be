import { ERROR_DEFINITIONS, type TErrorCode } from '@chat/contracts';
import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';
import type { AppServices } from '../../app-services.js';
import { bearerToken } from '../../auth/auth.service.js';
import { ChatError } from '../../errors.js';

export interface TrpcContext {
  services: AppServices;
  authorization: string | undefined;
  /** The origin the request came to, for absolute file links. */
  origin: string;
  requestId: string;
}

/** One table from the service's error codes to tRPC's (the HTTP status follows from these). */
const TRPC_CODES: Record<TErrorCode, TRPC_ERROR_CODE_KEY> = {
  AUTHENTICATION_REQUIRED: 'UNAUTHORIZED',
  CHAT_ACCESS_DENIED: 'FORBIDDEN',
  SESSION_NOT_FOUND: 'NOT_FOUND',
  MESSAGE_NOT_FOUND: 'NOT_FOUND',
  NOT_FOUND: 'NOT_FOUND',
  VALIDATION_ERROR: 'BAD_REQUEST',
  FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_FILE_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FILE_INFECTED: 'UNPROCESSABLE_CONTENT',
  RATE_LIMIT_EXCEEDED: 'TOO_MANY_REQUESTS',
  SESSION_INACTIVE: 'CONFLICT',
  SCANNER_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_SERVER_ERROR',
};

/** The service's error behind a tRPC error, so clients get the same `code` as over REST. */
export function chatErrorOf(error: TRPCError): ChatError {
  const cause = error.cause;
  if (cause instanceof ChatError) return cause;
  if (cause instanceof ZodError) {
    return new ChatError('VALIDATION_ERROR', undefined, {
      details: cause.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`),
    });
  }
  if (error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR') {
    return new ChatError('VALIDATION_ERROR', undefined, { details: [error.message] });
  }
  if (error.code === 'NOT_FOUND') return new ChatError('NOT_FOUND', error.message);
  if (error.code === 'METHOD_NOT_SUPPORTED')
    return new ChatError('VALIDATION_ERROR', error.message);
  return new ChatError('INTERNAL_ERROR');
}

const t = initTRPC.context<TrpcContext>().create({
  // Never send stacks, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const chat = chatErrorOf(error);
    return {
      ...shape,
      message:
        chat.code === 'INTERNAL_ERROR' ? ERROR_DEFINITIONS.INTERNAL_ERROR.message : chat.message,
      data: {
        ...shape.data,
        stack: undefined,
        /** The service's error code, as in the REST envelope's `code`. */
        errorCode: chat.code,
        details: chat.details,
        retryAfterSeconds: chat.retryAfterSeconds ?? null,
      },
    };
  },
});

/** Re-throws a service's ChatError with its matching tRPC code (and so the HTTP status). */
const mapChatErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof ChatError) {
    const cause = result.error.cause;
    return {
      ...result,
      error: new TRPCError({ code: TRPC_CODES[cause.code], message: cause.message, cause }),
    };
  }
  return result;
});

export const router = t.router;
export const publicProcedure = t.procedure.use(mapChatErrors);

export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const { actor } = await ctx.services.auth.authenticate(bearerToken(ctx.authorization));
  return next({ ctx: { actor: { ...actor, origin: ctx.origin, requestId: ctx.requestId } } });
});
