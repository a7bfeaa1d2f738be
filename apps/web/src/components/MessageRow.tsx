import {
  isRetryableCode,
  type PendingItem,
  type StoredItem,
  type Tick,
  type TimelineItem,
} from '@chat/client';
import { memo } from 'react';
import { isImageType } from '../lib/files';
import { formatBytes, formatDuration, formatTime } from '../lib/format';
import type { Row } from '../state/grouping';
import { Avatar } from './Avatar';
import { ClockIcon } from './Icons';
import { ImageMessage } from './ImageMessage';
import { ReactionChips, ReactionPicker } from './Reactions';
import { VoicePlayer } from './VoicePlayer';

export interface RowActions {
  viewerId: string;
  nameOf: (userId: string | null) => string;
  avatarOf: (userId: string | null) => string | null;
  tickOf: (row: Extract<Row, { kind: 'message' }>) => Tick | null;
  canReact: boolean;
  onToggleReaction: (messageId: string, reaction: string) => void;
  onRetry: (id: string) => void;
  onDiscard: (id: string) => void;
  onBrokenLink: (seq: number) => void;
}

const TICK_TEXT: Record<Tick, { symbol: React.ReactNode; label: string }> = {
  sending: { symbol: <ClockIcon />, label: 'Sending' },
  failed: { symbol: '!', label: 'Not sent' },
  sent: { symbol: '✓', label: 'Sent' },
  read: { symbol: '✓✓', label: 'Read' },
};

