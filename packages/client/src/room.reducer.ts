import type {
  TChatMessage,
  TChatSessionDetail,
  TListMessagesResponse,
  TReactionSummary,
  TSessionStatus,
} from '@chat/contracts';
import type { Failure } from './errors.js';
import type { ServerEvent } from './events.js';
import { applyRead, cursorsFromMessages, type ReadCursors } from './receipts.js';
import {
  addPending,
  emptyTimeline,
  markDeleted,
  markSynced,
  mergeStored,
  type PendingItem,
  removePending,
  resetStored,
  type Timeline,
  updatePending,
  updateStored,
} from './timeline.js';

/** The last arrival or departure of another participant. */
export interface Presence {
  userId: string;
  name: string;
  state: 'joined' | 'left';
  /** Milliseconds since the epoch. */
  at: number;
}

/** One open chat as this client knows it. */
export interface RoomState {
  sessionId: string;
  /** The signed-in user: their own messages, typing and reads are told apart by this. */
  viewerId: string;
  detail: TChatSessionDetail | null;
  loadError: Failure | null;
  timeline: Timeline;
  /** Every participant's read cursor as far as this client knows (ticks). */
  cursors: ReadCursors;
  /** How far the viewer's own read cursor has been moved (or asked to move) from here. */
  ownReadSeq: number;
  hasOlder: boolean;
  loadingOlder: boolean;
  /** Bumped when history was replaced rather than extended (a list view remounts). */
  generation: number;
  /** Who is typing: user id to name. */
  typing: ReadonlyMap<string, string>;
  presence: Presence | null;
  status: TSessionStatus | null;
  /** Own read cursor when the chat was opened: where a "new messages" divider goes. */
  unreadAfterSeq: number | null;
}

/** Local happenings: history loaded, the outbox moving, timers firing. */
export type RoomLocalAction =
  | { type: 'opened'; detail: TChatSessionDetail; page: TListMessagesResponse }
  | { type: 'open_failed'; error: Failure }
  /** A catch-up was too long to replay: the newest page replaces the history. */
  | { type: 'resynced'; page: TListMessagesResponse }
  | { type: 'older_requested' }
  | { type: 'older_loaded'; page: TListMessagesResponse }
  | { type: 'older_failed' }
  /** Stored messages fetched again (fresh file links). */
  | { type: 'messages_fetched'; messages: readonly TChatMessage[] }
  | { type: 'pending_added'; item: PendingItem }
  /** A try (the first or a retry) starts: failed becomes sending, an upload starts from 0. */
  | { type: 'pending_sending'; id: string }
  | { type: 'upload_progress'; id: string; progress: number }
  | { type: 'pending_sent'; id: string; message: TChatMessage }
  | { type: 'pending_failed'; id: string; error: Failure }
  | { type: 'pending_discarded'; id: string }
  | { type: 'reactions_saved'; messageId: string; reactions: TReactionSummary }
  | { type: 'typing_expired'; userId: string }
  | { type: 'read_requested'; seq: number }
  | { type: 'read_failed'; seq: number };

export type RoomAction = ServerEvent | RoomLocalAction;

/** A chat before anything is loaded. */
export function initialRoomState(sessionId: string, viewerId: string): RoomState {
  return {
    sessionId,
    viewerId,
    detail: null,
    loadError: null,
    timeline: emptyTimeline,
    cursors: new Map(),
    ownReadSeq: 0,
    hasOlder: false,
    loadingOlder: false,
    generation: 0,
    typing: new Map(),
    presence: null,
    status: null,
    unreadAfterSeq: null,
  };
}

/** Stored messages in: the timeline, and what they say about read cursors. */
function takeMessages(
  state: RoomState,
  messages: readonly TChatMessage[],
  mode: 'merge' | 'reset' = 'merge',
): RoomState {
  return {
    ...state,
    timeline:
      mode === 'reset'
        ? resetStored(state.timeline, messages)
        : mergeStored(state.timeline, messages),
    cursors: cursorsFromMessages(
      state.cursors,
      messages,
      state.viewerId,
      state.detail?.participants ?? [],
    ),
    generation: mode === 'reset' ? state.generation + 1 : state.generation,
  };
}

