import type {
  ServerToClientEvents,
  TChatMessage,
  TChatSessionDetail,
  TSessionStatus,
} from '@chat/contracts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, describeError, isApiError } from '../api/errors';
import {
  addReaction,
  getSession,
  listMessages,
  markRead,
  removeReaction,
  sendMessage,
  uploadFile,
} from '../api/http';
import { ACK_TIMEOUT_MS, type ChatSocket } from '../api/socket';
import { uuid } from '../lib/uuid';
import { applyRead, cursorsFromMessages, type ReadCursors } from '../state/receipts';
import {
  addPending,
  emptyTimeline,
  markDeleted,
  markSynced,
  mergeStored,
  oldestStored,
  type PendingItem,
  removePending,
  resetStored,
  type Timeline,
  updatePending,
  updateStored,
} from '../state/timeline';

/** Messages per REST page (the server's maximum is 100). */
export const PAGE_SIZE = 50;
/** A typing indicator disappears by itself after this long without news (the server says 6 s). */
const TYPING_EXPIRY_MS = 8_000;

export interface Presence {
  userId: string;
  name: string;
  state: 'joined' | 'left';
  at: number;
}

export interface ChatSessionState {
  detail: TChatSessionDetail | null;
  loadError: string | null;
  timeline: Timeline;
  cursors: ReadCursors;
  hasOlder: boolean;
  loadingOlder: boolean;
  /** Bumped when history was replaced (the list remounts instead of keeping its scroll anchor). */
  generation: number;
  typing: ReadonlyMap<string, string>;
  presence: Presence | null;
  status: TSessionStatus | null;
  /** Own read cursor when the chat was opened: where the "new messages" divider goes. */
  unreadAfterSeq: number | null;
  /** Problems to show above the composer (rate limits, refused files, closed session). */
  alerts: Alert[];
}

export interface Alert {
  id: string;
  text: string;
}

interface UploadSource {
  kind: 'voice' | 'file';
  blob: Blob;
  fileName: string;
  duration?: number | undefined;
}

type Handlers = { [E in keyof ServerToClientEvents]?: ServerToClientEvents[E] };

/** A chat before anything is loaded. */
export const initialState: ChatSessionState = {
  detail: null,
  loadError: null,
  timeline: emptyTimeline,
  cursors: new Map(),
  hasOlder: false,
  loadingOlder: false,
  generation: 0,
  typing: new Map(),
  presence: null,
  status: null,
  unreadAfterSeq: null,
  alerts: [],
};

/**
 * Everything one open chat needs: history over REST (newest page, then older pages by
 * `before_message_id`), the live feed over the socket (rejoined with `since_seq` after every
 * reconnect, so nothing missed is lost or doubled), sending with client-made ids, uploads,
 * reactions and read receipts.
 */
