import type { TChatMessage } from '@chat/contracts';
import type { TimelineItem } from './timeline.js';

/** Every participant's read cursor as far as this view knows it (a lower bound per user). */
export type ReadCursors = ReadonlyMap<string, number>;

/**
 * What loaded messages tell about read cursors: a sender has read up to their own message
 * (sending moves the sender's cursor), and an own message with `is_read` has been read by every
 * other participant.
 */
export function cursorsFromMessages(
  cursors: ReadCursors,
  messages: readonly TChatMessage[],
  viewerId: string,
  participantIds: readonly string[],
): ReadCursors {
  const next = new Map(cursors);
  const raise = (userId: string, seq: number) => {
    if ((next.get(userId) ?? 0) < seq) next.set(userId, seq);
  };
  for (const message of messages) {
    if (message.sender_id) raise(message.sender_id, message.seq);
    if (message.sender_id === viewerId && message.is_read) {
      for (const id of participantIds) if (id !== viewerId) raise(id, message.seq);
    }
  }
  return next;
}

/** `messages_read`: a cursor moved forward (never back). */
export function applyRead(cursors: ReadCursors, userId: string, lastReadSeq: number): ReadCursors {
  if ((cursors.get(userId) ?? 0) >= lastReadSeq) return cursors;
  const next = new Map(cursors);
  next.set(userId, lastReadSeq);
  return next;
}

export type Tick = 'sending' | 'failed' | 'sent' | 'read';

/**
 * The tick of one of the viewer's own messages: read once every other participant's cursor has
 * reached it; `null` for messages of others and system messages.
 */
export function tickFor(
  item: TimelineItem,
  viewerId: string,
  participantIds: readonly string[],
  cursors: ReadCursors,
): Tick | null {
  if (item.kind === 'pending') return item.status === 'failed' ? 'failed' : 'sending';
  const { message } = item;
  if (message.sender_id !== viewerId || message.type === 'system') return null;
  const others = participantIds.filter((id) => id !== viewerId);
  if (others.length === 0) return 'sent';
  const allRead = others.every((id) => (cursors.get(id) ?? 0) >= message.seq);
  return allRead || message.is_read ? 'read' : 'sent';
}

/**
 * Unread badge of a session in the list: the server counts others' messages after one's cursor
 * that are still there (own messages move one's own cursor). The list keeps `last_seq` and a
 * read position `last_seq - unread_count` (the cursor plus the deleted messages after it), and
 * events move them: a new message raises `lastSeq`, a read raises `readSeq`. A message deleted
 * meanwhile is noticed at the next list load (`message_deleted` goes to the session's room).
 */
export interface UnreadState {
  lastSeq: number;
  readSeq: number;
}

export function unreadCount(state: UnreadState): number {
  return Math.max(0, state.lastSeq - state.readSeq);
}

/** `chat_activity`: a new message in a session; one's own message counts as read. */
export function onActivity(state: UnreadState, seq: number, fromViewer: boolean): UnreadState {
  const lastSeq = Math.max(state.lastSeq, seq);
  const readSeq = fromViewer ? Math.max(state.readSeq, seq) : state.readSeq;
  return { lastSeq, readSeq };
}

/** `messages_read` for the viewer (any of their tabs). */
export function onOwnRead(state: UnreadState, lastReadSeq: number): UnreadState {
  return { ...state, readSeq: Math.max(state.readSeq, lastReadSeq) };
}

export function toUnreadState(session: { last_seq: number; unread_count: number }): UnreadState {
  return { lastSeq: session.last_seq, readSeq: session.last_seq - session.unread_count };
}
