import {
  forwardRef,
  type HTMLAttributes,
  type ReactNode,
  useImperativeHandle,
  useRef,
} from 'react';
import { Virtuoso, type VirtuosoHandle } from 'react-virtuoso';
import { nextFirstItemIndex, type Row } from '../state/grouping';

/** Virtuoso's index of the first row; it only ever goes down as older pages arrive. */
const START_INDEX = 1_000_000;

export interface MessageListHandle {
  scrollToBottom(): void;
}

interface Props {
  rows: Row[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  onAtBottomChange: (atBottom: boolean) => void;
  renderRow: (row: Row) => ReactNode;
}

/** The scroll container: focusable, so the keyboard scrolls the history (arrows, Page Up). */
const Scroller = forwardRef<HTMLElement, HTMLAttributes<HTMLElement>>(
  function Scroller(props, ref) {
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard.
    return <section {...props} ref={ref} tabIndex={0} aria-label="Message history" />;
  },
);

interface ListContext {
  hasOlder: boolean;
  loadingOlder: boolean;
}

function HistoryEdge({ context }: { context?: ListContext | undefined }) {
  const text = context?.loadingOlder
    ? 'Loading earlier messages…'
    : context?.hasOlder
      ? ''
      : 'This is the beginning of the chat.';
  return <div className="history-edge">{text}</div>;
}

/**
 * The history, virtualized by react-virtuoso: only the rows on screen are in the DOM, rows are
 * measured as they render (bubbles vary in height), older pages are prepended without the view
 * jumping (`firstItemIndex`), and the view follows new messages while it is at the bottom.
 * Remount it (a new `key`) when history is replaced rather than extended.
 */
export const MessageList = forwardRef<MessageListHandle, Props>(function MessageList(props, ref) {
  const { rows, hasOlder, loadingOlder, onLoadOlder, onAtBottomChange, renderRow } = props;
  const virtuoso = useRef<VirtuosoHandle>(null);
  const anchor = useRef<{ rows: Row[]; first: number }>({ rows: [], first: START_INDEX });

  if (anchor.current.rows !== rows) {
    const first =
      nextFirstItemIndex(anchor.current.rows, rows, anchor.current.first) ?? START_INDEX;
    anchor.current = { rows, first };
  }

  useImperativeHandle(ref, () => ({
    scrollToBottom() {
      virtuoso.current?.scrollToIndex({ index: 'LAST', align: 'end', behavior: 'auto' });
    },
  }));

  return (
    <Virtuoso<Row, ListContext>
      ref={virtuoso}
      context={{ hasOlder, loadingOlder }}
      className="message-list"
      data={rows}
      firstItemIndex={anchor.current.first}
      initialTopMostItemIndex={{ index: 'LAST', align: 'end' }}
      computeItemKey={(_, row) => row.key}
      itemContent={(_, row) => renderRow(row)}
      startReached={() => {
        if (hasOlder && !loadingOlder) onLoadOlder();
      }}
      followOutput={(atBottom) => (atBottom ? 'auto' : false)}
      atBottomStateChange={onAtBottomChange}
      atBottomThreshold={120}
      alignToBottom
      increaseViewportBy={{ top: 600, bottom: 300 }}
      defaultItemHeight={68}
      components={{ Scroller, Header: HistoryEdge }}
    />
  );
});
