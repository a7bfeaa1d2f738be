import { z } from 'zod';
import { ZId, ZMetadata, ZProfileRole, ZTimestamp } from './common.js';
import { ERROR_CODES, type TErrorCode } from './errors.js';
import {
  type TMessageType,
  type TSendMessageInput,
  ZChatMessage,
  ZMarkReadResponse,
  ZMessageContent,
  ZMessageType,
  ZReaction,
  ZReactionChange,
} from './messages.js';
import { ZSessionStatus } from './sessions.js';

/** Most messages `join_chat` replays before asking the client to page over REST instead. */
export const MAX_CATCH_UP_MESSAGES = 500;

export const ZJoinChatPayload = z.object({
  session_id: ZId,
  /** Highest `seq` the client has seen; the answer carries everything after it. */
  since_seq: z.number().int().min(0).optional(),
});

export const ZLeaveChatPayload = z.object({ session_id: ZId });

/**
 * An upload REST stored, emitted again over the socket as the reference's client does (REST
 * first, then `send_message` with the stored message): confirmed by its `id`, never stored or
 * broadcast twice. Voice notes and files are only ever created over REST, so one without an `id`
 * is refused.
 */
export interface TUploadEcho {
  session_id: string;
  id: string | undefined;
  type: Exclude<TMessageType, 'text' | 'system'>;
}

/**
 * What a send asks of the messages service: a new text or system message (REST's and tRPC's
 * request; a repeated `id` is a retry), or, over the socket only, an upload's echo.
 */
export type TSendMessageCommand = TSendMessageInput | TUploadEcho;

/** The command echoes an upload (a type no send creates), rather than asking for a new message. */
export function isUploadEcho(command: TSendMessageCommand): command is TUploadEcho {
  return command.type !== 'text' && command.type !== 'system';
}

/** A message as `send_message` carries it, each field checked; without an `id` its text too. */
type TSentMessage = {
  type: TMessageType;
  metadata: Record<string, unknown> | undefined;
} & ({ id: string; content: string | null | undefined } | { id: undefined; content: string });

const ZSentMessage = z
  .object({
    id: ZId.optional(),
    /** Required for a new message; may be empty when `id` names a stored (e.g. voice) message. */
    content: z.string().nullish(),
    type: ZMessageType.default('text'),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .transform(({ id, content, type, metadata }, ctx): TSentMessage => {
    if (id !== undefined) return { id, content, type, metadata };
    const text = ZMessageContent.safeParse(content);
    if (text.success) return { id, content: text.data, type, metadata };
    for (const issue of text.error.issues) {
      ctx.issues.push({
        code: 'custom',
        path: ['content'],
        message: issue.message,
        input: content,
      });
    }
    return z.NEVER;
  });

/**
 * `send_message`. `message` may be a new message (`content`, optional client `id`) or, as the
 * reference's client does, the message REST just stored: its `id` is found and nothing is
 * duplicated. Unknown fields are ignored. Parsed once into the `TSendMessageCommand` the
 * messages service takes from every transport: a text or system message is held to
 * `ZSendMessageRequest`'s rules (its issues named `message.<field>`), an upload is only named.
 */
export const ZSendMessagePayload = z
  .object({ session_id: ZId, message: ZSentMessage })
  .transform(({ session_id, message }, ctx): TSendMessageCommand => {
    const { id, type } = message;
    if (type !== 'text' && type !== 'system') return { session_id, id, type };
    // A new message's text was checked with its fields; a named one's only now, as its metadata.
    const content =
      message.id === undefined
        ? { success: true as const, data: message.content, error: undefined }
        : ZMessageContent.safeParse(message.content);
    const metadata = ZMetadata.safeParse(message.metadata ?? {});
    if (content.success && metadata.success) {
      return { id, session_id, content: content.data, type, metadata: metadata.data };
    }
    for (const [field, result] of [
      ['content', content],
      ['metadata', metadata],
    ] as const) {
      for (const issue of result.error?.issues ?? []) {
        ctx.issues.push({
          code: 'custom',
          path: ['message', field, ...issue.path],
          message: issue.message,
          input: message[field],
        });
      }
    }
    return z.NEVER;
  });

/** `typing_start` / `typing_stop`: the session, or else the one the socket joined last. */
export const ZTypingPayload = z.object({ session_id: ZId.optional() }).optional();

export const ZMessageReactionPayload = z.object({
  message_id: ZId,
  reaction: ZReaction,
  session_id: ZId.optional(),
});

export const ZMarkReadPayload = z.object({ message_id: ZId, session_id: ZId.optional() });

export const ZSocketUser = z.object({
  id: ZId,
  name: z.string(),
  avatar: z.string().nullable(),
  role: ZProfileRole,
});
export type TSocketUser = z.infer<typeof ZSocketUser>;

/** `new_message`: the REST message plus the reference's socket fields. */
export const ZSocketMessage = ZChatMessage.extend({
  sender: z.object({ id: ZId.nullable(), name: z.string(), avatar: z.string().nullable() }),
  timestamp: ZTimestamp,
});
export type TSocketMessage = z.infer<typeof ZSocketMessage>;

export const ZChatJoined = z.object({
  session_id: ZId,
  last_seq: z.number().int(),
  messages: z.array(ZSocketMessage),
  /** More was missed than `MAX_CATCH_UP_MESSAGES`: page over REST with `after_seq`. */
  resync_required: z.boolean(),
});
export type TChatJoined = z.infer<typeof ZChatJoined>;

export const ZPresence = z.object({ user_id: ZId, user_name: z.string(), session_id: ZId });
export type TPresence = z.infer<typeof ZPresence>;

/**
 * A message's fields with its id as events name it, `message_id`, to pick event payloads from.
 * `pick` writes the fields in the order its mask lists them, which is the order on the wire.
 */
const ZMessageEventFields = ZChatMessage.extend({ message_id: ZChatMessage.shape.id });

export const ZMessageSent = ZMessageEventFields.pick({
  message_id: true,
  session_id: true,
  seq: true,
  created_at: true,
});
export type TMessageSent = z.infer<typeof ZMessageSent>;

export const ZUserTyping = ZPresence.extend({ is_typing: z.boolean() }).pick({
  user_id: true,
  user_name: true,
  is_typing: true,
  session_id: true,
});

/** `message_reaction_update`: REST's reaction change without the full list, with who reacted. */
export const ZMessageReactionUpdate = ZReactionChange.extend({
  user_name: ZPresence.shape.user_name,
}).pick({
  message_id: true,
  session_id: true,
  user_id: true,
  user_name: true,
  reaction: true,
  action: true,
  reactions: true,
});
export type TMessageReactionUpdate = z.infer<typeof ZMessageReactionUpdate>;

/** `messages_read`: the same receipt `PUT /api/chat/messages/:id/read` answers. */
export const ZMessagesRead = ZMarkReadResponse;

/**
 * A new message in one of the user's sessions, sent to each of their sockets that has not joined
 * that session (those get `new_message`): session lists, badges, other devices.
 */
export const ZChatActivity = ZMessageEventFields.pick({
  session_id: true,
  message_id: true,
  seq: true,
  sender_id: true,
  type: true,
  created_at: true,
});

export const ZMessageDeleted = ZMessageEventFields.pick({ session_id: true, message_id: true });
export const ZSessionUpdated = z.object({ session_id: ZId, status: ZSessionStatus });

export const ZSocketError = z.object({
  code: z.enum(ERROR_CODES),
  error: z.string(),
  details: z.array(z.string()).optional(),
});

export type TAck<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: TErrorCode; message: string; details?: string[] } };
export type TAckCallback<T> = (response: TAck<T>) => void;