function TickMark({ tick }: { tick: Tick }) {
  const { symbol, label } = TICK_TEXT[tick];
  return (
    <span className={`tick tick-${tick}`} title={label} data-testid="tick" data-tick={tick}>
      <span aria-hidden="true">{symbol}</span>
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

function StoredContent({ item, actions }: { item: StoredItem; actions: RowActions }) {
  const m = item.message;
  if (m.deleted_at) return <p className="deleted">This message was deleted.</p>;
  const broken = () => actions.onBrokenLink(m.seq);
  if (m.type === 'voice' && m.file_url) {
    const duration = typeof m.metadata.duration === 'number' ? m.metadata.duration : 0;
    return (
      <VoicePlayer src={m.file_url} duration={duration} label="voice note" onBroken={broken} />
    );
  }
  if (m.type === 'image' && m.file_url) {
    const thumb =
      typeof m.metadata.thumbnail_url === 'string' ? m.metadata.thumbnail_url : m.file_url;
    const size = m.metadata.thumbnail as { width?: unknown; height?: unknown } | undefined;
    return (
      <>
        <ImageMessage
          thumbnailUrl={thumb}
          fullUrl={m.file_url}
          name={m.file_name ?? 'image'}
          width={typeof size?.width === 'number' ? size.width : undefined}
          height={typeof size?.height === 'number' ? size.height : undefined}
          onBroken={broken}
        />
        {m.content && <p className="text">{m.content}</p>}
      </>
    );
  }
  if ((m.type === 'file' || m.type === 'image') && m.file_url) {
    return (
      <>
        <a
          className="file-card"
          href={m.file_url}
          download={m.file_name ?? true}
          target="_blank"
          rel="noreferrer"
        >
          <span className="file-icon" aria-hidden="true">
            PDF
          </span>
          <span className="file-text">
            <strong>{m.file_name ?? 'File'}</strong>
            <span className="muted small">
              {m.file_size !== null ? `${formatBytes(m.file_size)} · ` : ''}Download
            </span>
          </span>
        </a>
        {m.content && <p className="text">{m.content}</p>}
      </>
    );
  }
  return <p className="text">{m.content}</p>;
}

function PendingContent({ item, actions }: { item: PendingItem; actions: RowActions }) {
  const failed = item.status === 'failed';
  return (
    <>
      {item.upload ? (
        <div className="upload">
          <span className="file-text">
            <strong>{item.type === 'voice' ? 'Voice note' : item.upload.fileName}</strong>
            <span className="muted small">{formatBytes(item.upload.size)}</span>
          </span>
          {!failed && (
            <progress
              max={1}
              value={item.upload.progress}
              aria-label={`Uploading ${item.upload.fileName}`}
              data-testid="upload-progress"
            />
          )}
        </div>
      ) : (
        <p className="text">{item.content}</p>
      )}
      {failed && (
        <div className="send-error" role="alert">
          <span>{item.error?.message ?? 'Not sent.'}</span>
          <span className="send-error-actions">
            {(!item.error || isRetryableCode(item.error.code)) && (
              <button
                type="button"
                className="link-button"
                onClick={() => actions.onRetry(item.id)}
              >
                Retry
              </button>
            )}
            <button
              type="button"
              className="link-button"
              onClick={() => actions.onDiscard(item.id)}
            >
              Discard
            </button>
          </span>
        </div>
      )}
    </>
  );
}

/** One row of the history: a day separator, the unread divider, or a message bubble. */
export const MessageRow = memo(function MessageRow({
  row,
  actions,
}: {
  row: Row;
  actions: RowActions;
}) {
  if (row.kind === 'day') {
    return (
      <h3 className="day-separator">
        <span>{row.label}</span>
      </h3>
    );
  }
  if (row.kind === 'unread') {
    return (
      <p className="unread-divider">
        <span>New messages</span>
      </p>
    );
  }
  const { item } = row;
  if (
    item.kind === 'stored' &&
    (item.message.type === 'system' || item.message.sender_id === null)
  ) {
    return (
      <div className="system-message" data-testid="system-message">
        <span>{item.message.content}</span>
        <time dateTime={item.message.created_at}>{formatTime(item.message.created_at)}</time>
      </div>
    );
  }
  return <MessageItem row={row} actions={actions} />;
});

type MessageRowData = Extract<Row, { kind: 'message' }>;

/** Time, the voice note's length for screen readers, and the tick of an own message. */
function MessageMeta(props: { item: TimelineItem; createdAt: string; tick: Tick | null }) {
  const { item, createdAt, tick } = props;
  return (
    <span className="meta">
      {item.kind === 'stored' &&
        item.message.type === 'voice' &&
        typeof item.message.metadata.duration === 'number' && (
          <span className="visually-hidden">{formatDuration(item.message.metadata.duration)}</span>
        )}
      <time dateTime={createdAt}>{formatTime(createdAt)}</time>
      {tick && <TickMark tick={tick} />}
    </span>
  );
}

/** A message bubble with its sender's avatar, reactions and the reaction picker. */
function MessageItem({ row, actions }: { row: MessageRowData; actions: RowActions }) {
  const { item, own, groupStart, groupEnd } = row;
  const senderId = item.kind === 'stored' ? item.message.sender_id : item.senderId;
  const name = own ? 'You' : actions.nameOf(senderId);
  const createdAt = item.kind === 'stored' ? item.message.created_at : item.createdAt;
  const tick = actions.tickOf(row);
  const type = item.kind === 'stored' ? item.message.type : item.type;
  const isMedia =
    type === 'image' || (item.kind === 'stored' && isImageType(item.message.mime_type));

  return (
    <div
      className={`message-row${own ? ' own' : ''}${groupStart ? ' group-start' : ''}${groupEnd ? ' group-end' : ''}`}
      data-testid="message"
      data-message-id={item.kind === 'stored' ? item.message.id : item.id}
      data-seq={item.kind === 'stored' ? item.message.seq : undefined}
      data-type={type}
    >
      {!own && (
        <span className="avatar-slot">
          {groupStart && senderId && (
            <Avatar
              id={senderId}
              name={actions.nameOf(senderId)}
              url={actions.avatarOf(senderId)}
              size="sm"
            />
          )}
        </span>
      )}
      <div className="bubble-column">
        <article
          className={`bubble${isMedia ? ' media' : ''}${item.kind === 'pending' && item.status === 'failed' ? ' failed' : ''}`}
          aria-label={`${name}, ${formatTime(createdAt)}`}
        >
          {groupStart && !own && <span className="sender-name">{name}</span>}
          {item.kind === 'stored' ? (
            <StoredContent item={item} actions={actions} />
          ) : (
            <PendingContent item={item} actions={actions} />
          )}
          <MessageMeta item={item} createdAt={createdAt} tick={tick} />
        </article>
        {item.kind === 'stored' && (
          <ReactionChips
            reactions={item.reactions}
            viewerId={actions.viewerId}
            nameOf={(id) => actions.nameOf(id)}
            onToggle={(reaction) => actions.onToggleReaction(item.message.id, reaction)}
          />
        )}
      </div>
      {item.kind === 'stored' && !item.message.deleted_at && actions.canReact && (
        <div className="message-tools">
          <ReactionPicker
            onPick={(reaction) => actions.onToggleReaction(item.message.id, reaction)}
          />
        </div>
      )}
    </div>
  );
}
