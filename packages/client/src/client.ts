import type { ClientToServerEvents, TSocketUser } from '@chat/contracts';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { authRetryDelayMs, defaultNetwork, type NetworkStatus } from './connection.js';
import { describeError } from './errors.js';
import { type ChatSocket, SERVER_EVENT_NAMES, type ServerEvent } from './events.js';
import {
  createRestClient,
  type ListSessionsQuery,
  type RestClient,
  type TokenSource,
  type UploadTransport,
} from './rest.js';
import { ChatRoom, type RoomHost } from './room.js';
import { SessionListStore } from './session-list.js';
import { Listeners, Store } from './store.js';

export type ConnectionState = 'connecting' | 'connected' | 'offline';

export interface ClientState {
  connection: ConnectionState;
  /** The user as the server knows them (after `authenticated`). */
  user: TSocketUser | null;
  /** Set when the server refused the token for good: sign the user in again. */
  authError: string | null;
}

export type SocketFactory = (
  url: string | undefined,
  options: Partial<ManagerOptions & SocketOptions>,
) => ChatSocket;

export interface ChatClientOptions {
  /** The signed-in user's id (the token's `sub`): tells own messages, reads and typing apart. */
  userId: string;
  /**
   * The user's access token, or a function returning the current one: it is asked again for
   * every request and every (re)connection, so a refreshed token is picked up by itself.
   */
  token: TokenSource;
  /** Where the server is, e.g. `https://chat.example.com`; leave out for the page's own origin. */
  baseUrl?: string | undefined;
  /** Connect at once (default); otherwise call `connect()`. */
  autoConnect?: boolean | undefined;
  /** The text a person reads for a failure (default: `describeError`, English). */
  describeError?: ((error: unknown) => string) | undefined;
  fetch?: typeof fetch | undefined;
  upload?: UploadTransport | undefined;
  /** Makes the socket (default: socket.io-client's `io`); tests pass a fake. */
  createSocket?: SocketFactory | undefined;
  /** The device's network (default: the browser's `online`/`offline`, else always online). */
  network?: NetworkStatus | undefined;
}

const defaultSocket: SocketFactory = (url, options) => (url ? io(url, options) : io(options));

/**
 * The client of one signed-in user: the REST API (`rest`), one Socket.IO connection with its
 * sign-in (and sign-in again with a fresh token), open chats (`room(id)`) and the session list
 * (`sessionList()`). Its own state is the connection's; subscribe to it like to any store here.
 */
export class ChatClient extends Store<ClientState> implements RoomHost {
  readonly userId: string;
  readonly rest: RestClient;
  readonly describeError: (error: unknown) => string;
  readonly #options: ChatClientOptions;
  readonly #network: NetworkStatus;
  readonly #events = new Listeners<ServerEvent>();
  readonly #connects = new Listeners<void>();
  readonly #onlines = new Listeners<void>();
  #socket: ChatSocket | null = null;
  #stopNetwork: () => void = () => {};
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Sign-ins refused as "busy" in a row (the back-off grows with them). */
  #refusals = 0;
  /** The token the last handshake carried, and whether a fresh one was already tried. */
  #handshakeToken: string | undefined;
  #triedFreshToken = false;

  constructor(options: ChatClientOptions) {
    super({ connection: 'connecting', user: null, authError: null });
    this.#options = options;
    this.userId = options.userId;
    this.describeError = options.describeError ?? describeError;
    this.#network = options.network ?? defaultNetwork();
    this.rest = createRestClient({
      baseUrl: options.baseUrl,
      token: options.token,
      fetch: options.fetch,
      upload: options.upload,
    });
    if (options.autoConnect ?? true) this.connect();
  }

  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  /** Emits when connected (then returns true); while disconnected nothing is queued. */
  emit<E extends keyof ClientToServerEvents>(
    event: E,
    ...args: Parameters<ClientToServerEvents[E]>
  ): boolean {
    const socket = this.#socket;
    if (!socket?.connected) return false;
    (socket.emit as (event: string, ...args: unknown[]) => unknown)(event, ...args);
    return true;
  }

  /** Every server event, as the reducers take it. */
  onEvent(listener: (event: ServerEvent) => void): () => void {
    return this.#events.add(listener);
  }

  /** Each (re)connection, after the socket is up (rooms join again here). */
  onConnect(listener: () => void): () => void {
    return this.#connects.add(listener);
  }

  /** The device's network came back. */
  onOnline(listener: () => void): () => void {
    return this.#onlines.add(listener);
  }

