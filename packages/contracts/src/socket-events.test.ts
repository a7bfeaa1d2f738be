import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ClientToServerEvents, ServerToClientEvents } from './socket.js';
import { CLIENT_EVENTS, SERVER_EVENTS } from './socket-events.js';

type Client = typeof CLIENT_EVENTS;
type Server = typeof SERVER_EVENTS;
/** Whether A and B are the same type (not merely assignable either way). */
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** `true` only when every event's check is. */
type Every<T> = T[keyof T] extends true ? true : false;
type Ack<F extends (...args: never[]) => void> = Parameters<NonNullable<Parameters<F>[1]>>[0];

// Compile-time checks (`pnpm typecheck`): a wrong schema makes `true` unassignable here.
const clientPayloads: Every<{
  [E in keyof ClientToServerEvents]: Same<
    z.input<Client[E]['payload']>,
    Parameters<ClientToServerEvents[E]>[0]
  >;
}> = true;
const clientAcks: Every<{
  [E in keyof ClientToServerEvents]: Same<z.output<Client[E]['ack']>, Ack<ClientToServerEvents[E]>>;
}> = true;
const serverPayloads: Every<{
  [E in keyof ServerToClientEvents]: Same<
    z.output<Server[E]['payload']>,
    Parameters<ServerToClientEvents[E]>[0]
  >;
}> = true;

describe('the runtime event maps are the event interfaces', () => {
  it("client payloads, acks and server payloads have the interfaces' types", () => {
    expect([clientPayloads, clientAcks, serverPayloads]).toEqual([true, true, true]);
  });

  it('every schema has a JSON Schema (what the AsyncAPI document is built from)', () => {
    for (const [event, { payload, ack }] of Object.entries(CLIENT_EVENTS)) {
      expect(z.toJSONSchema(payload, { io: 'input' }), event).toBeTypeOf('object');
      expect(z.toJSONSchema(ack, { io: 'output' }), event).toBeTypeOf('object');
    }
    for (const [event, { payload }] of Object.entries(SERVER_EVENTS)) {
      expect(z.toJSONSchema(payload, { io: 'output' }), event).toBeTypeOf('object');
    }
  });

  it('an ack is `{ ok: true, data }` or `{ ok: false, error }`', () => {
    const ack = CLIENT_EVENTS.leave_chat.ack;
    expect(ack.parse({ ok: true, data: null })).toEqual({ ok: true, data: null });
    const refused = { ok: false, error: { code: 'CHAT_ACCESS_DENIED', message: 'No' } };
    expect(ack.parse(refused)).toEqual(refused);
    expect(ack.safeParse({ ok: false, error: { code: 'NOPE', message: 'No' } }).success).toBe(
      false,
    );
  });
});
