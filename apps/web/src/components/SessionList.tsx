import { type ChatClient, toUnreadState, unreadCount } from '@chat/client';
import type { TChatSessionSummary } from '@chat/contracts';
import { type FormEvent, useMemo, useState } from 'react';
import { useSessionList } from '../hooks/useSessionList';
import { formatListTime } from '../lib/format';
import { type LastMessage, sessionTitle } from '../state/sessions';
import { Avatar } from './Avatar';

/**
 * The development server's demo booking (README: Sarah and Samia, "Full Tarot Reading"). Offered
 * as a one-click start only when development sign-in is on; nothing else depends on it.
 */
export const DEMO_BOOKING_ID = '66666666-6666-4666-8666-666666666666';

function preview(message: LastMessage | null, viewerId: string): string {
  if (!message) return 'No messages yet';
  const who = message.sender_id === viewerId ? 'You: ' : '';
  switch (message.type) {
    case 'voice':
      return `${who}Voice message`;
    case 'image':
      return `${who}Photo`;
    case 'file':
      return `${who}${message.content || 'File'}`;
    case 'system':
      return message.content ?? 'Notice';
    default:
      return `${who}${message.content ?? ''}`;
  }
}

export function SessionList(props: {
  client: ChatClient;
  viewerId: string;
  selectedId: string | null;
  onSelect: (id: string) => void;
  /** Development sign-in is on (and the user may start chats): offer the demo booking. */
  devMode: boolean;
}) {
  const { client, viewerId, selectedId, onSelect, devMode } = props;
  const { list, sessions, unread, error } = useSessionList(client);
  const [creating, setCreating] = useState(false);
  const [bookingId, setBookingId] = useState('');

  const open = async (booking: string) => {
    setCreating(true);
    const session = await list.create({ booking_id: booking });
    if (session) {
      onSelect(session.id);
      setBookingId('');
    }
    setCreating(false);
  };

  const hasDemo = useMemo(
    () => sessions?.some((s) => s.booking_id === DEMO_BOOKING_ID) ?? false,
    [sessions],
  );

  return (
    <nav className="session-list" aria-label="Chats">
      <h2 className="pane-title">Chats</h2>
      {error && (
        <p className="alert" role="alert">
          {error.message}
        </p>
      )}
      {sessions === null && !error && <p className="muted pad">Loading chats…</p>}
      {sessions !== null && sessions.length === 0 && <p className="muted pad">No chats yet.</p>}
      <ul>
        {sessions?.map((session) => (
          <SessionItem
            key={session.id}
            session={session}
            viewerId={viewerId}
            selected={session.id === selectedId}
            unread={unreadCount(unread.get(session.id) ?? toUnreadState(session))}
            onSelect={onSelect}
          />
        ))}
      </ul>
      {devMode && !hasDemo && (
        <div className="pad">
          <button
            type="button"
            className="primary wide"
            disabled={creating}
            onClick={() => void open(DEMO_BOOKING_ID)}
          >
            Open the demo booking chat
          </button>
        </div>
      )}
      <NewChat
        bookingId={bookingId}
        onChange={setBookingId}
        creating={creating}
        onOpen={(id) => void open(id)}
      />
    </nav>
  );
}

function SessionItem(props: {
  session: TChatSessionSummary;
  viewerId: string;
  selected: boolean;
  unread: number;
  onSelect: (id: string) => void;
}) {
  const { session, viewerId, selected, onSelect } = props;
  const title = sessionTitle(session, viewerId);
  const count = selected ? 0 : props.unread;
  const time = session.last_message_at ?? session.created_at;
  return (
    <li>
      <a
        href={`#/chat/${session.id}`}
        className={`session-item${selected ? ' selected' : ''}`}
        aria-current={selected ? 'page' : undefined}
        data-testid="session-item"
        onClick={(e) => {
          e.preventDefault();
          onSelect(session.id);
        }}
      >
        <Avatar id={title.id} name={title.name} url={title.avatarUrl} />
        <span className="session-text">
          <span className="session-line">
            <strong className="session-name">{title.name}</strong>
            <time className="session-time muted" dateTime={time}>
              {formatListTime(time)}
            </time>
          </span>
          {title.service && <span className="session-service">{title.service}</span>}
          <span className="session-line">
            <span className="session-preview muted">{preview(session.last_message, viewerId)}</span>
            {session.status !== 'active' && <span className="tag">{session.status}</span>}
            {count > 0 && (
              <span className="badge" data-testid="unread-badge" data-count={count}>
                <span aria-hidden="true">{count}</span>
                <span className="visually-hidden">{count} unread</span>
              </span>
            )}
          </span>
        </span>
      </a>
    </li>
  );
}

/** "Chat about another booking": opens (or finds) the session of a booking by its id. */
function NewChat(props: {
  bookingId: string;
  onChange: (bookingId: string) => void;
  creating: boolean;
  onOpen: (bookingId: string) => void;
}) {
  const { bookingId } = props;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (bookingId.trim()) props.onOpen(bookingId.trim());
  };
  return (
    <details className="new-chat pad">
      <summary>Chat about another booking</summary>
      <form onSubmit={submit}>
        <label htmlFor="booking-id">Booking id</label>
        <input
          id="booking-id"
          value={bookingId}
          onChange={(e) => props.onChange(e.target.value)}
          placeholder="00000000-0000-4000-8000-000000000000"
          spellCheck={false}
          autoComplete="off"
        />
        <button
          type="submit"
          className="secondary"
          disabled={props.creating || bookingId.trim() === ''}
        >
          Open chat
        </button>
      </form>
    </details>
  );
}
