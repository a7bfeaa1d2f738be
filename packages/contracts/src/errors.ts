/**
 * Every error code the service answers with, its HTTP status and the default human text.
 * The codes are part of the public contract: clients branch on them, so never rename one.
 */
export const ERROR_DEFINITIONS = {
  /** Missing, malformed, expired or wrongly signed token, or a token for no known profile. */
  AUTHENTICATION_REQUIRED: { status: 401, message: 'Authentication required' },
  /** The caller is not a participant of the session (or may not do this there). */
  CHAT_ACCESS_DENIED: { status: 403, message: 'You do not have access to this chat session' },
  /** No chat session with that id. */
  SESSION_NOT_FOUND: { status: 404, message: 'Chat session not found' },
  /** No message with that id. */
  MESSAGE_NOT_FOUND: { status: 404, message: 'Message not found' },
  /** The request body, query or parameters do not match the contract. */
  VALIDATION_ERROR: { status: 400, message: 'Invalid request data' },
  /** The upload is larger than the limit (10,485,760 bytes). */
  FILE_TOO_LARGE: { status: 413, message: 'File exceeds the maximum size of 10MB' },
  /** The uploaded bytes are not one of the allowed types. */
  UNSUPPORTED_FILE_TYPE: { status: 415, message: 'File type not allowed' },
  /** The virus scanner found something in the upload; nothing was stored. */
  FILE_INFECTED: { status: 422, message: 'File failed the virus scan' },
  /** Too many requests in the current window; `Retry-After` says when to try again. */
  RATE_LIMIT_EXCEEDED: { status: 429, message: 'Too many requests, please slow down' },
  /** The session is closed or archived: no new messages. */
  SESSION_INACTIVE: { status: 409, message: 'Cannot send messages to an inactive session' },
  /** The virus scanner is configured but unreachable; uploads fail closed. */
  SCANNER_UNAVAILABLE: { status: 503, message: 'File scanning is unavailable, try again later' },
  /**
   * A dependency the request needs (the database) is unreachable or did not answer in time;
   * nothing was stored. `Retry-After` says when to try again (same message id: no duplicate).
   */
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service temporarily unavailable, try again later' },
  /** No route at that path and method. */
  NOT_FOUND: { status: 404, message: 'Route not found' },
  /** Anything unexpected. Never carries a stack trace or SQL. */
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type TErrorCode = keyof typeof ERROR_DEFINITIONS;

export const ERROR_CODES = Object.keys(ERROR_DEFINITIONS) as [TErrorCode, ...TErrorCode[]];

/** Every HTTP status the table answers with (a transport maps each to its own error code). */
export type TErrorStatus = (typeof ERROR_DEFINITIONS)[TErrorCode]['status'];

export function httpStatusFor(code: TErrorCode): TErrorStatus {
  return ERROR_DEFINITIONS[code].status;
}

/** One problem zod found in a value (`ZodError.issues`): where it is, and what is wrong. */
export interface TValidationIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * The `details` of a `VALIDATION_ERROR`, one `path: problem` line per issue, written the same on
 * every way in. `whole` names a problem with the value as a whole, whose path is empty (`input`,
 * `payload`).
 */
export function issueDetails(
  issues: readonly TValidationIssue[],
  { whole = '' }: { whole?: string } = {},
): string[] {
  return issues.map((issue) => `${issue.path.map(String).join('.') || whole}: ${issue.message}`);
}
