import { EventEmitter } from 'node:events';
import type {
  TChatMessage,
  TMarkReadResponse,
  TReactionChange,
  TSessionStatus,
} from '@chat/contracts';

/** Where a write came in; carried on events for metrics and logs. */
export type Transport = 'rest' | 'trpc' | 'socket';

/**
 * Domain events, published by services after their transaction commits. The socket gateway
 * subscribes and fans them out, so a write over any transport reaches every client the same way.
 */
export interface DomainEvents {
  'message.created': {
    message: TChatMessage;
    participantIds: string[];
    transport: Transport;
    /** The request that caused it, so logs connect the write and its fan-out. */
    requestId?: string | undefined;
  };
  'message.deleted': { sessionId: string; messageId: string; participantIds: string[] };
  'reaction.changed': { change: TReactionChange; userName: string };
  'messages.read': TMarkReadResponse;
  'session.created': { sessionId: string; participantIds: string[] };
  'session.updated': { sessionId: string; status: TSessionStatus; participantIds: string[] };
  /**
   * A user's role changed or their profile was deleted, outside this service (the database
   * announces it to every node): their open connections on this node re-read it.
   */
  'profile.changed': { userId: string; deleted: boolean };
  /** Changes may have been missed on this node: every open connection re-reads its profile. */
  'profiles.missed': Record<string, never>;
}

export interface EventBus {
  publish<K extends keyof DomainEvents>(event: K, payload: DomainEvents[K]): void;
  subscribe<K extends keyof DomainEvents>(
    event: K,
    handler: (payload: DomainEvents[K]) => void,
  ): () => void;
}

/**
 * In-process bus. Cross-node delivery is the Socket.IO adapter's job (each node's gateway emits
 * to rooms; the Redis adapter carries the emit to the other nodes), so this never leaves the process.
 */
export function createEventBus(onHandlerError: (error: unknown) => void): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(event, payload) {
      for (const listener of emitter.listeners(event)) {
        try {
          (listener as (p: typeof payload) => void)(payload);
        } catch (error) {
          // A failing subscriber must not turn a committed write into an error for the caller.
          onHandlerError(error);
        }
      }
    },
    subscribe(event, handler) {
      emitter.on(event, handler);
      return () => emitter.off(event, handler);
    },
  };
}