function withoutTyping(state: RoomState, userId: string): RoomState {
  if (!state.typing.has(userId)) return state;
  const typing = new Map(state.typing);
  typing.delete(userId);
  return { ...state, typing };
}

function withPending(state: RoomState, timeline: Timeline): RoomState {
  return timeline === state.timeline ? state : { ...state, timeline };
}

function opened(state: RoomState, detail: TChatSessionDetail, page: TListMessagesResponse) {
  return {
    ...state,
    detail,
    status: detail.status,
    ownReadSeq: Math.max(state.ownReadSeq, detail.last_read_seq ?? 0),
    unreadAfterSeq: detail.last_read_seq,
    hasOlder: page.has_more,
    // The newest page is complete: everything through its newest message is known.
    timeline: markSynced(
      mergeStored(state.timeline, page.messages),
      page.messages.at(-1)?.seq ?? 0,
    ),
    cursors: cursorsFromMessages(state.cursors, page.messages, state.viewerId, detail.participants),
  };
}

/** `new_message`: stops the sender's typing; an upload of this client's own drops its placeholder. */
function newMessage(state: RoomState, message: TChatMessage): RoomState {
  let next = message.sender_id ? withoutTyping(state, message.sender_id) : state;
  // An upload arrives live before its HTTP answer: the placeholder goes (its id is the
  // message's too, so this only matters to a server that did not keep the client's id).
  if (message.sender_id === state.viewerId && message.file_name) {
    const placeholder = next.timeline.pending.find(
      (p) => p.upload?.fileName === message.file_name && p.status === 'sending',
    );
    if (placeholder) next = withPending(next, removePending(next.timeline, placeholder.id));
  }
  return takeMessages(next, [message]);
}

/** The server's events for this room; events of other sessions leave the state as it is. */
function serverEvent(state: RoomState, event: ServerEvent): RoomState {
  const { viewerId } = state;
  switch (event.type) {
    case 'new_message':
      return newMessage(state, event.data);
    case 'chat_joined': {
      // Past the bound the client pages over REST and answers with `resynced`.
      if (event.data.resync_required) return state;
      const next = takeMessages(state, event.data.messages);
      // Everything through the session's last seq at the join is now here (or arrives live).
      return { ...next, timeline: markSynced(next.timeline, event.data.last_seq) };
    }
    case 'message_reaction_update':
      return withPending(
        state,
        updateStored(state.timeline, event.data.message_id, (item) => ({
          ...item,
          reactions: event.data.reactions,
        })),
      );
    case 'messages_read': {
      const { user_id, last_read_seq } = event.data;
      const cursors = applyRead(state.cursors, user_id, last_read_seq);
      const ownReadSeq =
        user_id === viewerId ? Math.max(state.ownReadSeq, last_read_seq) : state.ownReadSeq;
      if (cursors === state.cursors && ownReadSeq === state.ownReadSeq) return state;
      return { ...state, cursors, ownReadSeq };
    }
    case 'user_typing': {
      const { user_id, user_name, is_typing } = event.data;
      if (user_id === viewerId) return state;
      if (!is_typing) return withoutTyping(state, user_id);
      if (state.typing.get(user_id) === user_name) return state;
      return { ...state, typing: new Map(state.typing).set(user_id, user_name) };
    }
    case 'user_joined':
    case 'user_left': {
      const { user_id, user_name } = event.data;
      if (user_id === viewerId) return state;
      const joined = event.type === 'user_joined';
      const next = joined ? state : withoutTyping(state, user_id);
      const presence: Presence = {
        userId: user_id,
        name: user_name,
        state: joined ? 'joined' : 'left',
        at: event.at,
      };
      return { ...next, presence };
    }
    case 'message_deleted':
      return withPending(
        state,
        markDeleted(state.timeline, event.data.message_id, new Date(event.at).toISOString()),
      );
    case 'session_updated':
      return state.status === event.data.status ? state : { ...state, status: event.data.status };
    default:
      // `message_sent` (the stored message follows as `new_message`), `chat_activity` (for
      // sessions not joined), `authenticated`, `auth_error`, `error`: nothing for a room.
      return state;
  }
}

