import { ERROR_DEFINITIONS, type TErrorCode } from '@chat/contracts';

/** The only error services throw. Transports map `code` to their wire format. */
export class ChatError extends Error {
  readonly code: TErrorCode;
  readonly details: string[];
  /** Seconds until a rate-limited caller may try again (`Retry-After`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: TErrorCode,
    message?: string,
    options: { details?: string[]; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message ?? ERROR_DEFINITIONS[code].message, { cause: options.cause });
    this.name = 'ChatError';
    this.code = code;
    this.details = options.details ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isChatError(error: unknown): error is ChatError {
  return error instanceof ChatError;
}

/**
 * Whatever a service call threw, as a transport answers it: a `ChatError` as it is, anything
 * else as INTERNAL_ERROR, its text and stack kept only as the cause (for the log). Transport
 * errors of their own (a body Fastify could not parse) are each transport's to map first.
 */
export function asChatError(error: unknown): ChatError {
  return isChatError(error) ? error : new ChatError('INTERNAL_ERROR', undefined, { cause: error });
}
