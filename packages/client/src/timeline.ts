import type { TChatMessage, TMessageReaction, TReactionSummary } from '@chat/contracts';
import type { ClientErrorCode } from './errors.js';

/** A stored message as the view keeps it: the contract's message plus its live reaction summary. */
export interface StoredItem {
  kind: 'stored';
  message: TChatMessage;
  reactions: TReactionSummary;
}

export type PendingStatus = 'sending' | 'failed';

/** A message this tab is sending: shown at once, replaced by the stored one when it arrives. */
export interface PendingItem {
  kind: 'pending';
  /** For text: the message id the server will store (client-made, so a retry cannot duplicate). */
  id: string;
  sessionId: string;
  senderId: string;
  type: 'text' | 'image' | 'file' | 'voice';
  content: string;
  createdAt: string;
  status: PendingStatus;
  error?: { code: ClientErrorCode; message: string } | undefined;
  /** Uploads: what is sent, and how far it got (0..1). */
  upload?: { fileName: string; size: number; progress: number } | undefined;
}

export type TimelineItem = StoredItem | PendingItem;

export interface Timeline {
  /** Stored messages, ascending by `seq`, one per id and per seq. */
  stored: StoredItem[];
  /** Messages on their way, in the order they were written. */
  pending: PendingItem[];
  /**
   * This view holds every message up to this seq (from its oldest loaded one): what `join_chat`
   * continues after. Not simply the newest seq: one's own message sent over REST while the live
   * feed was down may be newer than messages the feed missed.
   */
  syncedSeq: number;
}

export const emptyTimeline: Timeline = { stored: [], pending: [], syncedSeq: 0 };

/** Moves `syncedSeq` forward over the stored messages that continue it without a gap. */
function advanceSynced(stored: readonly StoredItem[], syncedSeq: number): number {
  let next = syncedSeq;
  for (const item of stored) {
    const seq = item.message.seq;
    if (seq === next + 1) next = seq;
    else if (seq > next + 1) break;
  }
  return next;
}

/** Everything up to `seq` is known (a complete newest page, or a finished catch-up). */
export function markSynced(timeline: Timeline, seq: number): Timeline {
  if (seq <= timeline.syncedSeq) return timeline;
  return { ...timeline, syncedSeq: advanceSynced(timeline.stored, seq) };
}

/** Groups a message's reactions by emoji in first-use order (the server's summary shape). */
export function summarize(reactions: readonly TMessageReaction[]): TReactionSummary {
  const byEmoji = new Map<string, string[]>();
  for (const r of reactions) {
    const users = byEmoji.get(r.reaction) ?? [];
    if (!users.includes(r.user_id)) users.push(r.user_id);
    byEmoji.set(r.reaction, users);
  }
  return [...byEmoji].map(([reaction, user_ids]) => ({
    reaction,
    count: user_ids.length,
    user_ids,
  }));
}

export function toStored(message: TChatMessage): StoredItem {
  return { kind: 'stored', message, reactions: summarize(message.message_reactions) };
}

/**
 * Adds stored messages (a page, a catch-up, a live message) to the timeline: deduplicated by id
 * and by seq (the newer copy wins: fresher links, read state, reactions), kept in seq order, and
 * any pending copy with the same id removed. A live message at the end is the cheap case.
 */
export function mergeStored(timeline: Timeline, incoming: readonly TChatMessage[]): Timeline {
  if (incoming.length === 0) return timeline;
  const incomingIds = new Set(incoming.map((m) => m.id));
  const pending = timeline.pending.filter((p) => !incomingIds.has(p.id));

  const last = timeline.stored.at(-1);
  const single = incoming.length === 1 ? incoming[0] : undefined;
  if (single && (!last || single.seq > last.message.seq)) {
    const syncedSeq = single.seq === timeline.syncedSeq + 1 ? single.seq : timeline.syncedSeq;
    return { stored: [...timeline.stored, toStored(single)], pending, syncedSeq };
  }

  const bySeq = new Map<number, StoredItem>();
  const seqById = new Map<string, number>();
  for (const item of timeline.stored) {
    bySeq.set(item.message.seq, item);
    seqById.set(item.message.id, item.message.seq);
  }
  for (const message of incoming) {
    const previousSeq = seqById.get(message.id);
    if (previousSeq !== undefined) bySeq.delete(previousSeq);
    const displaced = bySeq.get(message.seq);
    if (displaced) seqById.delete(displaced.message.id);
    bySeq.set(message.seq, toStored(message));
    seqById.set(message.id, message.seq);
  }
  const stored = [...bySeq.values()].sort((a, b) => a.message.seq - b.message.seq);
  return { stored, pending, syncedSeq: advanceSynced(stored, timeline.syncedSeq) };
}

/** Replaces the timeline with a fresh newest page (after a catch-up too long to replay). */
export function resetStored(timeline: Timeline, page: readonly TChatMessage[]): Timeline {
  const fresh = mergeStored({ stored: [], pending: timeline.pending, syncedSeq: 0 }, page);
  return markSynced(fresh, page.at(-1)?.seq ?? 0);
}

export function addPending(timeline: Timeline, item: PendingItem): Timeline {
  if (timeline.stored.some((s) => s.message.id === item.id)) return timeline;
  return { ...timeline, pending: [...timeline.pending.filter((p) => p.id !== item.id), item] };
}

export function updatePending(
  timeline: Timeline,
  id: string,
  change: Partial<Omit<PendingItem, 'kind' | 'id'>>,
): Timeline {
  if (!timeline.pending.some((p) => p.id === id)) return timeline;
  return {
    ...timeline,
    pending: timeline.pending.map((p) => (p.id === id ? { ...p, ...change } : p)),
  };
}

export function removePending(timeline: Timeline, id: string): Timeline {
  if (!timeline.pending.some((p) => p.id === id)) return timeline;
  return { ...timeline, pending: timeline.pending.filter((p) => p.id !== id) };
}

/** Applies a change to one stored message (reactions, deletion), keeping everything else. */
export function updateStored(
  timeline: Timeline,
  messageId: string,
  change: (item: StoredItem) => StoredItem,
): Timeline {
  const index = timeline.stored.findIndex((s) => s.message.id === messageId);
  if (index < 0) return timeline;
  const stored = timeline.stored.slice();
  const current = stored[index];
  if (!current) return timeline;
  stored[index] = change(current);
  return { ...timeline, stored };
}

export function markDeleted(timeline: Timeline, messageId: string, at: string): Timeline {
  return updateStored(timeline, messageId, (item) => ({
    ...item,
    reactions: [],
    message: {
      ...item.message,
      content: null,
      file_url: null,
      file_name: null,
      file_size: null,
      mime_type: null,
      metadata: {},
      deleted_at: item.message.deleted_at ?? at,
    },
  }));
}

/** Highest seq this view holds. */
export function newestSeq(timeline: Timeline): number {
  return timeline.stored.at(-1)?.message.seq ?? 0;
}

export function oldestStored(timeline: Timeline): StoredItem | undefined {
  return timeline.stored[0];
}

/** All items in display order: stored by seq, then what is still on its way. */
export function timelineItems(timeline: Timeline): TimelineItem[] {
  return [...timeline.stored, ...timeline.pending];
}
