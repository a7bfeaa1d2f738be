import { z } from 'zod';
import {
  queryInt,
  queryLimit,
  unstorableText,
  ZId,
  ZMetadata,
  ZProfile,
  ZTimestamp,
} from './common.js';

export const MESSAGE_TYPES = ['text', 'voice', 'image', 'file', 'system'] as const;
export const ZMessageType = z.enum(MESSAGE_TYPES);
export type TMessageType = z.infer<typeof ZMessageType>;

/** Longest text message, in Unicode code points. */
export const MAX_MESSAGE_CHARS = 4000;

/**
 * Text a user writes for others to read (a message, an upload's caption), as it is stored:
 * trimmed, at most 4000 code points (an emoji counts once, not twice as in UTF-16), nothing
 * PostgreSQL cannot hold as sent (see `unstorableText`). `field` names it in the refusals.
 */
function userText(field: string, { required }: { required: boolean }) {
  return z
    .string({ message: `${field} must be a string` })
    .transform((s) => s.trim())
    .superRefine((s, ctx) => {
      if (required && s.length === 0) {
        ctx.addIssue({ code: 'custom', message: `${field} must not be empty` });
      }
      const unstorable = unstorableText(s);
      if (unstorable) {
        ctx.addIssue({ code: 'custom', message: `${field} must not contain ${unstorable}` });
      }
      if ([...s].length > MAX_MESSAGE_CHARS) {
        ctx.addIssue({
          code: 'custom',
          message: `${field} must be at most ${MAX_MESSAGE_CHARS} characters`,
        });
      }
    });
}

/** A text message's content: 1..4000 code points once trimmed, storable as sent. */
export const ZMessageContent = userText('content', { required: true });

/** An upload's caption: as a message's content, but may be empty (then the message has none). */
export const ZCaption = userText('caption', { required: false });

/**
 * A single emoji grapheme, e.g. "❤️" or "👍🏽" or a flag, in its fully-qualified form: "❤" and
 * "❤️" are the same reaction and both arrive as "❤️" (see `fullyQualifiedEmoji`).
 */
export const ZReaction = z
  .string()
  .refine(isSingleEmoji, { message: 'reaction must be one emoji' })
  .transform(fullyQualifiedEmoji);

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
/** Emoji code points and the parts emoji are built from (modifiers, ZWJ, VS16, keycap, tags). */
const EMOJI_PARTS = /^[\p{Extended_Pictographic}\p{Emoji_Component}]+$/u;
export function isSingleEmoji(value: string): boolean {
  if (value.length === 0 || value.length > 32) return false;
  const segments = [...graphemes.segment(value)];
  if (segments.length !== 1) return false;
  // One grapheme may still carry combining marks ("👍" + accents): only emoji parts count.
  if (!EMOJI_PARTS.test(value)) return false;
  return /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(value);
}

const VS16 = '\uFE0F';
/** An emoji character shown as text unless VS16 follows it ("❤", "☝", "©", a keycap's digit). */
const TEXT_DEFAULT = /^(?!\p{Emoji_Presentation})\p{Emoji}$/u;
const MODIFIER = /^\p{Emoji_Modifier}$/u;

/**
 * The fully-qualified form (Unicode UTS #51) of an emoji that `isSingleEmoji` accepts: the one
 * emoji keyboards produce and emoji-test.txt lists. Every emoji character that is text by
 * default gets VS16 (U+FE0F) after it unless a skin tone follows; every other VS16 goes. So the
 * forms with and without the selector ("❤" / "❤️", "👍️" / "👍", "1⃣" / "1️⃣") become one.
 */
export function fullyQualifiedEmoji(value: string): string {
  const points = [...value.replaceAll(VS16, '')];
  let qualified = '';
  for (const [i, point] of points.entries()) {
    qualified += point;
    const next = points[i + 1];
    if (TEXT_DEFAULT.test(point) && !(next !== undefined && MODIFIER.test(next))) {
      qualified += VS16;
    }
  }
  return qualified;
}

/** A message's sender as shown on it: the profile without the role. */
export const ZSenderProfile = ZProfile.omit({ role: true });

export const ZMessageReaction = z.object({
  user_id: ZId,
  reaction: z.string(),
  created_at: ZTimestamp,
  profiles: ZProfile.pick({ first_name: true, last_name: true }),
});
export type TMessageReaction = z.infer<typeof ZMessageReaction>;

/** Reactions on one message grouped by emoji, in first-use order. */
export const ZReactionSummary = z.array(
  z.object({ reaction: z.string(), count: z.number().int(), user_ids: z.array(ZId) }),
);
export type TReactionSummary = z.infer<typeof ZReactionSummary>;

