import type { ClientToServerEvents, TChatMessage } from '@chat/contracts';
import { ApiError, type ClientErrorCode, toFailure } from './errors.js';
import type { ServerEvent } from './events.js';
import type { RestClient } from './rest.js';
import { initialRoomState, type RoomAction, type RoomState, roomReducer } from './room.reducer.js';
import { Listeners, Store } from './store.js';
import { oldestStored, type PendingItem } from './timeline.js';
import { uuid } from './uuid.js';

/** Messages per REST page (the server's maximum is 100). */
export const PAGE_SIZE = 50;
/** A typing indicator disappears by itself after this long without news (the server says 6 s). */
export const TYPING_EXPIRY_MS = 8_000;
/** How long an emit waits for its ack before it counts as failed. */
export const ACK_TIMEOUT_MS = 10_000;

/** What a room needs from the client that owns the socket (a `ChatClient`). */
export interface RoomHost {
  readonly userId: string;
  readonly rest: RestClient;
  readonly connected: boolean;
  emit<E extends keyof ClientToServerEvents>(
    event: E,
    ...args: Parameters<ClientToServerEvents[E]>
  ): boolean;
  onEvent(listener: (event: ServerEvent) => void): () => void;
  onConnect(listener: () => void): () => void;
  onOnline(listener: () => void): () => void;
  describeError(error: unknown): string;
}

/** A file to send: a voice note or an attachment (image, PDF). */
export interface UploadSource {
  kind: 'voice' | 'file';
  blob: Blob;
  fileName: string;
  /** Seconds (voice notes), as the recorder measured. */
  duration?: number | undefined;
}

/** Something the person did that failed, with the text to show them. */
export interface RoomProblem {
  kind: 'join' | 'resync' | 'older' | 'send' | 'upload' | 'reaction';
  code: ClientErrorCode;
  message: string;
  error: unknown;
}

interface Run {
  abort: AbortController;
  unsubscribe: Array<() => void>;
}

/**
 * One open chat: history over REST (the newest page, then older pages by `before_message_id`),
 * the live feed over the socket (joined with `since_seq` after loading and after every
 * reconnect, paging over REST when the server says the gap is too long), an outbox that sends
 * with client-made ids and retries with the same ids, uploads, reactions, typing and read
 * receipts. Its state is `roomReducer`'s; `start()` and `stop()` may alternate.
 */
export class ChatRoom extends Store<RoomState> {
  readonly sessionId: string;
  readonly #host: RoomHost;
  /** The files of uploads not stored yet, by pending id (files are not state). */
  readonly #uploads = new Map<string, UploadSource>();
  readonly #typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #incoming = new Listeners<TChatMessage>();
  readonly #problems = new Listeners<RoomProblem>();
  #run: Run | null = null;

  constructor(host: RoomHost, sessionId: string) {
    super(initialRoomState(sessionId, host.userId));
    this.#host = host;
    this.sessionId = sessionId;
  }

  /** Applies one action through the reducer (also for apps that feed events themselves). */
  dispatch(action: RoomAction): void {
    this.setState(roomReducer(this.getState(), action));
  }

  /** New messages of others, once each, as they arrive live (announce them, notify). */
  onIncoming(listener: (message: TChatMessage) => void): () => void {
    return this.#incoming.add(listener);
  }

  /** Failures of what the person did, each with the text to show (`describeError`'s). */
  onProblem(listener: (problem: RoomProblem) => void): () => void {
    return this.#problems.add(listener);
  }

