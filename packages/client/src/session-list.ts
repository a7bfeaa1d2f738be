import type { TChatSessionDetail, TCreateSessionRequest } from '@chat/contracts';
import { toFailure } from './errors.js';
import type { ServerEvent } from './events.js';
import type { ListSessionsQuery } from './rest.js';
import type { RoomHost } from './room.js';
import {
  initialSessionListState,
  type SessionListAction,
  type SessionListState,
  sessionListReducer,
} from './session-list.reducer.js';
import { Store } from './store.js';

/** After activity, previews and order are read again once things calm down this long. */
export const LIST_RELOAD_DELAY_MS = 400;

type ListHost = Pick<RoomHost, 'userId' | 'rest' | 'onEvent' | 'onConnect' | 'describeError'>;

/**
 * The user's sessions over REST, kept live by the socket: unread badges move at once on
 * `chat_activity`, `new_message` and the user's own `messages_read`; the list itself is read
 * again (debounced) after activity, a status change or a reconnect.
 */
export class SessionListStore extends Store<SessionListState> {
  readonly #host: ListHost;
  readonly #query: ListSessionsQuery;
  #unsubscribe: Array<() => void> = [];
  #reloadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: ListHost, query: ListSessionsQuery = {}) {
    super(initialSessionListState(host.userId));
    this.#host = host;
    this.#query = query;
  }

  dispatch(action: SessionListAction): void {
    this.setState(sessionListReducer(this.getState(), action));
  }

  start(): void {
    if (this.#unsubscribe.length > 0) return;
    this.#unsubscribe = [
      this.#host.onEvent((event) => this.#onServerEvent(event)),
      // After a reconnect the list may have missed activity: read it again.
      this.#host.onConnect(() => this.#scheduleReload()),
    ];
    void this.reload();
  }

  stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    clearTimeout(this.#reloadTimer);
  }

  #onServerEvent(event: ServerEvent): void {
    this.dispatch(event);
    if (
      event.type === 'chat_activity' ||
      event.type === 'new_message' ||
      event.type === 'session_updated'
    )
      this.#scheduleReload();
  }

  #scheduleReload(): void {
    clearTimeout(this.#reloadTimer);
    this.#reloadTimer = setTimeout(() => void this.reload(), LIST_RELOAD_DELAY_MS);
  }

  /** Reads the list again; a failure is kept in `error` (and cleared by the next success). */
  readonly reload = async (): Promise<void> => {
    try {
      const data = await this.#host.rest.listSessions(this.#query);
      this.dispatch({ type: 'loaded', sessions: data.sessions });
    } catch (error) {
      this.dispatch({ type: 'failed', error: toFailure(error, this.#host.describeError) });
    }
  };

  /**
   * Opens a session (a booking's: the existing one when there is one) and reads the list again;
   * null when it failed, with the reason in `error`.
   */
  readonly create = async (body: TCreateSessionRequest): Promise<TChatSessionDetail | null> => {
    this.dispatch({ type: 'error_cleared' });
    try {
      const session = await this.#host.rest.createSession(body);
      await this.reload();
      return session;
    } catch (error) {
      this.dispatch({ type: 'failed', error: toFailure(error, this.#host.describeError) });
      return null;
    }
  };
}
