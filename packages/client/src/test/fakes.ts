import type { ChatSocket } from '../events.js';

type Handler = (...args: unknown[]) => void;
type AuthFn = (send: (data: object) => void) => void;

/**
 * A stand-in for socket.io-client's socket, passed in through `createSocket`: it records what
 * the client emits, and the test plays the server (`open`, `fire`, `answer`).
 */
export class FakeSocket {
  connected = false;
  /** What the last handshake sent as `auth`. */
  auth: object | undefined;
  connects = 0;
  readonly emitted: Array<{ event: string; args: unknown[] }> = [];
  readonly #handlers = new Map<string, Set<Handler>>();
  #authFn: AuthFn | undefined;

  /** The `createSocket` option: the client gets this fake instead of a real socket. */
  readonly create = (_url: string | undefined, options: { auth?: unknown }): ChatSocket => {
    this.#authFn = options.auth as AuthFn | undefined;
    return this as unknown as ChatSocket;
  };

  on(event: string, handler: Handler) {
    const set = this.#handlers.get(event) ?? new Set();
    set.add(handler);
    this.#handlers.set(event, set);
    return this;
  }

  off(event: string, handler: Handler) {
    this.#handlers.get(event)?.delete(handler);
    return this;
  }

  removeAllListeners() {
    this.#handlers.clear();
    return this;
  }

  emit(event: string, ...args: unknown[]) {
    this.emitted.push({ event, args });
    return this;
  }

  connect() {
    this.connects += 1;
    return this;
  }

  disconnect() {
    if (this.connected) {
      this.connected = false;
      this.fire('disconnect', 'io client disconnect');
    }
    return this;
  }

  /** The server accepts the connection: the handshake's auth is read, then `connect` fires. */
  async open(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.#authFn
        ? this.#authFn((data) => {
            this.auth = data;
            resolve();
          })
        : resolve(),
    );
    this.connected = true;
    this.fire('connect');
  }

  /** The connection drops (as the network would do it). */
  drop(): void {
    this.connected = false;
    this.fire('disconnect', 'transport close');
  }

  fire(event: string, ...args: unknown[]): void {
    for (const handler of [...(this.#handlers.get(event) ?? [])]) handler(...args);
  }

  /** What was emitted as `event`, oldest first. */
  sent(event: string): unknown[][] {
    return this.emitted.filter((e) => e.event === event).map((e) => e.args);
  }

  /** Answers the ack of the last `event` emitted. */
  answer(event: string, response: unknown): void {
    const last = this.sent(event).at(-1);
    const ack = last?.at(-1);
    if (typeof ack !== 'function') throw new Error(`no ${event} with an ack was emitted`);
    (ack as (response: unknown) => void)(response);
  }
}

export interface FakeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface FakeAnswer {
  status?: number;
  body: unknown;
  headers?: Record<string, string> | undefined;
}

type Route = (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

/**
 * A stand-in for `fetch`, passed in through the options: each request is recorded and answered
 * by `route` (a thrown error is a network failure).
 */
export function fakeFetch(route: Route) {
  const requests: FakeRequest[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request: FakeRequest = {
      method: init?.method ?? 'GET',
      url: String(input),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body,
    };
    requests.push(request);
    const answer = await route(request);
    return new Response(JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { 'Content-Type': 'application/json', ...answer.headers },
    });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

/** The success envelope the server answers with. */
export function ok(data: unknown) {
  return { body: { success: true, data } };
}

/** The error envelope the server answers with. */
export function refused(status: number, code: string, headers?: Record<string, string>) {
  return { status, body: { success: false, error: code, code, details: [] }, headers };
}

/** An always-online network whose changes the test makes. */
export function fakeNetwork() {
  let online = true;
  const listeners = new Set<(online: boolean) => void>();
  return {
    isOnline: () => online,
    subscribe(listener: (online: boolean) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next: boolean) {
      online = next;
      for (const listener of listeners) listener(next);
    },
  };
}

/** Lets pending promise callbacks run (microtasks only: works under fake timers too). */
export async function settle(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
