import {
  ERROR_DEFINITIONS,
  httpStatusFor,
  issueDetails,
  type TErrorCode,
  type TErrorStatus,
} from '@chat/contracts';
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

/**
 * tRPC's code for each HTTP status of the error table (`ERROR_DEFINITIONS`), so a procedure
 * answers with the status REST does. A code is added to the table alone; a new status fails
 * to compile here until it is named.
 */
const TRPC_CODE_BY_STATUS = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
} as const satisfies Record<TErrorStatus, TRPC_ERROR_CODE_KEY>;

export function trpcCodeOf(code: TErrorCode): TRPC_ERROR_CODE_KEY {
  return TRPC_CODE_BY_STATUS[httpStatusFor(code)];
}

/** The service's error behind a tRPC error, so clients get the same `code` as over REST. */
export function chatErrorOf(error: TRPCError): ChatError {
  const cause = error.cause;
  if (cause instanceof ChatError) return cause;
  if (cause instanceof ZodError) {
    return new ChatError('VALIDATION_ERROR', undefined, {
      details: issueDetails(cause.issues, { whole: 'input' }),
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
      error: new TRPCError({ code: trpcCodeOf(cause.code), message: cause.message, cause }),
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
