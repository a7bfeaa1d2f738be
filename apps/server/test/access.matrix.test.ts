import { randomUUID } from 'node:crypto';
import type { ClientToServerEvents, TChatMessage, TErrorEnvelope } from '@chat/contracts';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { queryRows, sql } from '../src/db/database.js';
import type { AppRouter } from '../src/transport/trpc/app.router.js';
import { form, pngOf, wavOf } from './support/media-fixtures.js';
import {
  DESIGN_STATUS,
  type ErrorCode,
  expectError,
  expectStatus,
  type MessageListAnswer,
  readAnswer,
  rest,
  type SessionAnswer,
  upload,
} from './support/rest.js';
import { type ClientSocket, connectClient, openClient } from './support/sockets.js';
import { type TestUser, useTestApp } from './support/test-app.js';

/**
 * Who may do what, over every way in: one row per operation, one cell per transport and role,
 * each cell its own chat and users. The rules are DESIGN.md's "Access" and docs/decisions.md's
 * "Access rules" with issue 12's (unknown ids answer like foreign ones for non-staff, support
 * requests, monitors write nothing, admins moderate). A refused cell also checks that the chat
 * is as it was and that the refusal left no audit row. A new operation joins by adding a row.
 */

const sockets: ClientSocket[] = [];
const t = useTestApp({}, { sockets });

const ROLES = [
  'participant',
  'outsider client',
  'outsider reader',
  'admin',
  'monitor',
  'no token',
] as const;
type Role = (typeof ROLES)[number];
type Outcome = 'allowed' | ErrorCode;
type Expected = Record<Role, Outcome>;

const DENIED = 'CHAT_ACCESS_DENIED';
const NO_TOKEN = 'AUTHENTICATION_REQUIRED';
const outsiders = { 'outsider client': DENIED, 'outsider reader': DENIED } as const;

/** See the session, its messages and files: participants, admins, monitors. */
const READ: Expected = {
  participant: 'allowed',
  ...outsiders,
  admin: 'allowed',
  monitor: 'allowed',
  'no token': NO_TOKEN,
};
/** Send, react, type, upload: participants and admins; monitors write nothing. */
const WRITE: Expected = { ...READ, monitor: DENIED };
/** What needs the caller's own read cursor: participants only (staff from outside are refused). */
const MEMBER: Expected = { ...WRITE, admin: DENIED };
/** Moderation (status, others' messages, system messages, chosen participants): admins only. */
const MODERATE: Expected = { ...WRITE, participant: DENIED };
/** Every session (`scope=all`): admins and monitors. */
const STAFF: Expected = { ...READ, participant: DENIED };
/** What any signed-in user may do. */
const ANYONE: Expected = {
  participant: 'allowed',
  'outsider client': 'allowed',
  'outsider reader': 'allowed',
  admin: 'allowed',
  monitor: 'allowed',
  'no token': NO_TOKEN,
};
/** An id that names nothing: staff, who could read it anyway, learn so; others see a refusal. */
const unknown = (code: 'SESSION_NOT_FOUND' | 'MESSAGE_NOT_FOUND'): Expected => ({
  ...MEMBER,
  participant: DENIED,
  admin: code,
  monitor: code,
});
/**
 * Over the socket an unknown session is a refusal for everyone, staff included: nothing there
 * says whether a session id exists (DESIGN.md, "Over the socket").
 */
const UNKNOWN_SESSION_OVER_SOCKET = { admin: DENIED, monitor: DENIED } as const;

/**
 * The chat a cell runs against. `participant` is the booking's client (or the support request's
 * asker) and sent `messageId`; `other` is the booking's reader.
 */
interface Chat {
  participant: TestUser;
  other: TestUser | null;
  bookingId: string | null;
  sessionId: string;
  messageId: string;
  /** `other`'s message, when the setup asks for one. */
  otherMessageId: string | null;
  /** A PNG `participant` uploaded, when the setup asks for one. */
  fileMessageId: string | null;
}

