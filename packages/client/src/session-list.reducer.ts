import type { TChatSessionSummary } from '@chat/contracts';
import type { Failure } from './errors.js';
import type { ServerEvent, ServerEventData } from './events.js';
import { onActivity, onOwnRead, toUnreadState, type UnreadState } from './receipts.js';

/** The user's sessions with live unread counts. */
export interface SessionListState {
  viewerId: string;
  /** Newest activity first; null until the first answer. */
  sessions: TChatSessionSummary[] | null;
  /** Per session: where unread counts stand (`unreadCount` reads them). */
  unread: ReadonlyMap<string, UnreadState>;
  error: Failure | null;
}

export type SessionListAction =
  | ServerEvent
  | { type: 'loaded'; sessions: readonly TChatSessionSummary[] }
  | { type: 'failed'; error: Failure }
  | { type: 'error_cleared' };

export function initialSessionListState(viewerId: string): SessionListState {
  return { viewerId, sessions: null, unread: new Map(), error: null };
}

/** Newest activity first (the last message, else when the session was made). */
export function sortByActivity<
  T extends Pick<TChatSessionSummary, 'last_message_at' | 'created_at'>,
>(sessions: readonly T[]): T[] {
  const at = (s: T) => Date.parse(s.last_message_at ?? s.created_at) || 0;
  return [...sessions].sort((a, b) => at(b) - at(a));
}

type Activity = Pick<
  ServerEventData<'chat_activity'>,
  'session_id' | 'seq' | 'sender_id' | 'created_at'
>;

/** A new message somewhere: its badge moves at once, the list reorders. */
function activity(state: SessionListState, event: Activity): SessionListState {
  let { unread } = state;
  const current = unread.get(event.session_id);
  if (current) {
    unread = new Map(unread).set(
      event.session_id,
      onActivity(current, event.seq, event.sender_id === state.viewerId),
    );
  }
  const sessions = state.sessions
    ? sortByActivity(
        state.sessions.map((s) =>
          s.id === event.session_id
            ? { ...s, last_message_at: event.created_at, last_seq: Math.max(s.last_seq, event.seq) }
            : s,
        ),
      )
    : state.sessions;
  return { ...state, unread, sessions };
}

/**
 * The session list as a pure function of answers and server events. `chat_activity` reaches
 * sockets outside a session; a socket that joined it (an open chat on the same connection) gets
 * `new_message` instead, which carries the same fields. A read by the viewer (any of their tabs)
 * clears that session's unread count.
 */
export function sessionListReducer(
  state: SessionListState,
  action: SessionListAction,
): SessionListState {
  switch (action.type) {
    case 'loaded':
      return {
        ...state,
        sessions: sortByActivity(action.sessions),
        unread: new Map(action.sessions.map((s) => [s.id, toUnreadState(s)])),
        error: null,
      };
    case 'failed':
      return { ...state, error: action.error };
    case 'error_cleared':
      return state.error === null ? state : { ...state, error: null };
    case 'chat_activity':
    case 'new_message':
      return activity(state, action.data);
    case 'messages_read': {
      const { user_id, session_id, last_read_seq } = action.data;
      const current = state.unread.get(session_id);
      if (user_id !== state.viewerId || !current) return state;
      return {
        ...state,
        unread: new Map(state.unread).set(session_id, onOwnRead(current, last_read_seq)),
      };
    }
    default:
      return state;
  }
}