  /** Loads the session and its newest page, then joins the live feed. */
  start(): void {
    if (this.#run) return;
    const host = this.#host;
    const run: Run = { abort: new AbortController(), unsubscribe: [] };
    this.#run = run;
    this.#uploads.clear();
    this.setState(initialRoomState(this.sessionId, host.userId));
    run.unsubscribe.push(
      host.onEvent((event) => this.#onServerEvent(event)),
      host.onConnect(() => {
        this.#join();
        this.retryNetworkFailures();
      }),
      // The network came back: failed sends go again even before the socket is back.
      host.onOnline(() => this.retryNetworkFailures()),
    );
    const { signal } = run.abort;
    Promise.all([
      host.rest.getSession(this.sessionId, signal),
      host.rest.listMessages({ session_id: this.sessionId, limit: PAGE_SIZE }, signal),
    ]).then(
      ([detail, page]) => {
        if (this.#run !== run) return;
        this.dispatch({ type: 'opened', detail, page });
        this.#join();
      },
      (error: unknown) => {
        if (this.#run !== run) return;
        this.dispatch({ type: 'open_failed', error: toFailure(error, host.describeError) });
      },
    );
  }

  /** Leaves the live feed and stops listening; what is in flight is let go. */
  stop(): void {
    const run = this.#run;
    if (!run) return;
    this.#run = null;
    run.abort.abort();
    for (const unsubscribe of run.unsubscribe) unsubscribe();
    for (const timer of this.#typingTimers.values()) clearTimeout(timer);
    this.#typingTimers.clear();
    this.#host.emit('leave_chat', { session_id: this.sessionId });
  }

  /** The socket's join, after the first page is loaded and after every reconnect. */
  #join(): void {
    const run = this.#run;
    const state = this.getState();
    if (!run || !state.detail || !this.#host.connected) return;
    // No answer (the connection dropped): the next `connect` joins again.
    this.#host.emit(
      'join_chat',
      { session_id: this.sessionId, since_seq: state.timeline.syncedSeq },
      (ack) => {
        if (this.#run !== run) return;
        if (!ack.ok) {
          const error = new ApiError(ack.error.code, ack.error.message);
          this.#problem('join', error, this.#host.describeError(error));
          return;
        }
        this.dispatch({ type: 'chat_joined', data: ack.data, at: Date.now() });
        if (ack.data.resync_required) void this.#resync(run);
      },
    );
  }

  /** More was missed than a join replays: start again from the newest page. */
  async #resync(run: Run): Promise<void> {
    try {
      const page = await this.#host.rest.listMessages({
        session_id: this.sessionId,
        limit: PAGE_SIZE,
      });
      if (this.#run === run) this.dispatch({ type: 'resynced', page });
    } catch (error) {
      this.#problem('resync', error, this.#host.describeError(error));
    }
  }

  #onServerEvent(event: ServerEvent): void {
    // The room takes its catch-up from its own join's ack, which also says when to resync.
    if (event.type === 'chat_joined') return;
    const before = this.getState();
    this.dispatch(event);
    const after = this.getState();
    if (event.type === 'new_message' && after !== before) {
      const message = event.data;
      const known = before.timeline.stored.some((s) => s.message.id === message.id);
      if (!known && message.sender_id !== after.viewerId) this.#incoming.emit(message);
      this.#forgetSettledUploads();
    }
    // Each `user_typing` that keeps someone typing restarts their expiry.
    if (
      event.type === 'user_typing' &&
      event.data.session_id === this.sessionId &&
      event.data.is_typing &&
      after.typing.has(event.data.user_id)
    )
      this.#expireTyping(event.data.user_id);
    for (const [userId, timer] of this.#typingTimers) {
      if (after.typing.has(userId)) continue;
      clearTimeout(timer);
      this.#typingTimers.delete(userId);
    }
  }

  #expireTyping(userId: string): void {
    clearTimeout(this.#typingTimers.get(userId));
    this.#typingTimers.set(
      userId,
      setTimeout(() => {
        this.#typingTimers.delete(userId);
        this.dispatch({ type: 'typing_expired', userId });
      }, TYPING_EXPIRY_MS),
    );
  }

  #forgetSettledUploads(): void {
    const pending = new Set(this.getState().timeline.pending.map((p) => p.id));
    for (const id of this.#uploads.keys()) if (!pending.has(id)) this.#uploads.delete(id);
  }

  #problem(kind: RoomProblem['kind'], error: unknown, message: string): void {
    const { code } = toFailure(error, this.#host.describeError);
    this.#problems.emit({ kind, code, message, error });
  }

  /** Loads the page before the oldest message held; nothing when there is none or one is loading. */
  readonly loadOlder = async (): Promise<void> => {
    const state = this.getState();
    const oldest = oldestStored(state.timeline);
    if (!state.hasOlder || state.loadingOlder || !oldest) return;
    this.dispatch({ type: 'older_requested' });
    try {
      const page = await this.#host.rest.listMessages({
        session_id: this.sessionId,
        limit: PAGE_SIZE,
        before_message_id: oldest.message.id,
      });
      this.dispatch({ type: 'older_loaded', page });
    } catch (error) {
      this.dispatch({ type: 'older_failed' });
      const text = `Older messages could not be loaded. ${this.#host.describeError(error)}`;
      this.#problem('older', error, text);
    }
  };

  /** Shows a text at once and sends it; returns its message id (made here). */
  readonly sendText = (content: string): string => {
    const item: PendingItem = {
      kind: 'pending',
      id: uuid(),
      sessionId: this.sessionId,
      senderId: this.#host.userId,
      type: 'text',
      content,
      createdAt: new Date().toISOString(),
      status: 'sending',
    };
    this.dispatch({ type: 'pending_added', item });
    void this.#attempt(item);
    return item.id;
  };

  /** Shows an upload with its progress and sends it; returns its message id (made here). */
  readonly sendUpload = (source: UploadSource): string => {
    const type =
      source.kind === 'voice' ? 'voice' : source.blob.type.startsWith('image/') ? 'image' : 'file';
    const item: PendingItem = {
      kind: 'pending',
      id: uuid(),
      sessionId: this.sessionId,
      senderId: this.#host.userId,
      type,
      content: source.fileName,
      createdAt: new Date().toISOString(),
      status: 'sending',
      upload: { fileName: source.fileName, size: source.blob.size, progress: 0 },
    };
    this.#uploads.set(item.id, source);
    this.dispatch({ type: 'pending_added', item });
    void this.#attempt(item);
    return item.id;
  };

  /** Sends a pending message again, under the same id. */
  readonly retry = (id: string): void => {
    const item = this.getState().timeline.pending.find((p) => p.id === id);
    if (item) void this.#attempt(item);
  };

  /** Drops a pending message (and its file) for good. */
  readonly discard = (id: string): void => {
    this.#uploads.delete(id);
    this.dispatch({ type: 'pending_discarded', id });
  };

  /** Sends again what failed because the network was down (same ids: nothing doubles). */
  readonly retryNetworkFailures = (): void => {
    for (const item of this.getState().timeline.pending) {
      if (item.status === 'failed' && item.error?.code === 'NETWORK_ERROR')
        void this.#attempt(item);
    }
  };

  /**
   * One try at sending a pending item, text or upload: its first send and every retry. The
   * item's id goes along as the message id, so a try whose answer was lost and is sent again
   * stores nothing twice.
   */
  async #attempt(item: PendingItem): Promise<void> {
    const host = this.#host;
    const source = this.#uploads.get(item.id);
    // A discarded upload's file is gone: nothing is left to send.
    if (item.upload && !source) return;
    this.dispatch({ type: 'pending_sending', id: item.id });
    try {
      const fields = { id: item.id, session_id: this.sessionId };
      const stored = source
        ? await host.rest.upload(
            source.kind,
            { ...fields, duration: source.duration },
            source.blob,
            source.fileName,
            (progress) => this.dispatch({ type: 'upload_progress', id: item.id, progress }),
          ).promise
        : await host.rest.sendMessage({ ...fields, content: item.content });
      this.#uploads.delete(item.id);
      this.dispatch({ type: 'pending_sent', id: item.id, message: stored });
    } catch (error) {
      const failure = toFailure(error, host.describeError);
      this.dispatch({ type: 'pending_failed', id: item.id, error: failure });
      if (source) {
        this.#problem('upload', error, `“${source.fileName}” was not sent. ${failure.message}`);
        return;
      }
      // A network failure is shown on the message and sent again once the connection is back.
      if (failure.code !== 'NETWORK_ERROR') this.#problem('send', error, failure.message);
    }
  }

  /** Adds the viewer's reaction, or takes it back when it is there. */
  readonly toggleReaction = async (messageId: string, reaction: string): Promise<void> => {
    const { rest, userId, describeError } = this.#host;
    const item = this.getState().timeline.stored.find((s) => s.message.id === messageId);
    if (!item) return;
    const mine = item.reactions.some((r) => r.reaction === reaction && r.user_ids.includes(userId));
    try {
      const change = mine
        ? await rest.removeReaction(messageId, reaction)
        : await rest.addReaction(messageId, reaction);
      this.dispatch({ type: 'reactions_saved', messageId, reactions: change.reactions });
    } catch (error) {
      this.#problem('reaction', error, `The reaction was not saved. ${describeError(error)}`);
    }
  };

  /** Signed file links expire: fetches the message with this seq again for fresh ones. */
  readonly refreshMessage = async (seq: number): Promise<void> => {
    try {
      const page = await this.#host.rest.listMessages({
        session_id: this.sessionId,
        after_seq: seq - 1,
        limit: 1,
      });
      this.dispatch({ type: 'messages_fetched', messages: page.messages });
    } catch {
      // The element keeps its broken link; the next open of the chat loads fresh ones.
    }
  };

  /** Tells the others the viewer started or stopped typing (only while connected). */
  readonly setTyping = (typing: boolean): void => {
    this.#host.emit(typing ? 'typing_start' : 'typing_stop', { session_id: this.sessionId });
  };

  /**
   * Moves the viewer's read cursor to the newest message when others wrote something after it.
   * Call it while the newest message is on screen (list at the bottom, page visible).
   */
  readonly markNewestRead = (): void => {
    const { timeline, ownReadSeq, viewerId } = this.getState();
    const newest = timeline.stored.at(-1)?.message;
    if (!newest || newest.seq <= ownReadSeq) return;
    const unreadFromOthers = timeline.stored.some(
      (s) => s.message.seq > ownReadSeq && s.message.sender_id !== viewerId,
    );
    if (!unreadFromOthers) return;
    this.dispatch({ type: 'read_requested', seq: newest.seq });
    const failed = () => this.dispatch({ type: 'read_failed', seq: newest.seq });
    // Without an answer in time (the connection dropped), the next look at the newest marks again.
    const timer = setTimeout(failed, ACK_TIMEOUT_MS);
    const sent = this.#host.emit(
      'mark_read',
      { message_id: newest.id, session_id: this.sessionId },
      (ack) => {
        clearTimeout(timer);
        if (!ack.ok) failed();
      },
    );
    if (sent) return;
    clearTimeout(timer);
    this.#host.rest.markRead(newest.id).catch(failed);
  };
}