type Setup = 'booking' | 'support' | 'closed' | 'file' | 'two messages';

interface Cell extends Chat {
  /** Who acts; undefined: no token. */
  actor: TestUser | undefined;
}

/** How the cell calls the operation; each answers what happened. */
interface Row {
  operation: string;
  setup?: Setup;
  expected: Expected;
  /** Where the socket answers otherwise (it conceals an unknown session from staff too). */
  overSocket?: Partial<Expected>;
  rest?: (cell: Cell) => Promise<Outcome>;
  trpc?: (api: ReturnType<typeof trpcFor>, cell: Cell) => Promise<unknown>;
  socket?: { event: keyof ClientToServerEvents; payload: (cell: Cell) => object };
}

const hi = { content: 'hello from the matrix' };
const thumbsUp = { reaction: '👍' };
const THUMBS_UP_PATH = encodeURIComponent('👍');

const rows: Row[] = [
  {
    operation: 'sessions.list',
    expected: ANYONE,
    rest: (c) => restCall(c, 'GET', '/api/chat/sessions?status=all'),
    trpc: (api) => api.sessions.list.query({ status: 'all' }),
  },
  {
    operation: 'sessions.list scope=all',
    expected: STAFF,
    rest: (c) => restCall(c, 'GET', '/api/chat/sessions?scope=all'),
    trpc: (api) => api.sessions.list.query({ scope: 'all' }),
  },
  {
    operation: 'sessions.get',
    expected: READ,
    rest: (c) => restCall(c, 'GET', `/api/chat/sessions/${c.sessionId}`),
    trpc: (api, c) => api.sessions.get.query({ id: c.sessionId }),
  },
  {
    operation: 'sessions.get, a support request',
    setup: 'support',
    expected: READ,
    rest: (c) => restCall(c, 'GET', `/api/chat/sessions/${c.sessionId}`),
    trpc: (api, c) => api.sessions.get.query({ id: c.sessionId }),
  },
  {
    operation: 'sessions.get, an unknown id',
    expected: unknown('SESSION_NOT_FOUND'),
    rest: (c) => restCall(c, 'GET', `/api/chat/sessions/${randomUUID()}`),
    trpc: (api) => api.sessions.get.query({ id: randomUUID() }),
  },
  {
    operation: "sessions.create, the booking's (answered again)",
    expected: WRITE,
    rest: (c) => restCall(c, 'POST', '/api/chat/sessions', { booking_id: c.bookingId }),
    trpc: (api, c) => api.sessions.create.mutate({ booking_id: c.bookingId ?? '' }),
  },
  {
    operation: 'sessions.create, a support request',
    expected: { ...ANYONE, admin: 'VALIDATION_ERROR', monitor: DENIED },
    rest: (c) => restCall(c, 'POST', '/api/chat/sessions', { session_type: 'support' }),
    trpc: (api) => api.sessions.create.mutate({ session_type: 'support' }),
  },
  {
    operation: 'sessions.create, chosen participants',
    expected: MODERATE,
    rest: (c) =>
      restCall(c, 'POST', '/api/chat/sessions', { participant_ids: chosenParticipants(c) }),
    trpc: (api, c) => api.sessions.create.mutate({ participant_ids: chosenParticipants(c) }),
  },
  {
    operation: 'sessions.updateStatus',
    expected: MODERATE,
    rest: (c) => restCall(c, 'PATCH', `/api/chat/sessions/${c.sessionId}`, { status: 'closed' }),
    trpc: (api, c) => api.sessions.updateStatus.mutate({ id: c.sessionId, status: 'closed' }),
  },
  {
    operation: 'messages.list',
    expected: READ,
    rest: (c) => restCall(c, 'GET', `/api/chat/messages?session_id=${c.sessionId}`),
    trpc: (api, c) => api.messages.list.query({ session_id: c.sessionId }),
  },
  {
    operation: 'messages.list before_message_id',
    expected: READ,
    rest: (c) =>
      restCall(
        c,
        'GET',
        `/api/chat/messages?session_id=${c.sessionId}&before_message_id=${c.messageId}`,
      ),
    trpc: (api, c) =>
      api.messages.list.query({ session_id: c.sessionId, before_message_id: c.messageId }),
  },
  {
    operation: 'messages.list after_seq',
    expected: READ,
    rest: (c) => restCall(c, 'GET', `/api/chat/messages?session_id=${c.sessionId}&after_seq=0`),
    trpc: (api, c) => api.messages.list.query({ session_id: c.sessionId, after_seq: 0 }),
  },
  {
    operation: 'messages.list, an unknown session',
    expected: unknown('SESSION_NOT_FOUND'),
    rest: (c) => restCall(c, 'GET', `/api/chat/messages?session_id=${randomUUID()}`),
    trpc: (api) => api.messages.list.query({ session_id: randomUUID() }),
  },
  {
    operation: 'messages.send',
    expected: WRITE,
    rest: (c) => restCall(c, 'POST', '/api/chat/messages', { session_id: c.sessionId, ...hi }),
    trpc: (api, c) => api.messages.send.mutate({ session_id: c.sessionId, ...hi }),
    socket: { event: 'send_message', payload: (c) => ({ session_id: c.sessionId, message: hi }) },
  },
  {
    operation: 'messages.send with a client id',
    expected: WRITE,
    rest: (c) =>
      restCall(c, 'POST', '/api/chat/messages', {
        id: randomUUID(),
        session_id: c.sessionId,
        ...hi,
      }),
    trpc: (api, c) =>
      api.messages.send.mutate({ id: randomUUID(), session_id: c.sessionId, ...hi }),
    socket: {
      event: 'send_message',
      payload: (c) => ({ session_id: c.sessionId, message: { id: randomUUID(), ...hi } }),
    },
  },
  {
    operation: 'messages.send type system',
    expected: MODERATE,
    rest: (c) =>
      restCall(c, 'POST', '/api/chat/messages', { session_id: c.sessionId, ...hi, type: 'system' }),
    trpc: (api, c) => api.messages.send.mutate({ session_id: c.sessionId, ...hi, type: 'system' }),
    socket: {
      event: 'send_message',
      payload: (c) => ({ session_id: c.sessionId, message: { ...hi, type: 'system' } }),
    },
  },
  {
    operation: 'messages.send, a support request',
    setup: 'support',
    expected: WRITE,
    rest: (c) => restCall(c, 'POST', '/api/chat/messages', { session_id: c.sessionId, ...hi }),
    trpc: (api, c) => api.messages.send.mutate({ session_id: c.sessionId, ...hi }),
    socket: { event: 'send_message', payload: (c) => ({ session_id: c.sessionId, message: hi }) },
  },
  {
    operation: 'messages.send, an unknown session',
    expected: unknown('SESSION_NOT_FOUND'),
    overSocket: UNKNOWN_SESSION_OVER_SOCKET,
    rest: (c) => restCall(c, 'POST', '/api/chat/messages', { session_id: randomUUID(), ...hi }),
    trpc: (api) => api.messages.send.mutate({ session_id: randomUUID(), ...hi }),
    socket: { event: 'send_message', payload: () => ({ session_id: randomUUID(), message: hi }) },
  },
  {
    operation: 'messages.markRead',
    expected: MEMBER,
    rest: (c) => restCall(c, 'PUT', `/api/chat/messages/${c.messageId}/read`),
    trpc: (api, c) => api.messages.markRead.mutate({ id: c.messageId }),
    socket: { event: 'mark_read', payload: (c) => ({ message_id: c.messageId }) },
  },
  {
    operation: 'messages.markRead, an unknown message',
    expected: unknown('MESSAGE_NOT_FOUND'),
    rest: (c) => restCall(c, 'PUT', `/api/chat/messages/${randomUUID()}/read`),
    trpc: (api) => api.messages.markRead.mutate({ id: randomUUID() }),
    socket: { event: 'mark_read', payload: () => ({ message_id: randomUUID() }) },
  },
  {
    operation: 'messages.remove, their own message',
    expected: WRITE,
    rest: (c) => restCall(c, 'DELETE', `/api/chat/messages/${c.messageId}`),
    trpc: (api, c) => api.messages.remove.mutate({ id: c.messageId }),
  },
  {
    operation: "messages.remove, another participant's message",
    setup: 'two messages',
    expected: MODERATE,
    rest: (c) => restCall(c, 'DELETE', `/api/chat/messages/${c.otherMessageId}`),
    trpc: (api, c) => api.messages.remove.mutate({ id: c.otherMessageId ?? '' }),
  },
  {
    operation: 'messages.remove, after a close',
    setup: 'closed',
    expected: { ...WRITE, participant: 'SESSION_INACTIVE' },
    rest: (c) => restCall(c, 'DELETE', `/api/chat/messages/${c.messageId}`),
    trpc: (api, c) => api.messages.remove.mutate({ id: c.messageId }),
  },
  {
    operation: 'reactions.add',
    expected: WRITE,
    rest: (c) => restCall(c, 'POST', `/api/chat/messages/${c.messageId}/reactions`, thumbsUp),
    trpc: (api, c) => api.reactions.add.mutate({ id: c.messageId, ...thumbsUp }),
    socket: {
      event: 'message_reaction',
      payload: (c) => ({ message_id: c.messageId, session_id: c.sessionId, ...thumbsUp }),
    },
  },
  {
    operation: 'reactions.remove',
    expected: WRITE,
    rest: (c) =>
      restCall(c, 'DELETE', `/api/chat/messages/${c.messageId}/reactions/${THUMBS_UP_PATH}`),
    trpc: (api, c) => api.reactions.remove.mutate({ id: c.messageId, ...thumbsUp }),
  },
  {
    operation: 'reactions.add, an unknown message',
    expected: unknown('MESSAGE_NOT_FOUND'),
    rest: (c) => restCall(c, 'POST', `/api/chat/messages/${randomUUID()}/reactions`, thumbsUp),
    trpc: (api) => api.reactions.add.mutate({ id: randomUUID(), ...thumbsUp }),
    socket: {
      event: 'message_reaction',
      payload: () => ({ message_id: randomUUID(), ...thumbsUp }),
    },
  },
  {
    operation: 'files.upload',
    expected: WRITE,
    rest: async (c) => uploadOutcome(c, '/api/chat/files', await pngPart()),
  },
  {
    operation: 'files.upload, a voice note',
    expected: WRITE,
    rest: (c) =>
      uploadOutcome(c, '/api/chat/voice-notes', {
        field: 'voice_note',
        name: 'note.wav',
        data: wavOf(1),
        type: 'audio/wav',
      }),
  },
  {
    operation: 'files.download',
    setup: 'file',
    expected: READ,
    rest: (c) => restCall(c, 'GET', `/api/chat/files/${c.fileMessageId}`),
  },
  {
    operation: 'files.download, an unknown message',
    expected: unknown('MESSAGE_NOT_FOUND'),
    rest: (c) => restCall(c, 'GET', `/api/chat/files/${randomUUID()}`),
  },
  {
    operation: 'socket join_chat',
    expected: READ,
    socket: { event: 'join_chat', payload: (c) => ({ session_id: c.sessionId }) },
  },
  {
    operation: 'socket join_chat, a support request',
    setup: 'support',
    expected: READ,
    socket: { event: 'join_chat', payload: (c) => ({ session_id: c.sessionId }) },
  },
  {
    operation: 'socket join_chat, an unknown session',
    expected: unknown('SESSION_NOT_FOUND'),
    overSocket: UNKNOWN_SESSION_OVER_SOCKET,
    socket: { event: 'join_chat', payload: () => ({ session_id: randomUUID() }) },
  },
  {
    operation: 'socket typing_start',
    expected: WRITE,
    socket: { event: 'typing_start', payload: (c) => ({ session_id: c.sessionId }) },
  },
];

