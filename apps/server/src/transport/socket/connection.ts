import { issueDetails, type TAck, type TAckCallback, type TErrorCode } from '@chat/contracts';
import type { z } from 'zod';
import type { AppServices } from '../../app-services.js';
import { bearerToken } from '../../auth/auth.service.js';
import { type Actor, displayName } from '../../domain/types.js';
import { asChatError, ChatError } from '../../errors.js';
import type { OriginPolicy } from '../origins.js';
import { userRoom } from './rooms.js';
import type { ChatSocket } from './socket-types.js';

/** setTimeout's ceiling; longer token lifetimes are re-armed in steps. */
const MAX_TIMER_MS = 2_147_000_000;

export const EVENT_BUDGET_WINDOW_MS = 10_000;
/**
 * Generous: the reference client emits `typing_start` on every keystroke. The per-user budgets
 * (messages, typing, reactions) are the real limits; this one bounds what one connection can
 * queue on the server.
 */
export const DEFAULT_EVENTS_PER_10S = 300;
/** Authenticated sockets one user may hold on one node (`SOCKETS_PER_USER`). */
export const DEFAULT_SOCKETS_PER_USER = 20;

/**
 * Events one connection may send in a 10 s window that starts with its first event: past
 * `limit` they are refused (`RATE_LIMIT_EXCEEDED`) without being queued, past twice the limit
 * the connection is closed. So a flood costs the server a counter, not a queue.
 */
export class EventBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(readonly limit: number) {}

  /** 'ok', 'refuse' (over the limit) or 'disconnect' (over twice the limit). */
  take(now = Date.now()): 'ok' | 'refuse' | 'disconnect' {
    if (now - this.windowStart >= EVENT_BUDGET_WINDOW_MS) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += 1;
    if (this.count <= this.limit) return 'ok';
    return this.count > this.limit * 2 ? 'disconnect' : 'refuse';
  }

  /** Seconds until the window resets. */
  retryAfterSeconds(now = Date.now()): number {
    return Math.max(1, Math.ceil((this.windowStart + EVENT_BUDGET_WINDOW_MS - now) / 1000));
  }
}

/**
 * One connected socket: authenticates it, and runs its events one at a time, in arrival order,
 * after authentication. Events sent before `authenticated` wait; after `auth_error` they are dropped.
 */
export class SocketConnection {
  readonly socket: ChatSocket;
  /** Resolves to the actor, or null when authentication failed. */
  readonly ready: Promise<Actor | null>;
  /** Sessions this socket has joined, in join order (the last one is the typing default). */
  readonly joined: string[] = [];
  /**
   * Who this socket acts as: set by authentication, replaced when the user's profile changes
   * (`reassess`), null once the socket was refused.
   */
  private actor: Actor | null = null;
  private queue: Promise<void> = Promise.resolve();
  /** Events queued or running. */
  private unfinished = 0;
  private eventCount = 0;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly services: AppServices;
  private readonly onLog: (error: unknown) => void;
  private readonly onError: (event: string, code: TErrorCode) => void;
  private readonly socketsPerUser: number;
  private readonly onSessionsLost: Array<(sessionIds: readonly string[]) => Promise<void>> = [];

  constructor(
    socket: ChatSocket,
    services: AppServices,
    onLog: (error: unknown) => void,
    onError: (event: string, code: TErrorCode) => void = () => {},
    budget: EventBudget = new EventBudget(DEFAULT_EVENTS_PER_10S),
    socketsPerUser: number = DEFAULT_SOCKETS_PER_USER,
  ) {
    this.socket = socket;
    this.services = services;
    this.onLog = onLog;
    this.onError = onError;
    this.socketsPerUser = socketsPerUser;
    this.ready = this.authenticate(services);
    socket.on('disconnect', () => clearTimeout(this.expiryTimer));
    // Every incoming event counts, known or not, before anything is queued for it.
    socket.use((packet, next) => {
      const verdict = budget.take();
      if (verdict === 'ok') return next();
      const event = typeof packet[0] === 'string' ? packet[0] : 'unknown';
      this.onError(event, 'RATE_LIMIT_EXCEEDED');
      if (verdict === 'disconnect') {
        this.socket.disconnect(true);
        return;
      }
      const error = new ChatError('RATE_LIMIT_EXCEEDED', undefined, {
        retryAfterSeconds: budget.retryAfterSeconds(),
        details: [`At most ${budget.limit} events per 10 seconds on one connection`],
      });
      this.socket.emit('error', { code: error.code, error: error.message, details: error.details });
      const ack = packet.at(-1);
      if (typeof ack === 'function') {
        (ack as TAckCallback<never>)({
          ok: false,
          error: { code: error.code, message: error.message, details: error.details },
        });
      }
    });
  }

