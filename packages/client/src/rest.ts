import {
  API_PATHS,
  MULTIPART_FIELDS,
  successEnvelope,
  type TChatMessage,
  type TChatSessionDetail,
  type TCreateSessionRequest,
  type TListMessagesRequest,
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
  type ZFileUploadFields,
  ZListMessagesResponse,
  type ZListSessionsRequest,
  ZListSessionsResponse,
  ZMarkReadResponse,
  ZReactionChange,
  type ZVoiceNoteFields,
} from '@chat/contracts';
import type { z } from 'zod';
import { ApiError, errorFromResponse } from './errors.js';

/** The user's access token, or a function that returns the current one (called per request). */
export type TokenSource = string | (() => string | Promise<string>);

/** `GET /api/chat/sessions` query: the contract's fields, each optional. */
export type ListSessionsQuery = Partial<z.output<typeof ZListSessionsRequest>>;

/** `GET /api/chat/messages` query: `session_id` and the contract's optional paging fields. */
export type ListMessagesQuery = Pick<TListMessagesRequest, 'session_id'> &
  Partial<Omit<TListMessagesRequest, 'session_id'>>;

/** The multipart fields of an upload (voice note or file) before the file part. */
export type UploadFields = Pick<
  z.output<typeof ZFileUploadFields>,
  'id' | 'session_id' | 'caption'
> &
  Pick<z.output<typeof ZVoiceNoteFields>, 'duration'>;

export type UploadKind = 'voice' | 'file';

export interface UploadHandle {
  promise: Promise<TChatMessage>;
  abort(): void;
}

/** What an upload transport is asked to send, and what it answers. */
export interface UploadRequest {
  url: string;
  headers: Record<string, string>;
  form: FormData;
  onProgress: (fraction: number) => void;
}
export interface UploadAnswer {
  status: number;
  body: unknown;
  retryAfter: string | null;
}
/** Sends a multipart upload; rejects with `ApiError('NETWORK_ERROR')` when no answer came. */
export type UploadTransport = (request: UploadRequest) => {
  promise: Promise<UploadAnswer>;
  abort(): void;
};

function readJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Uploads over XMLHttpRequest, which reports upload progress (fetch does not). The default in
 * browsers; pass another `XMLHttpRequest` class to test it.
 */
export function xhrUpload(Request: typeof XMLHttpRequest): UploadTransport {
  return ({ url, headers, form, onProgress }) => {
    const xhr = new Request();
    const promise = new Promise<UploadAnswer>((resolve, reject) => {
      xhr.open('POST', url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.responseType = 'text';
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      };
      xhr.onload = () =>
        resolve({
          status: xhr.status,
          body: readJson(xhr.responseText),
          retryAfter: xhr.getResponseHeader('Retry-After'),
        });
      xhr.onerror = () => reject(new ApiError('NETWORK_ERROR', 'No connection to the server'));
      xhr.onabort = () => reject(new ApiError('NETWORK_ERROR', 'Upload cancelled'));
      xhr.send(form);
    });
    return { promise, abort: () => xhr.abort() };
  };
}

/** Uploads with fetch (Node, workers): no progress until the answer, then 1. */
export function fetchUpload(fetchImpl: typeof fetch): UploadTransport {
  return ({ url, headers, form, onProgress }) => {
    const abort = new AbortController();
    const promise = (async () => {
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers,
          body: form,
          signal: abort.signal,
        });
      } catch {
        throw new ApiError(
          'NETWORK_ERROR',
          abort.signal.aborted ? 'Upload cancelled' : 'No connection to the server',
        );
      }
      onProgress(1);
      return {
        status: response.status,
        body: readJson(await response.text()),
        retryAfter: response.headers.get('Retry-After'),
      };
    })();
    return { promise, abort: () => abort.abort() };
  };
}

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

// Envelope schemas are made at first use, not at import: zod reads its `jitless` setting when a
// schema is built, and an app under a strict CSP sets it before anything parses.
const envelopes = new WeakMap<z.ZodType, z.ZodType>();

/** Parses a success envelope with the contract's schema; a mismatch names the fields. */
export function parseEnvelope<T extends z.ZodType>(
  schema: T,
  body: unknown,
  what: string,
): z.output<T> {
  let envelope = envelopes.get(schema);
  if (!envelope) {
    envelope = successEnvelope(schema);
    envelopes.set(schema, envelope);
  }
  const parsed = envelope.safeParse(body);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new ApiError('BAD_RESPONSE', `Unexpected ${what} answer (${where})`);
  }
  return (parsed.data as { data: z.output<T> }).data;
}

export interface RestClientOptions {
  /** Where the server is, e.g. `https://chat.example.com`; empty for the page's own origin. */
  baseUrl?: string | undefined;
  /** The user's token; leave out for the development sign-in calls. */
  token?: TokenSource | undefined;
  fetch?: typeof fetch | undefined;
  /** How uploads go: XMLHttpRequest (with progress) where it exists, else fetch. */
  upload?: UploadTransport | undefined;
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  query?: Record<string, string | number | undefined> | undefined;
  body?: unknown;
  signal?: AbortSignal | undefined;
  anonymous?: boolean;
}

/** The REST API of the service, every answer parsed with its contract schema. */
export type RestClient = ReturnType<typeof createRestClient>;

