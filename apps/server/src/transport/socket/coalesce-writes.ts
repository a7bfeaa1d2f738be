import type { Socket } from 'node:net';

/** The parts of an engine.io connection `coalesceWrites` uses (not all in its public types). */
export interface EngineConnection {
  on(event: 'packetCreate', listener: () => void): void;
  on(event: 'flush', listener: (packets: readonly unknown[]) => void): void;
  /** Sends what is queued, when the transport is writable (engine.io's own method). */
  flush(): void;
  transport?: { name?: string; writable: boolean; socket?: { _socket?: Socket } };
}

/**
 * Everything written to one websocket connection during one turn of the event loop leaves in
 * one `writev` instead of one system call per frame. Writes were the largest item in the send
 * benchmark's CPU profile: each message is four frames (`new_message` to both sides,
 * `message_sent`, the ack), and a group commit answers a hundred senders in one burst.
 *
 * engine.io queues packets while its transport is not writable (that is how it waits for a
 * write in progress). The first packet of a turn marks the idle transport not writable, so the
 * rest of the turn's packets queue behind it; `setImmediate` (right after this turn's I/O
 * callbacks) makes it writable again and flushes the queue, with the TCP socket corked for that
 * synchronous flush so the frames go out in one write. Those are engine.io's and ws's internals,
 * so engine.io is pinned to one version and the test runs the real ones (docs/decisions.md).
 */
export function coalesceWrites(connection: EngineConnection): void {
  // Shared listeners (`this` is the connection): no closures kept per idle connection.
  connection.on('packetCreate', holdTurn);
  connection.on('flush', corkFlush);
}

/** Connections whose frames are being held for the rest of this turn. */
const holding = new WeakSet<EngineConnection>();

function holdTurn(this: EngineConnection): void {
  const { transport } = this;
  // Only an idle websocket: a write in progress queues the packet by itself, and the polling
  // transport already sends its queue as one response.
  if (holding.has(this) || transport?.name !== 'websocket' || !transport.writable) return;
  holding.add(this);
  transport.writable = false;
  setImmediate(releaseTurn, this, transport);
}

function releaseTurn(
  connection: EngineConnection,
  transport: NonNullable<EngineConnection['transport']>,
): void {
  holding.delete(connection);
  if (connection.transport !== transport || transport.writable) return;
  transport.writable = true;
  connection.flush();
}

function corkFlush(this: EngineConnection, packets: readonly unknown[]): void {
  if (packets.length < 2) return;
  const { transport } = this;
  // ws keeps its net.Socket as `_socket`.
  const raw = transport?.name === 'websocket' ? transport.socket?._socket : undefined;
  if (!raw || raw.destroyed || raw.writableCorked > 0) return;
  raw.cork();
  process.nextTick(uncork, raw);
}

const uncork = (raw: Socket) => raw.uncork();
