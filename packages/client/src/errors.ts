import { type TErrorCode, ZErrorEnvelope } from '@chat/contracts';

/** A failed call: a code of the contract, or `NETWORK_ERROR` when no answer came back at all. */
export type ClientErrorCode = TErrorCode | 'NETWORK_ERROR' | 'BAD_RESPONSE';

export class ApiError extends Error {
  readonly code: ClientErrorCode;
  readonly status: number;
  readonly details: string[];
  /** Seconds to wait before trying again (`Retry-After` of a 429). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ClientErrorCode,
    message: string,
    options: { status?: number; details?: string[]; retryAfterSeconds?: number | undefined } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = options.status ?? 0;
    this.details = options.details ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** Reads the error envelope of a failed answer; anything else becomes `BAD_RESPONSE`. */
export function errorFromResponse(
  status: number,
  body: unknown,
  retryAfterHeader: string | null,
): ApiError {
  const parsed = ZErrorEnvelope.safeParse(body);
  const retryAfter = retryAfterHeader === null ? undefined : Number(retryAfterHeader);
  const retryAfterSeconds =
    retryAfter !== undefined && Number.isFinite(retryAfter) ? retryAfter : undefined;
  if (!parsed.success) {
    return new ApiError('BAD_RESPONSE', `Unexpected answer from the server (HTTP ${status})`, {
      status,
      retryAfterSeconds,
    });
  }
  return new ApiError(parsed.data.code, parsed.data.error, {
    status,
    details: parsed.data.details,
    retryAfterSeconds,
  });
}

/** What a person should read when something they did failed. */
export function describeError(error: unknown): string {
  if (!isApiError(error)) {
    return error instanceof Error ? error.message : 'Something went wrong';
  }
  switch (error.code) {
    case 'NETWORK_ERROR':
      return 'No connection to the server.';
    case 'RATE_LIMIT_EXCEEDED':
      return error.retryAfterSeconds !== undefined
        ? `You are sending too fast. Try again in ${Math.max(1, Math.ceil(error.retryAfterSeconds))} s.`
        : 'You are sending too fast. Try again in a moment.';
    case 'SESSION_INACTIVE':
      return 'This chat is closed: no new messages can be sent.';
    case 'FILE_TOO_LARGE':
      return 'The file is larger than 10 MB.';
    case 'UNSUPPORTED_FILE_TYPE':
      return 'Only images (JPG, PNG, GIF, WebP), PDFs and audio can be sent; this file is none of them.';
    case 'FILE_INFECTED':
      return 'The virus scan flagged this file, so it was not sent.';
    case 'SCANNER_UNAVAILABLE':
      return 'Files cannot be checked for viruses right now. Try again later.';
    case 'AUTHENTICATION_REQUIRED':
      return 'Your sign-in has expired. Sign in again.';
    case 'CHAT_ACCESS_DENIED':
      return 'You do not have access to this chat.';
    case 'SESSION_NOT_FOUND':
      return 'This chat does not exist.';
    case 'VALIDATION_ERROR':
      return error.details.length > 0
        ? `${error.message}: ${error.details.join('; ')}`
        : error.message;
    default:
      return error.message;
  }
}

/** Failures that may succeed when simply sent again (the same message id keeps it single). */
export function isRetryable(error: unknown): boolean {
  return isApiError(error) ? isRetryableCode(error.code) : true;
}

export function isRetryableCode(code: ClientErrorCode): boolean {
  return (
    code === 'NETWORK_ERROR' ||
    code === 'RATE_LIMIT_EXCEEDED' ||
    code === 'INTERNAL_ERROR' ||
    code === 'SCANNER_UNAVAILABLE' ||
    code === 'BAD_RESPONSE'
  );
}

/** A failure as state keeps it: the code to branch on and the text a person reads. */
export interface Failure {
  code: ClientErrorCode;
  message: string;
}

/** Anything thrown, as a `Failure`: an answer that is no API error counts as `BAD_RESPONSE`. */
export function toFailure(error: unknown, describe: (error: unknown) => string): Failure {
  return { code: isApiError(error) ? error.code : 'BAD_RESPONSE', message: describe(error) };
}