/** A manual session with the chat's two parties (the admin need not be one). */
function chosenParticipants(cell: Cell): string[] {
  return [cell.participant.id, cell.other?.id ?? randomUUID()];
}

async function pngPart() {
  return { field: 'file', name: 'card.png', data: await pngOf(8, 8), type: 'image/png' };
}

function restCall(
  cell: Cell,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
): Promise<Outcome> {
  const headers = cell.actor ? cell.actor.auth : {};
  return t.app.inject({ method, url, headers, payload }).then(restOutcome);
}

/** A refusal is the documented error envelope with its code's status. */
function restOutcome(response: LightMyRequestResponse): Outcome {
  if (response.statusCode < 300) return 'allowed';
  const { code } = response.json<TErrorEnvelope>();
  expectError(response, code as ErrorCode);
  return code as ErrorCode;
}

async function uploadOutcome(
  cell: Cell,
  path: string,
  file: Parameters<typeof form>[1],
): Promise<Outcome> {
  const response = await fetch(`${t.baseUrl}${path}`, {
    method: 'POST',
    headers: cell.actor ? cell.actor.auth : {},
    body: form({ session_id: cell.sessionId }, file),
  });
  const answer = await readAnswer<TChatMessage>(response);
  if (answer.status < 300) return 'allowed';
  expectStatus(answer, DESIGN_STATUS[(answer.body as TErrorEnvelope).code as ErrorCode]);
  expect(Object.keys(answer.body).sort()).toEqual(['code', 'details', 'error', 'success']);
  return (answer.body as TErrorEnvelope).code as ErrorCode;
}

