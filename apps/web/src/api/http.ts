import {
  API_PATHS,
  successEnvelope,
  type TChatMessage,
  type TChatSessionDetail,
  type TCreateSessionRequest,
  type TListMessagesResponse,
  type TListSessionsResponse,
  type TMarkReadResponse,
  type TProfile,
  type TReactionChange,
  type TSendMessageRequest,
  ZChatMessage,
  ZChatSessionDetail,
  ZDevSignInResponse,
  ZDevUsersResponse,
  ZListMessagesResponse,
  ZListSessionsResponse,
  ZMarkReadResponse,
  ZReactionChange,
} from '@chat/contracts';
import type { z } from 'zod';
import { ApiError, errorFromResponse } from './errors';

type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name | keyof PathParams<`/${Rest}`>]: string }
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : Record<never, never>;

/** Fills a contract path's `:params` (URL-encoded), e.g. `/api/chat/messages/:id/read`. */
export function pathFor<P extends string>(path: P, params: PathParams<P>): string {
  return path.replace(/:([a-z_]+)/g, (_, name: string) => {
    const value = (params as Record<string, string>)[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/** Parses a success envelope with the contract's schema; a mismatch names the fields. */
export function parseEnvelope<T extends z.ZodType>(
  schema: T,
  body: unknown,
  what: string,
): z.output<T> {
  const parsed = successEnvelope(schema).safeParse(body);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new ApiError('BAD_RESPONSE', `Unexpected ${what} answer (${where})`);
  }
  return (parsed.data as { data: z.output<T> }).data;
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  token?: string | null;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

async function request<T extends z.ZodType>(
  path: string,
  schema: T,
  options: RequestOptions = {},
): Promise<z.output<T>> {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined) search.set(key, String(value));
  }
  const url = search.size > 0 ? `${path}?${search}` : path;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError('NETWORK_ERROR', 'No connection to the server');
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok)
    throw errorFromResponse(response.status, body, response.headers.get('Retry-After'));
  return parseEnvelope(schema, body, `${options.method ?? 'GET'} ${path}`);
}

/** Demo users when development sign-in is on; `null` when the server runs with real auth (404). */
export async function fetchDevUsers(signal?: AbortSignal): Promise<TProfile[] | null> {
  try {
    const data = await request(API_PATHS.devUsers, ZDevUsersResponse, { signal });
    return data.users;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function devSignIn(userId: string) {
  return request(API_PATHS.devSignIn, ZDevSignInResponse, {
    method: 'POST',
    body: { user_id: userId },
  });
}

export function listSessions(
  token: string,
  query: {
    page?: number;
    limit?: number;
    status?: 'active' | 'closed' | 'archived' | 'all';
    booking_id?: string;
  } = {},
  signal?: AbortSignal,
): Promise<TListSessionsResponse> {
  return request(API_PATHS.sessions, ZListSessionsResponse, {
    token,
    signal,
    query: {
      page: query.page,
      limit: query.limit,
      status: query.status,
      booking_id: query.booking_id,
    },
  });
}

export function getSession(
  token: string,
  id: string,
  signal?: AbortSignal,
): Promise<TChatSessionDetail> {
  return request(pathFor(API_PATHS.session, { id }), ZChatSessionDetail, { token, signal });
}

export function createSession(
  token: string,
  body: TCreateSessionRequest,
): Promise<TChatSessionDetail> {
  return request(API_PATHS.sessions, ZChatSessionDetail, { method: 'POST', token, body });
}

export function listMessages(
  token: string,
  query: { session_id: string; limit?: number; before_message_id?: string; after_seq?: number },
  signal?: AbortSignal,
): Promise<TListMessagesResponse> {
  return request(API_PATHS.messages, ZListMessagesResponse, { token, signal, query });
}

export function sendMessage(token: string, body: TSendMessageRequest): Promise<TChatMessage> {
  return request(API_PATHS.messages, ZChatMessage, { method: 'POST', token, body });
}

export function markRead(token: string, messageId: string): Promise<TMarkReadResponse> {
  return request(pathFor(API_PATHS.messageRead, { id: messageId }), ZMarkReadResponse, {
    method: 'PUT',
    token,
  });
}

export function addReaction(
  token: string,
  messageId: string,
  reaction: string,
): Promise<TReactionChange> {
  return request(pathFor(API_PATHS.messageReactions, { id: messageId }), ZReactionChange, {
    method: 'POST',
    token,
    body: { reaction },
  });
}

export function removeReaction(
  token: string,
  messageId: string,
  reaction: string,
): Promise<TReactionChange> {
  return request(pathFor(API_PATHS.messageReaction, { id: messageId, reaction }), ZReactionChange, {
    method: 'DELETE',
    token,
  });
}

export interface UploadHandle {
  promise: Promise<TChatMessage>;
  abort(): void;
}

/**
 * Multipart upload with progress (fetch has no upload progress, XMLHttpRequest does). The id
 * and the session id go before the file, so the server checks access before reading the bytes,
 * and answers a retry of a stored upload without reading them (even when out of budget).
 */
export function uploadFile(
  token: string,
  kind: 'voice' | 'file',
  fields: { id?: string; session_id: string; duration?: number; caption?: string },
  file: Blob,
  fileName: string,
  onProgress: (fraction: number) => void,
): UploadHandle {
  const form = new FormData();
  // The message id is made here: sending the same upload again (its answer was lost) stores
  // nothing twice; the server answers with the stored message.
  if (fields.id !== undefined) form.append('id', fields.id);
  form.append('session_id', fields.session_id);
  if (fields.duration !== undefined) form.append('duration', fields.duration.toFixed(2));
  if (fields.caption) form.append('caption', fields.caption);
  form.append(kind === 'voice' ? 'voice_note' : 'file', file, fileName);

  const xhr = new XMLHttpRequest();
  const promise = new Promise<TChatMessage>((resolve, reject) => {
    xhr.open('POST', kind === 'voice' ? API_PATHS.voiceNotes : API_PATHS.files);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(parseEnvelope(ZChatMessage, body, 'upload'));
        } catch (error) {
          reject(error);
        }
        return;
      }
      reject(errorFromResponse(xhr.status, body, xhr.getResponseHeader('Retry-After')));
    };
    xhr.onerror = () => reject(new ApiError('NETWORK_ERROR', 'No connection to the server'));
    xhr.onabort = () => reject(new ApiError('NETWORK_ERROR', 'Upload cancelled'));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
