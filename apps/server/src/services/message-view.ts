import type {
  TChatJoined,
  TChatMessage,
  TMessageReaction,
  TMessageReactionUpdate,
  TMessageSent,
  TReactionChange,
  TReactionSummary,
  TSocketMessage,
} from '@chat/contracts';
import type { Actor, MessageRow, ParticipantRow, ReactionRow } from '../domain/types.js';
import type { MessageWithSender } from '../repositories/messages.repository.js';
import type { Repositories } from '../repositories/store.js';

/** Builds the signed download URL of a stored file (or of its thumbnail). */
export type FileUrlBuilder = (
  message: MessageRow,
  variant: 'original' | 'thumbnail',
) => string | null;

/** File links for one caller: absolute, on PUBLIC_URL or else the origin the caller used. */
export interface FileUrls {
  builderFor(origin: string | undefined): FileUrlBuilder;
}

/**
 * Turns stored rows into the contract's message shape for one viewer: sender profile,
 * reactions, and `is_read` from the participants' read cursors.
 */
export async function presentMessages(
  repos: Repositories,
  rows: readonly MessageWithSender[],
  context: { viewerId: string; participants: readonly ParticipantRow[]; fileUrl: FileUrlBuilder },
): Promise<TChatMessage[]> {
  const reactions = await repos.messages.reactionsFor(rows.map((r) => r.id));
  const byMessage = groupReactions(reactions);
  const isRead = readStatus(context.viewerId, context.participants);
  return rows.map((row) =>
    toChatMessage(row, byMessage.get(row.id) ?? [], isRead(row), context.fileUrl),
  );
}

export function toChatMessage(
  row: MessageWithSender,
  reactions: readonly ReactionRow[],
  isRead: boolean,
  fileUrl: FileUrlBuilder,
): TChatMessage {
  return {
    id: row.id,
    session_id: row.sessionId,
    sender_id: row.senderId,
    seq: row.seq,
    content: row.content,
    type: row.type,
    file_url: row.storageKey && !row.deletedAt ? fileUrl(row, 'original') : null,
    file_name: row.deletedAt ? null : row.fileName,
    file_size: row.deletedAt ? null : row.fileSize,
    mime_type: row.deletedAt ? null : row.mimeType,
    metadata:
      row.type === 'image' && row.storageKey && !row.deletedAt
        ? { ...row.metadata, thumbnail_url: fileUrl(row, 'thumbnail') }
        : row.metadata,
    is_read: isRead,
    created_at: row.createdAt.toISOString(),
    edited_at: row.editedAt?.toISOString() ?? null,
    deleted_at: row.deletedAt?.toISOString() ?? null,
    profiles: row.sender
      ? {
          id: row.sender.id,
          first_name: row.sender.firstName,
          last_name: row.sender.lastName,
          avatar_url: row.sender.avatarUrl,
        }
      : null,
    message_reactions: reactions.map(toMessageReaction),
  };
}

/**
 * A message this caller just committed, presented without reading it back: a new message has
 * no reactions and nobody else has read it yet; the sender is the caller (their profile as of
 * sign-in). What `toChatMessage` makes of the committed row (a unit test holds the two
 * together), built as one literal: this runs for every message sent.
 */
export function presentCommitted(
  message: Omit<MessageRow, 'seq' | 'createdAt' | 'editedAt' | 'deletedAt'>,
  committed: { seq: number; createdAt: Date },
  sender: Pick<Actor, 'id' | 'firstName' | 'lastName' | 'avatarUrl'>,
  fileUrl: FileUrlBuilder,
): TChatMessage {
  const stored: MessageRow | null =
    message.storageKey === null
      ? null
      : { ...message, ...committed, editedAt: null, deletedAt: null };
  return {
    id: message.id,
    session_id: message.sessionId,
    sender_id: message.senderId,
    seq: committed.seq,
    content: message.content,
    type: message.type,
    file_url: stored ? fileUrl(stored, 'original') : null,
    file_name: message.fileName,
    file_size: message.fileSize,
    mime_type: message.mimeType,
    metadata:
      stored && message.type === 'image'
        ? { ...message.metadata, thumbnail_url: fileUrl(stored, 'thumbnail') }
        : message.metadata,
    is_read: false,
    created_at: committed.createdAt.toISOString(),
    edited_at: null,
    deleted_at: null,
    profiles: {
      id: sender.id,
      first_name: sender.firstName,
      last_name: sender.lastName,
      avatar_url: sender.avatarUrl,
    },
    message_reactions: [],
  };
}

