import type { z } from 'zod';
import type { TErrorCode } from './errors.js';
import { MULTIPART_FIELDS, ZFileUploadFields, ZVoiceNoteFields } from './messages.js';
import { API_PATHS } from './paths.js';

/**
 * Codes any operation may answer besides its own: a request that does not parse (a path that
 * cannot be decoded, a body that is not JSON), a node shutting down or a database away
 * (`Retry-After`), and a fault.
 */
export const ANY_OPERATION_ERRORS = [
  'VALIDATION_ERROR',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const satisfies readonly TErrorCode[];

/** A REST operation: where it is, and the error codes it answers beyond `ANY_OPERATION_ERRORS`. */
export interface TRestOperation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  errors: readonly TErrorCode[];
  /** A `multipart/form-data` body: its file part and the fields beside it. */
  form?: { file: string; fields: z.ZodObject };
}

/** Every signed-in operation can be refused a token, and the access rules decide per session. */
const SIGNED_IN = ['AUTHENTICATION_REQUIRED', 'CHAT_ACCESS_DENIED'] as const;
const UPLOAD_ERRORS = [
  ...SIGNED_IN,
  'SESSION_NOT_FOUND',
  'SESSION_INACTIVE',
  'RATE_LIMIT_EXCEEDED',
  'FILE_TOO_LARGE',
  'UNSUPPORTED_FILE_TYPE',
  'FILE_INFECTED',
  'SCANNER_UNAVAILABLE',
] as const;

/**
 * Every documented REST operation, named as its OpenAPI `operationId`. `SESSION_NOT_FOUND` and
 * `MESSAGE_NOT_FOUND` reach admins and monitors only: anyone else gets `CHAT_ACCESS_DENIED` for
 * an id they may not read, known or not.
 */
export const REST_OPERATIONS = {
  listSessions: {
    method: 'GET',
    path: API_PATHS.sessions,
    errors: [...SIGNED_IN, 'RATE_LIMIT_EXCEEDED'],
  },
  getSession: {
    method: 'GET',
    path: API_PATHS.session,
    errors: [...SIGNED_IN, 'SESSION_NOT_FOUND', 'RATE_LIMIT_EXCEEDED'],
  },
  createSession: {
    method: 'POST',
    path: API_PATHS.sessions,
    errors: [...SIGNED_IN, 'RATE_LIMIT_EXCEEDED'],
  },
  updateSession: {
    method: 'PATCH',
    path: API_PATHS.session,
    errors: [...SIGNED_IN, 'SESSION_NOT_FOUND'],
  },
  listMessages: {
    method: 'GET',
    path: API_PATHS.messages,
    errors: [...SIGNED_IN, 'SESSION_NOT_FOUND', 'RATE_LIMIT_EXCEEDED'],
  },
  sendMessage: {
    method: 'POST',
    path: API_PATHS.messages,
    errors: [...SIGNED_IN, 'SESSION_NOT_FOUND', 'SESSION_INACTIVE', 'RATE_LIMIT_EXCEEDED'],
  },
  markRead: {
    method: 'PUT',
    path: API_PATHS.messageRead,
    errors: [...SIGNED_IN, 'MESSAGE_NOT_FOUND'],
  },
  deleteMessage: {
    method: 'DELETE',
    path: API_PATHS.message,
    errors: [...SIGNED_IN, 'MESSAGE_NOT_FOUND', 'SESSION_INACTIVE'],
  },
  addReaction: {
    method: 'POST',
    path: API_PATHS.messageReactions,
    errors: [...SIGNED_IN, 'MESSAGE_NOT_FOUND', 'SESSION_INACTIVE', 'RATE_LIMIT_EXCEEDED'],
  },
  removeReaction: {
    method: 'DELETE',
    path: API_PATHS.messageReaction,
    errors: [...SIGNED_IN, 'MESSAGE_NOT_FOUND', 'SESSION_INACTIVE', 'RATE_LIMIT_EXCEEDED'],
  },
  uploadVoiceNote: {
    method: 'POST',
    path: API_PATHS.voiceNotes,
    errors: UPLOAD_ERRORS,
    form: { file: MULTIPART_FIELDS.voiceNote, fields: ZVoiceNoteFields },
  },
  uploadFile: {
    method: 'POST',
    path: API_PATHS.files,
    errors: UPLOAD_ERRORS,
    form: { file: MULTIPART_FIELDS.file, fields: ZFileUploadFields },
  },
  downloadFile: {
    method: 'GET',
    path: API_PATHS.fileDownload,
    errors: [...SIGNED_IN, 'MESSAGE_NOT_FOUND', 'RATE_LIMIT_EXCEEDED'],
  },
  /** Development sign-in only; `CHAT_ACCESS_DENIED` for a `Host` that is not this server's. */
  listDevUsers: { method: 'GET', path: API_PATHS.devUsers, errors: ['CHAT_ACCESS_DENIED'] },
  devSignIn: { method: 'POST', path: API_PATHS.devSignIn, errors: ['CHAT_ACCESS_DENIED'] },
} as const satisfies Record<string, TRestOperation>;

export type TRestOperationId = keyof typeof REST_OPERATIONS;