  private async authenticate(services: AppServices): Promise<Actor | null> {
    const { auth, headers } = this.socket.handshake;
    const token =
      (typeof auth?.token === 'string' && auth.token.length > 0 ? auth.token : undefined) ??
      bearerToken(headers.authorization);
    // A role change announced while the profile is being read is not in it for sure, and the
    // socket is not in its user's room yet to hear it: it re-reads once it is.
    const changesBefore = services.auth.changes();
    try {
      const authenticated = await services.auth.authenticate(token);
      const { expiresAt } = authenticated;
      const actor: Actor = {
        ...authenticated.actor,
        origin: linkBaseOf(this.socket, services.origins),
      };
      if (!this.socket.connected) return null;
      // Counted and joined with no wait in between, so two sockets signing in side by side
      // cannot both take the last place. Per node: see docs/decisions.md.
      const open = this.socket.nsp.adapter.rooms.get(userRoom(actor.id))?.size ?? 0;
      if (open >= this.socketsPerUser) {
        this.onError('connection', 'RATE_LIMIT_EXCEEDED');
        this.reject(
          'RATE_LIMIT_EXCEEDED',
          `At most ${this.socketsPerUser} open connections per user; close one and try again`,
        );
        return null;
      }
      this.socket.data.userId = actor.id;
      this.actor = actor;
      await this.socket.join(userRoom(actor.id));
      if (services.auth.changes() !== changesBefore) {
        // A change was announced while the profile was read (the room now hears later ones):
        // read it again before `ready` resolves, so no event the client already sent runs with
        // the role it had before. A deleted profile throws and is refused below.
        const fresh = await services.auth.authenticate(token);
        this.actor = { ...fresh.actor, origin: actor.origin };
      }
      this.socket.data.userName = displayName(this.actor);
      if (expiresAt !== undefined) this.armExpiry(expiresAt * 1000);
      this.socket.emit('authenticated', { user: socketUser(this.actor) });
      return this.actor;
    } catch (error) {
      const chatError = asChatError(error);
      if (chatError.code === 'INTERNAL_ERROR') this.onLog(error);
      this.reject(chatError.code, chatError.message);
      return null;
    }
  }

  /** Ends the socket the documented way: `auth_error`, then disconnect. */
  private reject(code: TErrorCode, message: string): void {
    this.actor = null;
    this.socket.emit('auth_error', { message, code });
    this.socket.disconnect(true);
  }

  /** Notes a join: the session becomes the socket's latest (the typing default). */
  noteJoined(sessionId: string): void {
    this.noteLeft(sessionId);
    this.joined.push(sessionId);
  }

  /** Notes a leave; false when the socket had not joined the session. */
  noteLeft(sessionId: string): boolean {
    const at = this.joined.indexOf(sessionId);
    if (at === -1) return false;
    this.joined.splice(at, 1);
    return true;
  }

  /** Called with the sessions this socket must stop watching after its user's role changed. */
  onLostSessions(listener: (sessionIds: readonly string[]) => Promise<void>): void {
    this.onSessionsLost.push(listener);
  }

  /**
   * Reads the user's profile again (it changed, or a change may have been missed), after the
   * events already queued: a deleted profile ends the socket with `auth_error`, as an expired
   * token does; a changed one is the actor of every later event, sessions the user may no longer
   * read are left (each told with an `error`), and `authenticated` says who the user is now.
   */
  reassess(): void {
    this.queue = this.queue.then(async () => {
      const before = (await this.ready) && this.actor;
      if (!before || !this.socket.connected) return;
      try {
        const { actor, unreadable } = await this.services.profileChanges.reassess(before, [
          ...this.joined,
        ]);
        if (!this.socket.connected) return;
        this.actor = actor;
        this.socket.data.userName = displayName(actor);
        for (const listener of this.onSessionsLost) await listener(unreadable);
        for (const sessionId of unreadable) {
          const denied = new ChatError('CHAT_ACCESS_DENIED', undefined, {
            details: [`session_id: ${sessionId} (your role no longer allows reading it)`],
          });
          this.socket.emit('error', {
            code: denied.code,
            error: denied.message,
            details: denied.details,
          });
        }
        if (!sameUser(before, actor))
          this.socket.emit('authenticated', { user: socketUser(actor) });
      } catch (error) {
        // A profile that is gone ends the socket. One that could not be read (the database is
        // away) too: the old role must not outlive its change, and the client signs in again.
        const chatError = asChatError(error);
        if (chatError.code === 'INTERNAL_ERROR') this.onLog(error);
        if (this.socket.connected) this.reject(chatError.code, chatError.message);
      }
    });
  }

