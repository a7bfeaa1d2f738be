import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import {
  type ClientToServerEvents,
  type ServerToClientEvents,
  ZChatActivity,
  ZChatJoined,
  ZJoinChatPayload,
  ZLeaveChatPayload,
  ZMarkReadPayload,
  ZMessageDeleted,
  ZMessageReactionPayload,
  ZMessageReactionUpdate,
  ZMessageSent,
  ZMessagesRead,
  ZPresence,
  ZSendMessagePayload,
  ZSessionUpdated,
  ZSocketError,
  ZSocketMessage,
  ZSocketUser,
  ZTypingPayload,
  ZUserTyping,
} from './socket.js';

/** `authenticated`: who the socket acts as (sent again when the user's profile changes). */
export const ZAuthenticated = z.object({ user: ZSocketUser });

/** `auth_error`: why the socket is being closed; the server disconnects it right after. */
export const ZAuthError = z.object({ message: z.string(), code: z.enum(ERROR_CODES) });

/** What an event's ack receives (`TAck`): `{ ok: true, data }` or `{ ok: false, error }`. */
export function ackSchema<T extends z.ZodType>(data: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), data }),
    z.object({
      ok: z.literal(false),
      error: z.object({
        code: z.enum(ERROR_CODES),
        message: z.string(),
        details: z.array(z.string()).optional(),
      }),
    }),
  ]);
}

/** An event a client emits: its payload, what its ack receives, and what it does. */
export interface TClientEventContract {
  summary: string;
  payload: z.ZodType;
  ack: z.ZodType;
}

/** An event the server emits: its payload and when it is sent. */
export interface TServerEventContract {
  summary: string;
  payload: z.ZodType;
}

/**
 * `ClientToServerEvents` at run time (for the AsyncAPI document and anything else that must list
 * the events): one entry per event, no more, no fewer. The payload schema's input and the ack
 * schema's output are the interface's types (checked in `socket-events.test.ts`).
 */
export const CLIENT_EVENTS = {
  join_chat: {
    summary:
      "Join a session's room. Answered with `chat_joined` (and the ack): the messages after `since_seq`, at most 500; past that, `resync_required` says to page over REST with `after_seq`.",
    payload: ZJoinChatPayload,
    ack: ackSchema(ZChatJoined),
  },
  leave_chat: {
    summary: "Leave a session's room; the others get `user_left` once the user's last tab left.",
    payload: ZLeaveChatPayload,
    ack: ackSchema(z.null()),
  },
  send_message: {
    summary:
      'Send a text (or, for admins, system) message; answered with `message_sent` (and the ack), while the room gets `new_message`. A message REST stored already (the same `id`) is confirmed, never stored or broadcast twice: that is how voice notes and files are announced.',
    payload: ZSendMessagePayload,
    ack: ackSchema(ZMessageSent),
  },
  typing_start: {
    summary:
      'Start typing in the session (or in the one the socket joined last); the others get `user_typing`. It ends by itself after 6 seconds without another start.',
    payload: ZTypingPayload,
    ack: ackSchema(z.null()),
  },
  typing_stop: {
    summary: 'Stop typing in the session (or in the one the socket joined last).',
    payload: ZTypingPayload,
    ack: ackSchema(z.null()),
  },
  message_reaction: {
    summary:
      'Toggle an emoji reaction: added when the user had not reacted with it, removed when they had. The room gets `message_reaction_update`.',
    payload: ZMessageReactionPayload,
    ack: ackSchema(ZMessageReactionUpdate),
  },
  mark_read: {
    summary:
      "Move the user's read cursor forward to this message (never back); the room gets `messages_read`.",
    payload: ZMarkReadPayload,
    ack: ackSchema(ZMessagesRead),
  },
} as const satisfies Record<keyof ClientToServerEvents, TClientEventContract>;

/** `ServerToClientEvents` at run time: one entry per event, each payload schema its type. */
export const SERVER_EVENTS = {
  authenticated: {
    summary:
      'The token was accepted; events sent before it were queued and now run. Sent again when the user’s name or role changes.',
    payload: ZAuthenticated,
  },
  auth_error: {
    summary:
      'The token was refused, expired, or the profile is gone (`AUTHENTICATION_REQUIRED`), or the user holds too many sockets (`RATE_LIMIT_EXCEEDED`): the socket is disconnected.',
    payload: ZAuthError,
  },
  chat_joined: {
    summary: '`join_chat` succeeded: the session and the messages the socket missed.',
    payload: ZChatJoined,
  },
  user_joined: {
    summary:
      'A participant opened the session (their first tab); admins and monitors looking in are not announced.',
    payload: ZPresence,
  },
  user_left: { summary: 'A participant’s last tab left the session.', payload: ZPresence },
  message_sent: {
    summary: 'To the sender’s socket: its `send_message` was stored.',
    payload: ZMessageSent,
  },
  new_message: {
    summary: "A message in a joined session, from any transport (the sender's own tabs too).",
    payload: ZSocketMessage,
  },
  user_typing: {
    summary: 'Someone else in the session started or stopped typing.',
    payload: ZUserTyping,
  },
  message_reaction_update: {
    summary: 'A reaction was added or removed in a joined session.',
    payload: ZMessageReactionUpdate,
  },
  messages_read: {
    summary:
      "A participant's read cursor moved: sent to the session's room and to the reader's own sockets.",
    payload: ZMessagesRead,
  },
  chat_activity: {
    summary:
      "A new message in one of the user's sessions that this socket has not joined (session lists, badges, other devices).",
    payload: ZChatActivity,
  },
  message_deleted: {
    summary: 'A message of a joined session was deleted (it stays as a tombstone).',
    payload: ZMessageDeleted,
  },
  session_updated: {
    summary:
      "A session's status changed (closed, archived, reopened): sent to its room and to every participant's sockets.",
    payload: ZSessionUpdated,
  },
  error: {
    summary:
      'An event failed (the same error its ack receives), or the user may no longer read a session the socket had joined.',
    payload: ZSocketError,
  },
} as const satisfies Record<keyof ServerToClientEvents, TServerEventContract>;
