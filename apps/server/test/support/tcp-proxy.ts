import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface ProxyTarget {
  host: string;
  port: number;
}

/**
 * What the proxy does with connections:
 * - `forward`: pass bytes both ways (to the first target that accepts, round robin);
 * - `refuse`: close every open connection and every new one at once (a database or a node
 *   that is down: the peer sees its connection reset);
 * - `blackhole`: keep every connection open and pass nothing, either way (a network cut or a
 *   peer that froze: nobody is told anything, the bytes just stop).
 */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

/**
 * A TCP proxy on loopback that a test can break in the ways production breaks: a database
 * that goes away, a network that goes silent, a client that vanishes without closing. With
 * several targets it is a small load balancer: round robin, skipping a target that refuses.
 */
export class TcpProxy {
  private mode: ProxyMode = 'forward';
  private readonly pairs = new Set<Pair>();
  private next = 0;
  /** Connections accepted, for the report. */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private targets: ProxyTarget[],
  ) {}

  static async start(targets: ProxyTarget[]): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const proxy = new TcpProxy(server, port, targets);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get openConnections(): number {
    return this.pairs.size;
  }

  setTargets(targets: ProxyTarget[]): void {
    this.targets = targets;
  }

  /** Passes bytes again, for new connections; connections that were held silent are closed. */
  forward(): void {
    if (this.mode === 'blackhole') this.destroyAll();
    this.mode = 'forward';
  }

  refuse(): void {
    this.mode = 'refuse';
    this.destroyAll();
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const pair of this.pairs) this.silence(pair);
  }

  async close(): Promise<void> {
    this.destroyAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    client.on('error', () => {});
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined };
    this.pairs.add(pair);
    if (this.mode === 'blackhole') {
      this.silence(pair);
      return;
    }
    client.pause();
    this.connect(pair, 0);
  }

  /** Tries each target once, starting at the round-robin position. */
  private connect(pair: Pair, attempt: number): void {
    if (attempt >= this.targets.length) {
      this.drop(pair);
      return;
    }
    const target = this.targets[(this.next + attempt) % this.targets.length] as ProxyTarget;
    const upstream = createConnection(target);
    upstream.on('error', () => {
      if (pair.upstream === upstream) this.drop(pair);
      else if (this.mode === 'forward') this.connect(pair, attempt + 1);
      else this.drop(pair);
    });
    upstream.once('connect', () => {
      this.next = (this.next + attempt + 1) % Math.max(1, this.targets.length);
      if (this.mode !== 'forward' || pair.client.destroyed) {
        upstream.destroy();
        if (this.mode === 'refuse') this.drop(pair);
        return;
      }
      pair.upstream = upstream;
      pair.client.pipe(upstream);
      upstream.pipe(pair.client);
      const close = () => {
        if (this.mode !== 'blackhole') this.drop(pair);
      };
      pair.client.once('close', close);
      upstream.once('close', close);
      pair.client.resume();
    });
  }

  /** Stops the bytes both ways and ignores either side closing: the other side hears nothing. */
  private silence(pair: Pair): void {
    pair.client.unpipe();
    pair.upstream?.unpipe();
    pair.client.pause();
    pair.upstream?.pause();
  }

  private drop(pair: Pair): void {
    this.pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  private destroyAll(): void {
    for (const pair of [...this.pairs]) this.drop(pair);
  }
}