  /** One open chat; call `start()` to load and join it and `stop()` to leave. */
  room(sessionId: string): ChatRoom {
    return new ChatRoom(this, sessionId);
  }

  /** The user's sessions with live unread counts; `start()` loads and follows them. */
  sessionList(query: ListSessionsQuery = {}): SessionListStore {
    return new SessionListStore(this, query);
  }

  /**
   * Opens the socket. Socket.IO reconnects by itself after a drop; when the device goes offline
   * the socket is closed at once (a dead connection could otherwise take the heartbeat's 45 s
   * to notice) and opened again when it is back.
   */
  connect(): void {
    if (this.#socket) return;
    const socket = (this.#options.createSocket ?? defaultSocket)(this.#options.baseUrl, {
      auth: (send) => this.#handshake(send),
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      autoConnect: true,
    });
    this.#socket = socket;
    this.setState({ ...this.getState(), connection: 'connecting', authError: null });
    this.#listen(socket);
    this.#stopNetwork = this.#network.subscribe((online) =>
      online ? this.#online(socket) : this.#offline(socket),
    );
    if (!this.#network.isOnline()) this.#offline(socket);
  }

  /** Closes the socket and stops listening; `connect()` opens a new one. */
  close(): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = null;
    clearTimeout(this.#retryTimer);
    this.#stopNetwork();
    socket.removeAllListeners();
    socket.disconnect();
  }

  #update(change: Partial<ClientState>): void {
    this.setState({ ...this.getState(), ...change });
  }

  /** The handshake's `auth`: asked on every connection, so a refreshed token goes along. */
  #handshake(send: (data: object) => void): void {
    const { token } = this.#options;
    const use = (value: string) => {
      this.#handshakeToken = value;
      send({ token: value });
    };
    if (typeof token === 'string') {
      use(token);
      return;
    }
    Promise.resolve()
      .then(token)
      .then(use, () => send({}));
  }

  #listen(socket: ChatSocket): void {
    const down = () =>
      this.#update({ connection: this.#network.isOnline() ? 'connecting' : 'offline' });
    socket.on('connect', () => {
      this.#update({ connection: 'connected' });
      this.#connects.emit();
    });
    socket.on('disconnect', down);
    socket.on('connect_error', down);
    socket.on('authenticated', ({ user }) => {
      this.#refusals = 0;
      this.#triedFreshToken = false;
      this.#update({ user });
    });
    socket.on('auth_error', ({ message, code }) => this.#refused(socket, message, code));
    for (const name of SERVER_EVENT_NAMES) {
      socket.on(name, (data: unknown) =>
        this.#events.emit({ type: name, data, at: Date.now() } as ServerEvent),
      );
    }
  }

  /**
   * A sign-in refused because the server is busy (its database away, a restart storm) is tried
   * again with back-off; the server ends such a socket, and Socket.IO does not reconnect a socket
   * the server ended. A refused token is tried once more when the token function now gives
   * another one (it was refreshed); otherwise the refusal is final (`authError`).
   */
  #refused(socket: ChatSocket, message: string, code: string | undefined): void {
    socket.disconnect();
    const delay = authRetryDelayMs(code, this.#refusals);
    if (delay !== null) {
      this.#refusals += 1;
      this.#update({ connection: 'connecting' });
      this.#reconnectIn(socket, delay);
      return;
    }
    const final = () => this.#update({ authError: message || 'Authentication failed' });
    const { token } = this.#options;
    if (typeof token === 'string' || this.#triedFreshToken) {
      final();
      return;
    }
    this.#triedFreshToken = true;
    Promise.resolve()
      .then(token)
      .then((fresh) => {
        if (this.#socket !== socket) return; // closed meanwhile
        if (fresh === this.#handshakeToken) return final();
        this.#update({ connection: 'connecting' });
        this.#reconnectIn(socket, 0);
      }, final);
  }

  #reconnectIn(socket: ChatSocket, delay: number): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => socket.connect(), delay);
  }

  #offline(socket: ChatSocket): void {
    this.#update({ connection: 'offline' });
    socket.disconnect();
  }

  #online(socket: ChatSocket): void {
    this.#update({ connection: 'connecting' });
    if (!socket.connected) socket.connect();
    this.#onlines.emit();
  }
}

/** A client for one signed-in user (see `ChatClientOptions`). */
export function createChatClient(options: ChatClientOptions): ChatClient {
  return new ChatClient(options);
}