/** A stored message as REST and tRPC return it. */
export const ZChatMessage = z.object({
  id: ZId,
  session_id: ZId,
  sender_id: ZId.nullable(),
  /** Per-session order: gap-free, starts at 1. Order by this, never by time. */
  seq: z.number().int(),
  content: z.string().nullable(),
  type: ZMessageType,
  file_url: z.string().nullable(),
  file_name: z.string().nullable(),
  file_size: z.number().int().nullable(),
  mime_type: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  /** Sent by you: every other participant has read it. Received: you have read it. */
  is_read: z.boolean(),
  created_at: ZTimestamp,
  edited_at: ZTimestamp.nullable(),
  deleted_at: ZTimestamp.nullable(),
  profiles: ZSenderProfile.nullable(),
  message_reactions: z.array(ZMessageReaction),
});
export type TChatMessage = z.infer<typeof ZChatMessage>;

export const ZListMessagesRequest = z.object({
  session_id: ZId,
  page: queryInt(1, 1),
  limit: queryLimit(50, 100),
  /** Older page: messages before this one (keyset; same cost at any depth). */
  before_message_id: ZId.optional(),
  /** Catch-up: messages with `seq` greater than this, oldest first. */
  after_seq: z.coerce.number().int().min(0).optional(),
});
export type TListMessagesRequest = z.infer<typeof ZListMessagesRequest>;

export const ZListMessagesResponse = z.object({
  messages: z.array(ZChatMessage),
  has_more: z.boolean(),
});
export type TListMessagesResponse = z.infer<typeof ZListMessagesResponse>;

export const ZSendMessageRequest = z.object({
  /** Client-made id: sending the same id again returns the stored message (safe retry). */
  id: ZId.optional(),
  session_id: ZId,
  content: ZMessageContent,
  type: z.enum(['text', 'system']).default('text'),
  metadata: ZMetadata.default({}),
});
export type TSendMessageRequest = z.input<typeof ZSendMessageRequest>;
export type TSendMessageInput = z.output<typeof ZSendMessageRequest>;

/**
 * What sending did: `created: false` when the client id was already stored (a retry). tRPC
 * answers it as is; REST answers the message, with 201 or 200.
 */
export const ZSendMessageResult = z.object({ message: ZChatMessage, created: z.boolean() });
export type TSendMessageResult = z.infer<typeof ZSendMessageResult>;

export const ZMessageIdParams = z.object({ id: ZId });

/** A read cursor moved: REST's and tRPC's answer, and the `messages_read` event. */
export const ZMarkReadResponse = z.object({
  session_id: ZId,
  user_id: ZId,
  last_read_seq: z.number().int(),
  read_at: ZTimestamp,
});
export type TMarkReadResponse = z.infer<typeof ZMarkReadResponse>;

export const ZAddReactionRequest = z.object({ reaction: ZReaction });
export const ZReactionParams = z.object({ id: ZId, reaction: ZReaction });

/** A reaction added or removed, with the message's reactions after it. */
export const ZReactionChange = z.object({
  message_id: ZId,
  session_id: ZId,
  user_id: ZId,
  reaction: z.string(),
  action: z.enum(['added', 'removed']),
  reactions: ZReactionSummary,
  message_reactions: z.array(ZMessageReaction),
});
export type TReactionChange = z.infer<typeof ZReactionChange>;

/**
 * The multipart field names of the two uploads, spelled once: the server reads these parts and
 * clients send them. `id` and `session_id` go before the file part, so access is checked and a
 * retry answered before the file's bytes are read.
 */
export const MULTIPART_FIELDS = {
  /** The file part of `POST /api/chat/voice-notes`. */
  voiceNote: 'voice_note',
  /** The file part of `POST /api/chat/files`. */
  file: 'file',
  id: 'id',
  sessionId: 'session_id',
  duration: 'duration',
  caption: 'caption',
} as const;

const F = MULTIPART_FIELDS;

/** Multipart fields of `POST /api/chat/voice-notes` (the file part is `voice_note`). */
export const ZVoiceNoteFields = z.object({
  /**
   * Client-made message id (optional): sending the upload again with the same id (its answer
   * was lost) answers 200 with the stored message and stores nothing twice, also out of budget
   * when the field comes before the file part (send `id` and `session_id` first).
   */
  [F.id]: ZId.optional(),
  [F.sessionId]: ZId,
  /** Seconds, as the client measured; a hint only, the server reads the audio. */
  [F.duration]: z.coerce.number().min(0).max(3600).optional(),
});
export type TVoiceNoteFields = z.output<typeof ZVoiceNoteFields>;

/** Multipart fields of `POST /api/chat/files` (the file part is `file`). */
export const ZFileUploadFields = z.object({
  /**
   * Client-made message id (optional): a retry with the same id answers 200 and stores nothing
   * (also out of budget when the field comes before the file part).
   */
  [F.id]: ZId.optional(),
  [F.sessionId]: ZId,
  /** Shown as the message's content; held to the same rules as a text message's. */
  [F.caption]: ZCaption.optional(),
});
export type TFileUploadFields = z.output<typeof ZFileUploadFields>;

export const AUDIO_FORMATS = ['mp3', 'wav', 'ogg', 'webm'] as const;

/** `metadata` of a voice message. */
export const ZVoiceNoteMetadata = z.object({
  duration: z.number(),
  audio_format: z.enum(AUDIO_FORMATS),
});

/** Maximum upload size: 10 MB = 10,485,760 bytes. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