export function useChatSession(options: {
  sessionId: string;
  token: string;
  viewerId: string;
  socket: ChatSocket | null;
  /** Whether the person can see the newest message (list at the bottom, tab visible). */
  seesNewest: boolean;
  onIncoming?: (message: TChatMessage) => void;
}) {
  const { sessionId, token, viewerId, socket, seesNewest } = options;
  const [state, setState] = useState<ChatSessionState>(initialState);
  const stateRef = useRef(state);
  stateRef.current = state;
  const onIncomingRef = useRef(options.onIncoming);
  onIncomingRef.current = options.onIncoming;
  const uploads = useRef(new Map<string, UploadSource>());
  const loaded = useRef(false);
  const ownReadSeq = useRef(0);
  const typingTimers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const socketRef = useRef(socket);
  socketRef.current = socket;

  const update = useCallback((change: (s: ChatSessionState) => ChatSessionState) => {
    setState((s) => {
      const next = change(s);
      stateRef.current = next;
      return next;
    });
  }, []);

  const addAlert = useCallback(
    (text: string) =>
      update((s) => ({ ...s, alerts: [...s.alerts.slice(-2), { id: uuid(), text }] })),
    [update],
  );
  const dismissAlert = useCallback(
    (id: string) => update((s) => ({ ...s, alerts: s.alerts.filter((a) => a.id !== id) })),
    [update],
  );

  const participantIds = useMemo(() => state.detail?.participants ?? [], [state.detail]);
  const participantsRef = useRef(participantIds);
  participantsRef.current = participantIds;

  /** Stored messages in: timeline and what they say about read cursors. */
  const takeMessages = useCallback(
    (messages: readonly TChatMessage[], mode: 'merge' | 'reset' = 'merge') =>
      update((s) => ({
        ...s,
        timeline:
          mode === 'reset' ? resetStored(s.timeline, messages) : mergeStored(s.timeline, messages),
        cursors: cursorsFromMessages(s.cursors, messages, viewerId, participantsRef.current),
        generation: mode === 'reset' ? s.generation + 1 : s.generation,
      })),
    [update, viewerId],
  );

  // The socket's join: after the first page is loaded and after every reconnect.
  const join = useCallback(() => {
    const socket = socketRef.current;
    if (!socket?.connected || !loaded.current) return;
    const sinceSeq = stateRef.current.timeline.syncedSeq;
    // No answer (the connection dropped): the next `connect` joins again.
    socket.emit('join_chat', { session_id: sessionId, since_seq: sinceSeq }, (ack) => {
      if (!ack.ok) {
        addAlert(describeError(new ApiError(ack.error.code, ack.error.message)));
        return;
      }
      if (ack.data.resync_required) {
        // More was missed than a join replays: start again from the newest page.
        listMessages(token, { session_id: sessionId, limit: PAGE_SIZE }).then(
          (page) => {
            takeMessages(page.messages, 'reset');
            update((s) => ({ ...s, hasOlder: page.has_more }));
          },
          (error: unknown) => addAlert(describeError(error)),
        );
      } else {
        takeMessages(ack.data.messages);
        // Everything through the session's last seq at the join is now here (or arrives live).
        update((s) => ({ ...s, timeline: markSynced(s.timeline, ack.data.last_seq) }));
      }
    });
  }, [sessionId, token, takeMessages, update, addAlert]);

  const attempt = useCallback(
    (item: PendingItem) =>
      attemptPending(item, {
        token,
        sessionId,
        uploads: uploads.current,
        update,
        takeMessages,
        addAlert,
      }),
    [token, sessionId, takeMessages, update, addAlert],
  );

  /** Sends again what failed because the network was down (same ids: nothing doubles). */
  const retryNetworkFailures = useCallback(() => {
    for (const item of stateRef.current.timeline.pending) {
      if (item.status === 'failed' && item.error?.code === 'NETWORK_ERROR') void attempt(item);
    }
  }, [attempt]);

  // Load the session and its newest page; join the live feed; listen.
  useEffect(() => {
    const abort = new AbortController();
    loaded.current = false;
    ownReadSeq.current = 0;
    uploads.current.clear();
    setState(initialState);
    stateRef.current = initialState;

    Promise.all([
      getSession(token, sessionId, abort.signal),
      listMessages(token, { session_id: sessionId, limit: PAGE_SIZE }, abort.signal),
    ]).then(
      ([detail, page]) => {
        if (abort.signal.aborted) return;
        ownReadSeq.current = detail.last_read_seq ?? 0;
        participantsRef.current = detail.participants;
        update((s) => ({
          ...s,
          detail,
          status: detail.status,
          unreadAfterSeq: detail.last_read_seq,
          hasOlder: page.has_more,
          // The newest page is complete: everything through its newest message is known.
          timeline: markSynced(
            mergeStored(s.timeline, page.messages),
            page.messages.at(-1)?.seq ?? 0,
          ),
          cursors: cursorsFromMessages(s.cursors, page.messages, viewerId, detail.participants),
        }));
        loaded.current = true;
        join();
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        update((s) => ({ ...s, loadError: describeError(error) }));
      },
    );
    return () => abort.abort();
  }, [sessionId, token, viewerId, update, join]);

  useEffect(() => {
    if (!socket) return;
    const forThisSession = (id: string) => id === sessionId;
    const stopTyping = (userId: string) => {
      clearTimeout(typingTimers.current.get(userId));
      typingTimers.current.delete(userId);
      update((s) => {
        if (!s.typing.has(userId)) return s;
        const typing = new Map(s.typing);
        typing.delete(userId);
        return { ...s, typing };
      });
    };

    const handlers: Handlers = {
      new_message: (message) => {
        if (!forThisSession(message.session_id)) return;
        if (message.sender_id) stopTyping(message.sender_id);
        const known = stateRef.current.timeline.stored.some((s) => s.message.id === message.id);
        // An upload of this tab arrives live before its HTTP answer: drop the placeholder.
        if (message.sender_id === viewerId && message.file_name) {
          const placeholder = stateRef.current.timeline.pending.find(
            (p) => p.upload?.fileName === message.file_name && p.status === 'sending',
          );
          if (placeholder) {
            uploads.current.delete(placeholder.id);
            update((s) => ({ ...s, timeline: removePending(s.timeline, placeholder.id) }));
          }
        }
        takeMessages([message]);
        if (!known && message.sender_id !== viewerId) onIncomingRef.current?.(message);
      },
      message_reaction_update: (change) => {
        if (!forThisSession(change.session_id)) return;
        update((s) => ({
          ...s,
          timeline: updateStored(s.timeline, change.message_id, (item) => ({
            ...item,
            reactions: change.reactions,
          })),
        }));
      },
      messages_read: (read) => {
        if (!forThisSession(read.session_id)) return;
        if (read.user_id === viewerId)
          ownReadSeq.current = Math.max(ownReadSeq.current, read.last_read_seq);
        update((s) => ({ ...s, cursors: applyRead(s.cursors, read.user_id, read.last_read_seq) }));
      },
      user_typing: (typing) => {
        if (!forThisSession(typing.session_id) || typing.user_id === viewerId) return;
        if (!typing.is_typing) {
          stopTyping(typing.user_id);
          return;
        }
        clearTimeout(typingTimers.current.get(typing.user_id));
        typingTimers.current.set(
          typing.user_id,
          setTimeout(() => stopTyping(typing.user_id), TYPING_EXPIRY_MS),
        );
        update((s) => {
          const next = new Map(s.typing);
          next.set(typing.user_id, typing.user_name);
          return { ...s, typing: next };
        });
      },
      user_joined: (p) => {
        if (!forThisSession(p.session_id) || p.user_id === viewerId) return;
        update((s) => ({
          ...s,
          presence: { userId: p.user_id, name: p.user_name, state: 'joined', at: Date.now() },
        }));
      },
      user_left: (p) => {
        if (!forThisSession(p.session_id) || p.user_id === viewerId) return;
        stopTyping(p.user_id);
        update((s) => ({
          ...s,
          presence: { userId: p.user_id, name: p.user_name, state: 'left', at: Date.now() },
        }));
      },
      message_deleted: (deleted) => {
        if (!forThisSession(deleted.session_id)) return;
        update((s) => ({
          ...s,
          timeline: markDeleted(s.timeline, deleted.message_id, new Date().toISOString()),
        }));
      },
      session_updated: (change) => {
        if (!forThisSession(change.session_id)) return;
        update((s) => ({ ...s, status: change.status }));
      },
    };
    const onConnect = () => {
      join();
      retryNetworkFailures();
    };
    socket.on('connect', onConnect);
    for (const [event, handler] of Object.entries(handlers)) {
      if (handler)
        socket.on(event as 'new_message', handler as ServerToClientEvents['new_message']);
    }
    const timers = typingTimers.current;
    return () => {
      socket.off('connect', onConnect);
      for (const [event, handler] of Object.entries(handlers)) {
        if (handler)
          socket.off(event as 'new_message', handler as ServerToClientEvents['new_message']);
      }
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      if (socket.connected) socket.emit('leave_chat', { session_id: sessionId });
    };
  }, [socket, sessionId, viewerId, join, takeMessages, update, retryNetworkFailures]);

  // The browser came back online: failed sends go again even before the socket is back.
  useEffect(() => {
    window.addEventListener('online', retryNetworkFailures);
    return () => window.removeEventListener('online', retryNetworkFailures);
  }, [retryNetworkFailures]);

  // Read receipts: when the newest messages are on screen, move the read cursor to the newest.
  const newest = state.timeline.stored.at(-1)?.message;
  useEffect(() => {
    if (!seesNewest || !newest || newest.seq <= ownReadSeq.current) return;
    const unreadFromOthers = stateRef.current.timeline.stored.some(
      (s) => s.message.seq > ownReadSeq.current && s.message.sender_id !== viewerId,
    );
    if (!unreadFromOthers) return;
    ownReadSeq.current = newest.seq;
    const failed = () => {
      ownReadSeq.current = Math.min(ownReadSeq.current, newest.seq - 1);
    };
    if (socket?.connected) {
      // Without an answer in time (the connection dropped), the next look at the newest marks again.
      const timer = setTimeout(failed, ACK_TIMEOUT_MS);
      socket.emit('mark_read', { message_id: newest.id, session_id: sessionId }, (ack) => {
        clearTimeout(timer);
        if (!ack.ok) failed();
      });
    } else {
      markRead(token, newest.id).catch(failed);
    }
  }, [seesNewest, newest, socket, sessionId, token, viewerId]);

  const loadOlder = useCallback(async () => {
    const current = stateRef.current;
    const oldest = oldestStored(current.timeline);
    if (!current.hasOlder || current.loadingOlder || !oldest) return;
    update((s) => ({ ...s, loadingOlder: true }));
    try {
      const page = await listMessages(token, {
        session_id: sessionId,
        limit: PAGE_SIZE,
        before_message_id: oldest.message.id,
      });
      takeMessages(page.messages);
      update((s) => ({ ...s, hasOlder: page.has_more, loadingOlder: false }));
    } catch (error) {
      update((s) => ({ ...s, loadingOlder: false }));
      addAlert(`Older messages could not be loaded. ${describeError(error)}`);
    }
  }, [token, sessionId, takeMessages, update, addAlert]);

  const sendText = useCallback(
    (content: string) => {
      const item: PendingItem = {
        kind: 'pending',
        id: uuid(),
        sessionId,
        senderId: viewerId,
        type: 'text',
        content,
        createdAt: new Date().toISOString(),
        status: 'sending',
      };
      update((s) => ({ ...s, timeline: addPending(s.timeline, item) }));
      void attempt(item);
    },
    [sessionId, viewerId, update, attempt],
  );

  const sendUpload = useCallback(
    (source: UploadSource) => {
      const item: PendingItem = {
        kind: 'pending',
        id: uuid(),
        sessionId,
        senderId: viewerId,
        type:
          source.kind === 'voice'
            ? 'voice'
            : source.blob.type.startsWith('image/')
              ? 'image'
              : 'file',
        content: source.fileName,
        createdAt: new Date().toISOString(),
        status: 'sending',
        upload: { fileName: source.fileName, size: source.blob.size, progress: 0 },
      };
      uploads.current.set(item.id, source);
      update((s) => ({ ...s, timeline: addPending(s.timeline, item) }));
      void attempt(item);
    },
    [sessionId, viewerId, update, attempt],
  );

  const retry = useCallback(
    (id: string) => {
      const item = stateRef.current.timeline.pending.find((p) => p.id === id);
      if (item) void attempt(item);
    },
    [attempt],
  );

  const discard = useCallback(
    (id: string) => {
      uploads.current.delete(id);
      update((s) => ({ ...s, timeline: removePending(s.timeline, id) }));
    },
    [update],
  );

  const toggleReaction = useCallback(
    async (messageId: string, reaction: string) => {
      const item = stateRef.current.timeline.stored.find((s) => s.message.id === messageId);
      if (!item) return;
      const mine = item.reactions.some(
        (r) => r.reaction === reaction && r.user_ids.includes(viewerId),
      );
      try {
        const change = mine
          ? await removeReaction(token, messageId, reaction)
          : await addReaction(token, messageId, reaction);
        update((s) => ({
          ...s,
          timeline: updateStored(s.timeline, messageId, (i) => ({
            ...i,
            reactions: change.reactions,
          })),
        }));
      } catch (error) {
        addAlert(`The reaction was not saved. ${describeError(error)}`);
      }
    },
    [token, viewerId, update, addAlert],
  );

  /** Signed file links expire; fetch the message again for fresh ones. */
  const refreshMessage = useCallback(
    async (seq: number) => {
      try {
        const page = await listMessages(token, {
          session_id: sessionId,
          after_seq: seq - 1,
          limit: 1,
        });
        takeMessages(page.messages);
      } catch {
        // The element keeps its broken link; the next open of the chat loads fresh ones.
      }
    },
    [token, sessionId, takeMessages],
  );

  const emitTyping = useCallback(
    (typing: boolean) => {
      if (!socket?.connected) return;
      socket.emit(typing ? 'typing_start' : 'typing_stop', { session_id: sessionId });
    },
    [socket, sessionId],
  );

  return {
    state,
    participantIds,
    loadOlder,
    sendText,
    sendUpload,
    retry,
    discard,
    toggleReaction,
    refreshMessage,
    emitTyping,
    dismissAlert,
    addAlert,
  };
}