function trpcFor(actor: TestUser | undefined) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${t.baseUrl}/trpc`, headers: () => (actor ? actor.auth : {}) })],
  });
}

async function trpcOutcome(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return 'allowed';
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { errorCode: ErrorCode; httpStatus: number };
    expect(data.httpStatus).toBe(DESIGN_STATUS[data.errorCode]);
    return data.errorCode;
  }
}

/** Without a token the socket is refused at the door; with one, the event's ack says. */
async function socketOutcome(
  cell: Cell,
  event: keyof ClientToServerEvents,
  payload: object,
): Promise<Outcome> {
  if (!cell.actor) {
    const socket = openClient(t.baseUrl, undefined);
    sockets.push(socket);
    const refusal = await new Promise<{ code: ErrorCode }>((resolve) =>
      socket.once('auth_error', (e) => resolve(e as { code: ErrorCode })),
    );
    return refusal.code;
  }
  const socket = await connectClient(t.baseUrl, cell.actor.token);
  sockets.push(socket);
  try {
    // Every client event answers `TAck<...>`; only `ok` and the error code are read here.
    const ack = (await socket
      .timeout(3_000)
      .emitWithAck(event as 'join_chat', payload as never)) as {
      ok: boolean;
      error?: { code: ErrorCode };
    };
    return ack.ok ? 'allowed' : (ack.error?.code ?? 'INTERNAL_ERROR');
  } finally {
    socket.disconnect();
  }
}

async function chatFor(setup: Setup): Promise<Chat> {
  if (setup === 'support') {
    const participant = await t.factory.user('client');
    const created = await rest(t.app, participant).post('/api/chat/sessions', {
      session_type: 'support',
    });
    if (created.statusCode !== 201) throw new Error(`support request failed: ${created.body}`);
    const sessionId = created.json<SessionAnswer>().data.id;
    const message = await t.factory.message(participant, sessionId, 'private words');
    return {
      participant,
      other: null,
      bookingId: null,
      sessionId,
      messageId: message.id,
      otherMessageId: null,
      fileMessageId: null,
    };
  }
  const { client, reader, booking, sessionId } = await t.factory.bookingChat();
  const chat: Chat = {
    participant: client,
    other: reader,
    bookingId: booking.id,
    sessionId,
    messageId: (await t.factory.message(client, sessionId, 'private words')).id,
    otherMessageId: null,
    fileMessageId: null,
  };
  if (setup === 'two messages') {
    chat.otherMessageId = (await t.factory.message(reader, sessionId, 'their words')).id;
  }
  if (setup === 'closed') {
    const admin = await t.factory.user('admin');
    const closed = await rest(t.app, admin).patch(`/api/chat/sessions/${sessionId}`, {
      status: 'closed',
    });
    if (closed.statusCode !== 200) throw new Error(`close failed: ${closed.body}`);
  }
  if (setup === 'file') {
    const stored = await upload(
      t.baseUrl,
      client,
      '/api/chat/files',
      form({ session_id: sessionId }, await pngPart()),
    );
    if (!stored.body.success) throw new Error(`upload failed: ${JSON.stringify(stored.body)}`);
    chat.fileMessageId = stored.body.data.id;
  }
  return chat;
}

async function actorFor(role: Role, chat: Chat): Promise<TestUser | undefined> {
  switch (role) {
    case 'participant':
      return chat.participant;
    case 'outsider client':
      return t.factory.user('client');
    case 'outsider reader':
      return t.factory.user('reader');
    case 'admin':
      return t.factory.user('admin');
    case 'monitor':
      return t.factory.user('monitor');
    case 'no token':
      return undefined;
  }
}

/** The chat as its participant sees it: what a refused call must leave as it was. */
async function traceOf(cell: Cell) {
  const api = rest(t.app, cell.participant);
  const detail = (await api.get(`/api/chat/sessions/${cell.sessionId}`)).json<SessionAnswer>();
  const list = await api.get(`/api/chat/messages?session_id=${cell.sessionId}`);
  const { status, last_seq, last_read_seq } = detail.data;
  const messages = list
    .json<MessageListAnswer>()
    .data.messages.map((m) => [m.id, m.content, m.deleted_at, m.message_reactions.length]);
  return { status, last_seq, last_read_seq, messages };
}

async function auditedActions(actor: TestUser): Promise<string[]> {
  const found = await queryRows<{ action: string }>(
    t.database.db,
    sql`SELECT action FROM chat_audit_log WHERE actor_id = ${actor.id} ORDER BY id`,
  );
  return found.map((r) => r.action);
}

type Transport = 'REST' | 'tRPC' | 'socket';

function callerOf(row: Row, transport: Transport): ((cell: Cell) => Promise<Outcome>) | null {
  const { rest: viaRest, trpc: viaTrpc, socket: viaSocket } = row;
  if (transport === 'REST' && viaRest) return viaRest;
  if (transport === 'tRPC' && viaTrpc) return (c) => trpcOutcome(viaTrpc(trpcFor(c.actor), c));
  if (transport === 'socket' && viaSocket)
    return (c) => socketOutcome(c, viaSocket.event, viaSocket.payload(c));
  return null;
}

describe('access matrix: operation × transport × role', () => {
  for (const row of rows) {
    describe(row.operation, () => {
      for (const transport of ['REST', 'tRPC', 'socket'] as const) {
        const call = callerOf(row, transport);
        if (!call) continue;
        for (const role of ROLES) {
          const expected =
            (transport === 'socket' ? row.overSocket?.[role] : undefined) ?? row.expected[role];
          it(`${transport} · ${role} → ${expected}`, async () => {
            const chat = await chatFor(row.setup ?? 'booking');
            const cell: Cell = { ...chat, actor: await actorFor(role, chat) };
            const before = expected === 'allowed' ? null : await traceOf(cell);
            expect(await call(cell)).toBe(expected);
            if (before === null) return;
            expect(await traceOf(cell), 'a refused call changes nothing').toEqual(before);
            if (cell.actor && cell.actor !== cell.participant) {
              expect(await auditedActions(cell.actor), 'a refusal is not an access').toEqual([]);
            }
          });
        }
      }
    });
  }
});
