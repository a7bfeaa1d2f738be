import { z } from 'zod';
import { ZId, ZProfileRole, ZTimestamp } from './common.js';
import { ERROR_CODES, type TErrorCode } from './errors.js';
import {
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
 * `send_message`. `message` may be a new message (`content`, optional client `id`) or, as the
 * reference's client does, the message REST just stored: its `id` is found and nothing is
 * duplicated. Unknown fields are ignored.
 */
export const ZSendMessagePayload = z.object({
  session_id: ZId,
  message: z
    .object({
      id: ZId.optional(),
      /** Required for a new message; may be empty when `id` names a stored (e.g. voice) message. */
      content: z.string().nullish(),
      type: ZMessageType.default('text'),
      metadata: z.record(z.string(), z.unknown()).optional(),
    })
    .superRefine((message, ctx) => {
      if (message.id !== undefined) return;
      const content = ZMessageContent.safeParse(message.content);
      if (!content.success) {
        for (const issue of content.error.issues) {
          ctx.addIssue({ code: 'custom', path: ['content'], message: issue.message });
        }
      }
    }),
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

export const ZPresence = z.object({ user_id: ZId, user_name: z.string(), session_id: ZId });

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