export type ChatSession = ReturnType<typeof useChatSession>;

/** What one try at sending a pending item needs from the chat that holds it. */
interface AttemptContext {
  token: string;
  sessionId: string;
  /** The files of uploads not stored yet, by pending id. */
  uploads: Map<string, UploadSource>;
  update: (change: (s: ChatSessionState) => ChatSessionState) => void;
  takeMessages: (messages: readonly TChatMessage[]) => void;
  addAlert: (text: string) => void;
}

function uploadProgress(source: UploadSource, progress: number) {
  return { fileName: source.fileName, size: source.blob.size, progress };
}

/**
 * One try at sending a pending item, text or upload: its first send and every retry. The item's
 * id goes along as the message id, so a try whose answer was lost and is sent again stores
 * nothing twice.
 */
export async function attemptPending(item: PendingItem, context: AttemptContext): Promise<void> {
  const { token, sessionId, uploads, update } = context;
  const source = uploads.get(item.id);
  // A discarded upload's file is gone: nothing is left to send.
  if (item.upload && !source) return;
  const change = (fields: Parameters<typeof updatePending>[2]) =>
    update((s) => ({ ...s, timeline: updatePending(s.timeline, item.id, fields) }));
  change({
    status: 'sending',
    error: undefined,
    ...(source && { upload: uploadProgress(source, 0) }),
  });
  try {
    const stored = source
      ? await uploadFile(
          token,
          source.kind,
          { id: item.id, session_id: sessionId, duration: source.duration },
          source.blob,
          source.fileName,
          (progress) => change({ upload: uploadProgress(source, progress) }),
        ).promise
      : await sendMessage(token, { id: item.id, session_id: sessionId, content: item.content });
    if (source) {
      uploads.delete(item.id);
      update((s) => ({ ...s, timeline: removePending(s.timeline, item.id) }));
    }
    context.takeMessages([stored]);
  } catch (error) {
    const code = isApiError(error) ? error.code : 'BAD_RESPONSE';
    change({ status: 'failed', error: { code, message: describeError(error) } });
    if (source) {
      context.addAlert(`“${source.fileName}” was not sent. ${describeError(error)}`);
      return;
    }
    if (code === 'SESSION_INACTIVE') {
      update((s) => ({ ...s, status: s.status === 'active' ? 'closed' : s.status }));
    }
    // A network failure is shown on the message and sent again once the connection is back.
    if (code !== 'NETWORK_ERROR') context.addAlert(describeError(error));
  }
}