export function toMessageReaction(r: ReactionRow): TMessageReaction {
  return {
    user_id: r.userId,
    reaction: r.reaction,
    created_at: r.createdAt.toISOString(),
    profiles: { first_name: r.firstName, last_name: r.lastName },
  };
}

export function summarizeReactions(reactions: readonly ReactionRow[]): TReactionSummary {
  const summary = new Map<string, string[]>();
  for (const r of reactions) {
    const users = summary.get(r.reaction) ?? [];
    users.push(r.userId);
    summary.set(r.reaction, users);
  }
  return [...summary].map(([reaction, user_ids]) => ({
    reaction,
    count: user_ids.length,
    user_ids,
  }));
}

function groupReactions(reactions: readonly ReactionRow[]): Map<string, ReactionRow[]> {
  const map = new Map<string, ReactionRow[]>();
  for (const r of reactions) {
    const list = map.get(r.messageId) ?? [];
    list.push(r);
    map.set(r.messageId, list);
  }
  return map;
}

/**
 * Sent by the viewer: read when every other participant's cursor has reached it.
 * Received: read when the viewer's own cursor has. A viewer outside the session (admin,
 * monitor) sees whether every participant has read it.
 */
export function readStatus(
  viewerId: string,
  participants: readonly ParticipantRow[],
): (message: Pick<MessageRow, 'seq' | 'senderId'>) => boolean {
  const own = participants.find((p) => p.userId === viewerId);
  return (message) => {
    if (own && message.senderId !== viewerId) return own.lastReadSeq >= message.seq;
    const others = participants.filter((p) => p.userId !== message.senderId);
    return others.length > 0 && others.every((p) => p.lastReadSeq >= message.seq);
  };
}

/**
 * `new_message`'s shape: the REST message plus the reference's `sender` and `timestamp`. Every
 * field is named (no spread): this runs for every message fanned out, and the type still fails
 * to compile if the message gains a field this leaves out.
 */
export function toSocketMessage(message: TChatMessage): TSocketMessage {
  const profile = message.profiles;
  const name = profile
    ? [profile.first_name, profile.last_name].filter((p) => p && p.length > 0).join(' ') ||
      'Unknown user'
    : 'System';
  return {
    id: message.id,
    session_id: message.session_id,
    sender_id: message.sender_id,
    seq: message.seq,
    content: message.content,
    type: message.type,
    file_url: message.file_url,
    file_name: message.file_name,
    file_size: message.file_size,
    mime_type: message.mime_type,
    metadata: message.metadata,
    is_read: message.is_read,
    created_at: message.created_at,
    edited_at: message.edited_at,
    deleted_at: message.deleted_at,
    profiles: message.profiles,
    message_reactions: message.message_reactions,
    sender: { id: message.sender_id, name, avatar: profile?.avatar_url ?? null },
    timestamp: message.created_at,
  };
}

/** `message_sent` (and `send_message`'s ack): where the sender's message landed. A literal: every send. */
export function toMessageSent(message: TChatMessage): TMessageSent {
  return {
    message_id: message.id,
    session_id: message.session_id,
    seq: message.seq,
    created_at: message.created_at,
  };
}

/**
 * `message_reaction_update`, as the room gets it and as the reacting socket's ack answers it:
 * REST's reaction change without the full list, with the reacting user's display name.
 */
export function toReactionUpdate(
  change: TReactionChange,
  userName: string,
): TMessageReactionUpdate {
  return {
    message_id: change.message_id,
    session_id: change.session_id,
    user_id: change.user_id,
    user_name: userName,
    reaction: change.reaction,
    action: change.action,
    reactions: change.reactions,
  };
}

/** `chat_joined` (and `join_chat`'s ack): the session's newest seq and what the client missed. */
export function toChatJoined(joined: {
  session_id: string;
  last_seq: number;
  messages: readonly TChatMessage[];
  resync_required: boolean;
}): TChatJoined {
  return {
    session_id: joined.session_id,
    last_seq: joined.last_seq,
    messages: joined.messages.map(toSocketMessage),
    resync_required: joined.resync_required,
  };
}
