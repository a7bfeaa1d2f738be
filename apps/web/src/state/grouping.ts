import type { TimelineItem } from '@chat/client';

/** Consecutive messages of one sender closer than this share one group (one name, one avatar). */
export const GROUP_GAP_MS = 5 * 60 * 1000;

export type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'unread'; key: 'unread' }
  | {
      kind: 'message';
      key: string;
      item: TimelineItem;
      own: boolean;
      /** First of its sender's group: shows the name and avatar. */
      groupStart: boolean;
      /** Last of its group: shows the time and the tail of the bubble. */
      groupEnd: boolean;
    };

export function itemKey(item: TimelineItem): string {
  return item.kind === 'stored' ? item.message.id : item.id;
}

export function itemSender(item: TimelineItem): string | null {
  return item.kind === 'stored' ? item.message.sender_id : item.senderId;
}

export function itemCreatedAt(item: TimelineItem): string {
  return item.kind === 'stored' ? item.message.created_at : item.createdAt;
}

export function isSystem(item: TimelineItem): boolean {
  return (
    item.kind === 'stored' && (item.message.type === 'system' || item.message.sender_id === null)
  );
}

/** The local calendar day of a time, as `YYYY-MM-DD`. */
export function localDayKey(iso: string): string {
  const date = new Date(iso);
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return `${date.getFullYear()}-${month}-${day}`;
}

const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});

export function dayLabel(iso: string, now: Date = new Date()): string {
  const key = localDayKey(iso);
  if (key === localDayKey(now.toISOString())) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (key === localDayKey(yesterday.toISOString())) return 'Yesterday';
  return dayFormat.format(new Date(iso));
}

/**
 * The rows of the message list: a day separator before each new local day, a "new messages"
 * divider before the first message of others after `unreadAfterSeq`, and messages grouped by
 * sender (system messages always stand alone).
 */
export function buildRows(
  items: readonly TimelineItem[],
  viewerId: string,
  options: { unreadAfterSeq?: number | null | undefined; now?: Date } = {},
): Row[] {
  const rows: Row[] = [];
  const now = options.now ?? new Date();
  let previous: TimelineItem | undefined;
  let previousDay: string | undefined;
  let unreadPlaced = options.unreadAfterSeq === null || options.unreadAfterSeq === undefined;

  for (const item of items) {
    const createdAt = itemCreatedAt(item);
    const day = localDayKey(createdAt);
    let breaksGroup = false;
    if (day !== previousDay) {
      rows.push({ kind: 'day', key: `day:${day}`, label: dayLabel(createdAt, now) });
      previousDay = day;
      breaksGroup = true;
    }
    const sender = itemSender(item);
    if (
      !unreadPlaced &&
      item.kind === 'stored' &&
      sender !== viewerId &&
      item.message.seq > (options.unreadAfterSeq ?? 0)
    ) {
      rows.push({ kind: 'unread', key: 'unread' });
      unreadPlaced = true;
      breaksGroup = true;
    }
    const sameGroup =
      !breaksGroup &&
      previous !== undefined &&
      !isSystem(item) &&
      !isSystem(previous) &&
      itemSender(previous) === sender &&
      Date.parse(createdAt) - Date.parse(itemCreatedAt(previous)) < GROUP_GAP_MS;

    const last = rows.at(-1);
    if (sameGroup && last?.kind === 'message') last.groupEnd = false;
    rows.push({
      kind: 'message',
      key: itemKey(item),
      item,
      own: sender === viewerId,
      groupStart: !sameGroup,
      groupEnd: true,
    });
    previous = item;
  }
  return rows;
}

/**
 * Virtuoso keeps the scroll position when older rows are prepended if `firstItemIndex` drops by
 * exactly the number of rows that appeared before the old first message. Returns the new value,
 * or `null` when the old first message is gone (a reset: remount the list).
 */
export function nextFirstItemIndex(
  previousRows: readonly Row[],
  rows: readonly Row[],
  previousFirstItemIndex: number,
): number | null {
  const anchorIndex = previousRows.findIndex((r) => r.kind === 'message');
  const anchor = previousRows[anchorIndex];
  if (!anchor) return previousFirstItemIndex;
  const newIndex = rows.findIndex((r) => r.key === anchor.key);
  if (newIndex < 0) return null;
  return previousFirstItemIndex - (newIndex - anchorIndex);
}
