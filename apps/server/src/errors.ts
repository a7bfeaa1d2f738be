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
