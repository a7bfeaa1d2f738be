import type {
  successEnvelope,
  TChatMessage,
  TChatSessionDetail,
  TErrorEnvelope,
  TListMessagesResponse,
  TListSessionsResponse,
  TMarkReadResponse,
  TReactionChange,
} from '@chat/contracts';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { z } from 'zod';

/** HTTP status of each error code, as DESIGN.md fixes it (written out, not read from the code). */
export const DESIGN_STATUS = {
  VALIDATION_ERROR: 400,
  AUTHENTICATION_REQUIRED: 401,
  CHAT_ACCESS_DENIED: 403,
  SESSION_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  SESSION_INACTIVE: 409,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof DESIGN_STATUS;

export interface ErrorBody {
  success: false;
  error: string;
  code: ErrorCode;
  details: string[];
}

/** The response is exactly the documented error envelope with this code and its status. */
export function expectError(response: LightMyRequestResponse, code: ErrorCode): ErrorBody {
  expect(response.statusCode, response.body).toBe(DESIGN_STATUS[code]);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json() as ErrorBody;
  expect(Object.keys(body).sort()).toEqual(['code', 'details', 'error', 'success']);
  expect(body.success).toBe(false);
  expect(body.code).toBe(code);
  expect(typeof body.error).toBe('string');
  expect(body.error.length).toBeGreaterThan(0);
  expect(Array.isArray(body.details)).toBe(true);
  for (const detail of body.details) expect(typeof detail).toBe('string');
  return body;
}

/** A small REST client over `app.inject` for one caller (or none). */
export function rest(app: FastifyInstance, caller?: { auth: { authorization: string } }) {
  const headers = caller ? caller.auth : {};
  return {
    get: (url: string) => app.inject({ method: 'GET', url, headers }),
    post: (url: string, payload?: object) => app.inject({ method: 'POST', url, headers, payload }),
    put: (url: string, payload?: object) => app.inject({ method: 'PUT', url, headers, payload }),
    patch: (url: string, payload?: object) =>
      app.inject({ method: 'PATCH', url, headers, payload }),
    delete: (url: string) => app.inject({ method: 'DELETE', url, headers }),
  };
}

/** The success envelope of an endpoint whose `data` is a `T`, as `successEnvelope` declares it. */
export type Success<T> = z.infer<ReturnType<typeof successEnvelope<z.ZodType<T>>>>;

/** The success envelopes of the chat endpoints, by what their `data` is. */
export type SessionAnswer = Success<TChatSessionDetail>;
export type SessionListAnswer = Success<TListSessionsResponse>;
export type MessageAnswer = Success<TChatMessage>;
export type MessageListAnswer = Success<TListMessagesResponse>;
export type MarkReadAnswer = Success<TMarkReadResponse>;
export type ReactionAnswer = Success<TReactionChange>;

/** Either envelope: which one it is, the status or `success` says (see the `expect...` below). */
export type Envelope<T> = Success<T> | TErrorEnvelope;

/** A JSON answer over real HTTP. */
export interface JsonAnswer<T> {
  status: number;
  body: Envelope<T>;
}

/**
 * Reads a fetch `Response` from an endpoint whose success `data` is a `T`. `Response.json()` is
 * `unknown`; the endpoints declare these envelopes as their response schemas.
 */
export async function readAnswer<T>(response: Response): Promise<JsonAnswer<T>> {
  const body = (await response.json()) as Envelope<T>;
  return { status: response.status, body };
}

/** POSTs a multipart form with `user`'s token over real HTTP: the stored message, or an error. */
export async function upload(
  baseUrl: string,
  user: { auth: { authorization: string } },
  path: string,
  body: FormData,
): Promise<JsonAnswer<TChatMessage>> {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: user.auth, body });
  return readAnswer<TChatMessage>(response);
}

/** Asserts the status; after it, a 200 or 201 body is the success envelope, any other the error one. */
export function expectStatus<T, S extends number>(
  answer: JsonAnswer<T>,
  status: S,
): asserts answer is JsonAnswer<T> & { body: S extends 200 | 201 ? Success<T> : TErrorEnvelope } {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
}

/** Asserts `success: true`; after it, `data` is there. */
export function expectSuccess<T>(body: Envelope<T>): asserts body is Success<T> {
  expect(body.success, JSON.stringify(body)).toBe(true);
}
