import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';
import { io, type Socket } from 'socket.io-client';

type ClientEvent = keyof ClientToServerEvents;
/** The arguments of `E` before its ack. */
type PayloadOf<E extends ClientEvent> =
  Parameters<ClientToServerEvents[E]> extends [...infer P, unknown?] ? P : never;
/** What the server answers through the ack of `E`: `TAck<data>`. */
type AckOf<E extends ClientEvent> = Parameters<
  NonNullable<Parameters<ClientToServerEvents[E]>[1]>
>[0];

type ContractSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * socket.io-client types `emitWithAck`'s answer from the event's last parameter, and the
 * contract's acks are optional, so its own answer is `any`. This signature, tried first, types it
 * from the contract (a payload the contract does not allow still compiles, against the untyped
 * one).
 */
interface AckEmitter {
  emitWithAck<E extends ClientEvent>(event: E, ...payload: PayloadOf<E>): Promise<AckOf<E>>;
}

export interface ClientSocket extends ContractSocket {
  timeout(timeoutMs: number): AckEmitter & ReturnType<ContractSocket['timeout']>;
}

/** A real socket.io-client connection; resolves once the server says `authenticated`. */
export async function connectClient(
  baseUrl: string,
  token: string | undefined,
  options: { transports?: string[]; extraHeaders?: Record<string, string> } = {},
): Promise<ClientSocket> {
  const socket = openClient(baseUrl, token, options);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no authenticated event within 5 s')), 5_000);
    socket.once('authenticated', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('auth_error', (e) => {
      clearTimeout(timer);
      reject(new Error(`auth_error: ${e.code}`));
    });
  });
  return socket;
}

/** Opens without waiting for anything (to test what happens before `authenticated`). */
export function openClient(
  baseUrl: string,
  token: string | undefined,
  options: { transports?: string[]; extraHeaders?: Record<string, string> } = {},
): ClientSocket {
  return io(baseUrl, {
    auth: token === undefined ? {} : { token },
    transports: options.transports ?? ['websocket'],
    extraHeaders: options.extraHeaders,
    reconnection: false,
    forceNew: true,
  }) as ClientSocket;
}

/** The next `event` matching `predicate`, or a rejection after `timeoutMs`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
  predicate: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  timeoutMs = 3_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener as never);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      socket.off(event, listener as never);
      reject(new Error(`no ${String(event)} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(event, listener as never);
  });
}

/** Collects every `event` from now on, to assert later that something did NOT arrive. */
export function collect<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
): Array<Parameters<ServerToClientEvents[E]>[0]> {
  const seen: Array<Parameters<ServerToClientEvents[E]>[0]> = [];
  socket.on(event, ((payload: Parameters<ServerToClientEvents[E]>[0]) =>
    seen.push(payload)) as never);
  return seen;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