  private armExpiry(expiresAtMs: number): void {
    const delay = expiresAtMs - Date.now();
    if (delay > MAX_TIMER_MS) {
      this.expiryTimer = setTimeout(() => this.armExpiry(expiresAtMs), MAX_TIMER_MS);
      return;
    }
    this.expiryTimer = setTimeout(
      () => this.reject('AUTHENTICATION_REQUIRED', 'Token expired'),
      Math.max(0, delay),
    );
  }

  /**
   * Registers a handler: validates the payload with the contract schema, runs after
   * authentication and after this socket's earlier events, answers the ack (when given) and
   * reports failures as an `error` event.
   */
  handle<S extends z.ZodType, R>(
    event: string,
    schema: S,
    run: (actor: Actor, payload: z.output<S>) => Promise<R>,
  ): void {
    this.socket.on(event as 'join_chat', (...args: unknown[]) => {
      const last = args.at(-1);
      const ack = typeof last === 'function' ? (last as TAckCallback<R>) : undefined;
      const raw = ack ? args.slice(0, -1)[0] : args[0];
      // Behind another event of this connection, queued or running: a burst.
      const behind = this.unfinished > 0;
      this.unfinished += 1;
      this.queue = this.queue.then(() => this.runEvent(behind, event, schema, run, raw, ack));
    });
  }

  /** One queued event: after authentication, parsed, run, answered through its ack. */
  private async runEvent<S extends z.ZodType, R>(
    behind: boolean,
    event: string,
    schema: S,
    run: (actor: Actor, payload: z.output<S>) => Promise<R>,
    raw: unknown,
    ack: TAckCallback<R> | undefined,
  ): Promise<void> {
    // One event of a burst per turn of the event loop: a connection with hundreds of queued
    // events must not run them back to back in one burst of promise callbacks (with the
    // embedded database every query settles without I/O), starving every other socket's reads.
    // An event that waited for nothing runs at once.
    if (behind) await new Promise((resolve) => setImmediate(resolve));
    try {
      const actor = (await this.ready) && this.actor;
      if (!actor || !this.socket.connected) return;
      let response: TAck<R>;
      try {
        const parsed = schema.safeParse(raw);
        if (!parsed.success) {
          throw new ChatError('VALIDATION_ERROR', undefined, {
            details: issueDetails(parsed.error.issues, { whole: 'payload' }),
          });
        }
        // Each event is its own request: its id follows it into the fan-out logs.
        const requestId = `${this.socket.id}:${++this.eventCount}`;
        response = { ok: true, data: await run({ ...actor, requestId }, parsed.data) };
      } catch (error) {
        response = this.refuse(event, error);
      }
      ack?.(response);
    } finally {
      this.unfinished -= 1;
    }
  }

  /** A failed event: logged when unexpected, counted, told as an `error` event and in the ack. */
  private refuse(event: string, error: unknown): TAck<never> {
    const chatError = concealed(asChatError(error));
    if (chatError.code === 'INTERNAL_ERROR') this.onLog(error);
    this.onError(event, chatError.code);
    this.socket.emit('error', {
      code: chatError.code,
      error: chatError.message,
      details: chatError.details,
    });
    return {
      ok: false,
      error: { code: chatError.code, message: chatError.message, details: chatError.details },
    };
  }
}

/** The user as `authenticated` describes them. */
function socketUser(actor: Actor) {
  return { id: actor.id, name: displayName(actor), avatar: actor.avatarUrl, role: actor.role };
}

/** Nothing `authenticated` tells the client changed. */
function sameUser(a: Actor, b: Actor): boolean {
  return (
    a.role === b.role &&
    a.firstName === b.firstName &&
    a.lastName === b.lastName &&
    a.avatarUrl === b.avatarUrl
  );
}

/**
 * Over the socket an unknown session answers like a session you are not in: nothing reveals
 * whether a session id exists.
 */
function concealed(error: ChatError): ChatError {
  return error.code === 'SESSION_NOT_FOUND' ? new ChatError('CHAT_ACCESS_DENIED') : error;
}

/**
 * The link base of the origin the client connected to: its forwarded protocol and host only
 * behind a trusted proxy, and only a host of ours (else PUBLIC_URL or the configured address).
 */
function linkBaseOf(socket: ChatSocket, origins: OriginPolicy): string {
  const { headers, secure } = socket.handshake;
  const { protocol, host } = origins.forwarded(headers, socket.conn.remoteAddress, secure);
  return origins.linkBase(protocol, host);
}
