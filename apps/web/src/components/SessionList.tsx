import type { TChatSessionSummary } from '@chat/contracts';
import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { describeError } from '../api/errors';
import { createSession, listSessions } from '../api/http';
import type { ChatSocket } from '../api/socket';
import { formatListTime } from '../lib/format';
import {
  onActivity,
  onOwnRead,
  toUnreadState,
  type UnreadState,
  unreadCount,
} from '../state/receipts';
import { type LastMessage, sessionTitle, sortByActivity } from '../state/sessions';
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
  token: string;
  viewerId: string;
  socket: ChatSocket | null;
  selectedId: string | null;
  onSelect: (id: string) => void;
  /** Development sign-in is on (and the user may start chats): offer the demo booking. */
  devMode: boolean;
}) {
  const { token, viewerId, socket, selectedId, onSelect, devMode } = props;
  const [sessions, setSessions] = useState<TChatSessionSummary[] | null>(null);
  const [unread, setUnread] = useState<ReadonlyMap<string, UnreadState>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [bookingId, setBookingId] = useState('');
  const [creating, setCreating] = useState(false);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(async () => {
    try {
      const data = await listSessions(token, { status: 'all', limit: 100 });
      setSessions(sortByActivity(data.sessions));
      setUnread(new Map(data.sessions.map((s) => [s.id, toUnreadState(s)])));
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, [token]);

  useEffect(() => {
    void load();
  }, [load]);

  // Badges move at once; the previews and order follow with one debounced reload.
  const scheduleReload = useCallback(() => {
    clearTimeout(refetchTimer.current);
    refetchTimer.current = setTimeout(() => void load(), 400);
  }, [load]);
  useEffect(() => () => clearTimeout(refetchTimer.current), []);

  useEffect(() => {
    if (!socket) return;
    // `chat_activity` reaches sockets outside a session; a socket that joined it (the open chat
    // on this same connection) gets `new_message` instead, which carries the same fields.
    const onActivityEvent = (activity: {
      session_id: string;
      seq: number;
      sender_id: string | null;
      created_at: string;
    }) => {
      setUnread((map) => {
        const current = map.get(activity.session_id);
        if (!current) return map;
        const next = new Map(map);
        next.set(
          activity.session_id,
          onActivity(current, activity.seq, activity.sender_id === viewerId),
        );
        return next;
      });
      setSessions((list) =>
        list
          ? sortByActivity(
              list.map((s) =>
                s.id === activity.session_id
                  ? {
                      ...s,
                      last_message_at: activity.created_at,
                      last_seq: Math.max(s.last_seq, activity.seq),
                    }
                  : s,
              ),
            )
          : list,
      );
      scheduleReload();
    };
    const onRead: Parameters<typeof socket.on<'messages_read'>>[1] = (read) => {
      if (read.user_id !== viewerId) return;
      setUnread((map) => {
        const current = map.get(read.session_id);
        if (!current) return map;
        const next = new Map(map);
        next.set(read.session_id, onOwnRead(current, read.last_read_seq));
        return next;
      });
    };
    const onUpdated = () => scheduleReload();
    // After a reconnect the list may have missed activity: read it again.
    const onConnect = () => scheduleReload();
    socket.on('chat_activity', onActivityEvent);
    socket.on('new_message', onActivityEvent);
    socket.on('messages_read', onRead);
    socket.on('session_updated', onUpdated);
    socket.on('connect', onConnect);
    return () => {
      socket.off('chat_activity', onActivityEvent);
      socket.off('new_message', onActivityEvent);
      socket.off('messages_read', onRead);
      socket.off('session_updated', onUpdated);
      socket.off('connect', onConnect);
    };
  }, [socket, viewerId, scheduleReload]);

  const open = async (booking: string) => {
    setCreating(true);
    setError(null);
    try {
      const session = await createSession(token, { booking_id: booking });
      await load();
      onSelect(session.id);
      setBookingId('');
    } catch (e) {
      setError(describeError(e));
    } finally {
      setCreating(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (bookingId.trim()) void open(bookingId.trim());
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
          {error}
        </p>
      )}
      {sessions === null && !error && <p className="muted pad">Loading chats…</p>}
      {sessions !== null && sessions.length === 0 && <p className="muted pad">No chats yet.</p>}
      <ul>
        {sessions?.map((session) => {
          const title = sessionTitle(session, viewerId);
          const count =
            session.id === selectedId
              ? 0
              : unreadCount(unread.get(session.id) ?? toUnreadState(session));
          const time = session.last_message_at ?? session.created_at;
          return (
            <li key={session.id}>
              <a
                href={`#/chat/${session.id}`}
                className={`session-item${session.id === selectedId ? ' selected' : ''}`}
                aria-current={session.id === selectedId ? 'page' : undefined}
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
                    <span className="session-preview muted">
                      {preview(session.last_message, viewerId)}
                    </span>
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
        })}
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
      <details className="new-chat pad">
        <summary>Chat about another booking</summary>
        <form onSubmit={submit}>
          <label htmlFor="booking-id">Booking id</label>
          <input
            id="booking-id"
            value={bookingId}
            onChange={(e) => setBookingId(e.target.value)}
            placeholder="00000000-0000-4000-8000-000000000000"
            spellCheck={false}
            autoComplete="off"
          />
          <button
            type="submit"
            className="secondary"
            disabled={creating || bookingId.trim() === ''}
          >
            Open chat
          </button>
        </form>
      </details>
    </nav>
  );
}
