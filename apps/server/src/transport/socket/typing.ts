import type { TypingIndicator } from '../../services/typing.service.js';
import { presenceRoom, sessionRoom, userRoom } from './rooms.js';
import type { ChatServer, ChatSocket } from './socket-types.js';

/** The server ends a typing indicator itself after this long without a new `typing_start`. */
export const TYPING_TIMEOUT_MS = 6_000;

/** The typing state of one socket, per session; every timer dies with the socket. */
export class TypingState implements TypingIndicator {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly io: ChatServer,
    private readonly socket: ChatSocket,
  ) {}

  isTyping(sessionId: string): boolean {
    return this.timers.has(sessionId);
  }

  /** Returns true when this start changed the state (and was broadcast). */
  start(sessionId: string): boolean {
    const wasTyping = this.timers.has(sessionId);
    clearTimeout(this.timers.get(sessionId));
    this.timers.set(
      sessionId,
      setTimeout(() => this.stop(sessionId), TYPING_TIMEOUT_MS),
    );
    if (!wasTyping) this.broadcast(sessionId, true);
    return !wasTyping;
  }

  stop(sessionId: string): void {
    const timer = this.timers.get(sessionId);
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(sessionId);
    this.broadcast(sessionId, false);
  }

  stopAll(): void {
    for (const sessionId of [...this.timers.keys()]) this.stop(sessionId);
  }

  private broadcast(sessionId: string, isTyping: boolean): void {
    const { userId, userName } = this.socket.data;
    if (!userId || !userName) return;
    // Never to the typist: none of the user's own sockets hear it.
    this.io
      .to(sessionRoom(sessionId))
      .except([userRoom(userId), presenceRoom(sessionId, userId)])
      .emit('user_typing', {
        user_id: userId,
        user_name: userName,
        is_typing: isTyping,
        session_id: sessionId,
      });
  }
}