type Payload<T extends z.ZodType> = z.input<T>;

/** Events a client emits. The ack callback is optional everywhere. */
export interface ClientToServerEvents {
  join_chat: (
    payload: Payload<typeof ZJoinChatPayload>,
    ack?: TAckCallback<z.infer<typeof ZChatJoined>>,
  ) => void;
  leave_chat: (payload: Payload<typeof ZLeaveChatPayload>, ack?: TAckCallback<null>) => void;
  send_message: (
    payload: Payload<typeof ZSendMessagePayload>,
    ack?: TAckCallback<z.infer<typeof ZMessageSent>>,
  ) => void;
  typing_start: (payload?: Payload<typeof ZTypingPayload>, ack?: TAckCallback<null>) => void;
  typing_stop: (payload?: Payload<typeof ZTypingPayload>, ack?: TAckCallback<null>) => void;
  message_reaction: (
    payload: Payload<typeof ZMessageReactionPayload>,
    ack?: TAckCallback<z.infer<typeof ZMessageReactionUpdate>>,
  ) => void;
  mark_read: (
    payload: Payload<typeof ZMarkReadPayload>,
    ack?: TAckCallback<z.infer<typeof ZMessagesRead>>,
  ) => void;
}

/** Events the server emits. */
export interface ServerToClientEvents {
  authenticated: (data: { user: TSocketUser }) => void;
  auth_error: (data: { message: string; code: TErrorCode }) => void;
  chat_joined: (data: z.infer<typeof ZChatJoined>) => void;
  user_joined: (data: z.infer<typeof ZPresence>) => void;
  user_left: (data: z.infer<typeof ZPresence>) => void;
  message_sent: (data: z.infer<typeof ZMessageSent>) => void;
  new_message: (message: TSocketMessage) => void;
  user_typing: (data: z.infer<typeof ZUserTyping>) => void;
  message_reaction_update: (data: z.infer<typeof ZMessageReactionUpdate>) => void;
  messages_read: (data: z.infer<typeof ZMessagesRead>) => void;
  chat_activity: (data: z.infer<typeof ZChatActivity>) => void;
  message_deleted: (data: z.infer<typeof ZMessageDeleted>) => void;
  session_updated: (data: z.infer<typeof ZSessionUpdated>) => void;
  error: (data: z.infer<typeof ZSocketError>) => void;
}