/** A REST client for one user (or none, for the development sign-in). */
export function createRestClient(options: RestClientOptions = {}) {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  const fetchImpl: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const transport =
    options.upload ??
    (typeof XMLHttpRequest === 'function' ? xhrUpload(XMLHttpRequest) : fetchUpload(fetchImpl));
  const source = options.token;
  const token = (): string | Promise<string> | undefined =>
    typeof source === 'function' ? source() : source;

  async function request<T extends z.ZodType>(
    path: string,
    schema: T,
    request: RequestOptions = {},
  ): Promise<z.output<T>> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) search.set(key, String(value));
    }
    const url = `${baseUrl}${search.size > 0 ? `${path}?${search}` : path}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    const bearer = request.anonymous ? undefined : await token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';

    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: request.method ?? 'GET',
        headers,
        body: request.body === undefined ? null : JSON.stringify(request.body),
        signal: request.signal ?? null,
      });
    } catch (error) {
      if (request.signal?.aborted) throw error;
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
    return parseEnvelope(schema, body, `${request.method ?? 'GET'} ${path}`);
  }

  /**
   * Multipart upload with progress. The id and the session id go before the file, so the server
   * checks access before reading the bytes, and answers a retry of a stored upload without
   * reading them (even when out of budget).
   */
  function upload(
    kind: UploadKind,
    fields: UploadFields,
    file: Blob,
    fileName: string,
    onProgress: (fraction: number) => void = () => {},
  ): UploadHandle {
    const form = new FormData();
    // The message id is made by the caller: sending the same upload again (its answer was lost)
    // stores nothing twice; the server answers with the stored message.
    if (fields.id !== undefined) form.append(MULTIPART_FIELDS.id, fields.id);
    form.append(MULTIPART_FIELDS.sessionId, fields.session_id);
    if (fields.duration !== undefined) {
      form.append(MULTIPART_FIELDS.duration, fields.duration.toFixed(2));
    }
    if (fields.caption) form.append(MULTIPART_FIELDS.caption, fields.caption);
    form.append(
      kind === 'voice' ? MULTIPART_FIELDS.voiceNote : MULTIPART_FIELDS.file,
      file,
      fileName,
    );
    const url = `${baseUrl}${kind === 'voice' ? API_PATHS.voiceNotes : API_PATHS.files}`;

    let abort = () => {};
    let aborted = false;
    const send = (bearer: string | undefined) => {
      if (aborted) throw new ApiError('NETWORK_ERROR', 'Upload cancelled');
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (bearer) headers.Authorization = `Bearer ${bearer}`;
      const sent = transport({ url, headers, form, onProgress });
      abort = sent.abort;
      return sent.promise.then(({ status, body, retryAfter }) => {
        if (status >= 200 && status < 300) return parseEnvelope(ZChatMessage, body, 'upload');
        throw errorFromResponse(status, body, retryAfter);
      });
    };
    // A plain token starts the upload at once; a token function is awaited first.
    const bearer = token();
    const promise =
      bearer instanceof Promise
        ? bearer.then(send)
        : new Promise<TChatMessage>((resolve) => resolve(send(bearer)));
    return {
      promise,
      abort: () => {
        aborted = true;
        abort();
      },
    };
  }

  return {
    /** Demo users when development sign-in is on; `null` when the server runs with real auth. */
    async devUsers(signal?: AbortSignal): Promise<TProfile[] | null> {
      try {
        const data = await request(API_PATHS.devUsers, ZDevUsersResponse, {
          signal,
          anonymous: true,
        });
        return data.users;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    /** Development sign-in: a token for a demo user (never on a production server). */
    devSignIn(userId: string) {
      return request(API_PATHS.devSignIn, ZDevSignInResponse, {
        method: 'POST',
        body: { user_id: userId },
        anonymous: true,
      });
    },
    listSessions(
      query: ListSessionsQuery = {},
      signal?: AbortSignal,
    ): Promise<TListSessionsResponse> {
      return request(API_PATHS.sessions, ZListSessionsResponse, { signal, query });
    },
    getSession(id: string, signal?: AbortSignal): Promise<TChatSessionDetail> {
      return request(pathFor(API_PATHS.session, { id }), ZChatSessionDetail, { signal });
    },
    createSession(body: TCreateSessionRequest): Promise<TChatSessionDetail> {
      return request(API_PATHS.sessions, ZChatSessionDetail, { method: 'POST', body });
    },
    /** A page of history: newest first by default, older with `before_message_id`. */
    listMessages(query: ListMessagesQuery, signal?: AbortSignal): Promise<TListMessagesResponse> {
      return request(API_PATHS.messages, ZListMessagesResponse, { signal, query });
    },
    /** Sends a text; give it an `id` of your own so a retry is never stored twice. */
    sendMessage(body: TSendMessageRequest): Promise<TChatMessage> {
      return request(API_PATHS.messages, ZChatMessage, { method: 'POST', body });
    },
    markRead(messageId: string): Promise<TMarkReadResponse> {
      return request(pathFor(API_PATHS.messageRead, { id: messageId }), ZMarkReadResponse, {
        method: 'PUT',
      });
    },
    addReaction(messageId: string, reaction: string): Promise<TReactionChange> {
      return request(pathFor(API_PATHS.messageReactions, { id: messageId }), ZReactionChange, {
        method: 'POST',
        body: { reaction },
      });
    },
    removeReaction(messageId: string, reaction: string): Promise<TReactionChange> {
      const path = pathFor(API_PATHS.messageReaction, { id: messageId, reaction });
      return request(path, ZReactionChange, { method: 'DELETE' });
    },
    upload,
  };
}