/** The outbox: messages on their way, by their client-made ids. */
function outbox(state: RoomState, action: RoomLocalAction): RoomState {
  const { timeline } = state;
  switch (action.type) {
    case 'pending_added':
      return withPending(state, addPending(timeline, action.item));
    case 'pending_sending': {
      const item = timeline.pending.find((p) => p.id === action.id);
      return withPending(
        state,
        updatePending(timeline, action.id, {
          status: 'sending',
          error: undefined,
          ...(item?.upload && { upload: { ...item.upload, progress: 0 } }),
        }),
      );
    }
    case 'upload_progress': {
      const upload = timeline.pending.find((p) => p.id === action.id)?.upload;
      if (!upload) return state;
      return withPending(
        state,
        updatePending(timeline, action.id, { upload: { ...upload, progress: action.progress } }),
      );
    }
    case 'pending_sent':
      return takeMessages(withPending(state, removePending(timeline, action.id)), [action.message]);
    case 'pending_failed': {
      const item = timeline.pending.find((p) => p.id === action.id);
      const next = withPending(
        state,
        updatePending(timeline, action.id, { status: 'failed', error: action.error }),
      );
      // A text refused because the chat closed closes the chat here too.
      if (
        item &&
        !item.upload &&
        action.error.code === 'SESSION_INACTIVE' &&
        next.status === 'active'
      )
        return { ...next, status: 'closed' };
      return next;
    }
    case 'pending_discarded':
      return withPending(state, removePending(timeline, action.id));
    default:
      return state;
  }
}

/**
 * The whole client logic of one chat as a pure function: server events, history pages, the
 * outbox and read cursors in, the next state out. Deduplicates by message id (and seq), keeps
 * messages in seq order, and tracks how far history is complete (`timeline.syncedSeq`, what
 * `join_chat` continues after).
 */
export function roomReducer(state: RoomState, action: RoomAction): RoomState {
  switch (action.type) {
    case 'opened':
      return opened(state, action.detail, action.page);
    case 'open_failed':
      return { ...state, loadError: action.error };
    case 'resynced':
      return {
        ...takeMessages(state, action.page.messages, 'reset'),
        hasOlder: action.page.has_more,
      };
    case 'older_requested':
      return { ...state, loadingOlder: true };
    case 'older_loaded':
      return {
        ...takeMessages(state, action.page.messages),
        hasOlder: action.page.has_more,
        loadingOlder: false,
      };
    case 'older_failed':
      return { ...state, loadingOlder: false };
    case 'messages_fetched':
      return takeMessages(state, action.messages);
    case 'reactions_saved':
      return withPending(
        state,
        updateStored(state.timeline, action.messageId, (item) => ({
          ...item,
          reactions: action.reactions,
        })),
      );
    case 'typing_expired':
      return withoutTyping(state, action.userId);
    case 'read_requested':
      return { ...state, ownReadSeq: action.seq };
    case 'read_failed':
      return { ...state, ownReadSeq: Math.min(state.ownReadSeq, action.seq - 1) };
    case 'pending_added':
    case 'pending_sending':
    case 'upload_progress':
    case 'pending_sent':
    case 'pending_failed':
    case 'pending_discarded':
      return outbox(state, action);
    default:
      if ('data' in action && 'session_id' in action.data) {
        if (action.data.session_id !== state.sessionId) return state;
        return serverEvent(state, action);
      }
      return state;
  }
}
