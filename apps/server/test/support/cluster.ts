import type { ServerToClientEvents } from '@chat/contracts';
import { type RedisServer, type ServerProcess, startServerProcess } from './server-process.js';
import { type ClientSocket, connectClient } from './sockets.js';
import { TcpProxy } from './tcp-proxy.js';
import { requiredServiceUrl, startTestApp, type TestApp, type TestUser } from './test-app.js';

/** How long a multinode test waits for a socket ack. */
export const ACK_MS = 5_000;

export interface NodeOptions {
  /** Settings beside those `startServerProcess` gives every node. */
  env?: Record<string, string>;
  /** Another database URL than DATABASE_URL (e.g. through a proxy). */
  databaseUrl?: string;
  /** Another Redis than REDIS_URL (e.g. a private one). */
  redisUrl?: string;
}

/**
 * What a multinode suite starts: its own app on the shared PostgreSQL (to make users and sessions
 * and to count rows), real server processes, client sockets, and the proxies and private Redis
 * servers it puts around them. `close()` in the suite's afterAll ends all of it, whatever happened.
 */
export class Cluster {
  readonly nodes: ServerProcess[] = [];
  readonly sockets: ClientSocket[] = [];
  private readonly others: Array<TcpProxy | RedisServer> = [];
  private app: TestApp | undefined;

  /** The PostgreSQL every node shares. */
  get databaseUrl(): string {
    return requiredServiceUrl('DATABASE_URL');
  }

  get redisUrl(): string {
    return requiredServiceUrl('REDIS_URL');
  }

  /** The suite's own app, once `start()` has opened it. */
  get t(): TestApp {
    if (!this.app) throw new Error('the cluster has not been started');
    return this.app;
  }

  async start(): Promise<TestApp> {
    this.app = await startTestApp({});
    return this.app;
  }

  readonly startNode = async (name: string, options: NodeOptions = {}): Promise<ServerProcess> => {
    const node = await startServerProcess({
      name,
      databaseUrl: options.databaseUrl ?? this.databaseUrl,
      redisUrl: options.redisUrl ?? this.redisUrl,
      env: options.env,
    });
    this.nodes.push(node);
    return node;
  };

  /** Starts nodes side by side; when one fails, the others have still come up to be closed. */
  async startNodes(names: string[], options: NodeOptions = {}): Promise<ServerProcess[]> {
    const started = await Promise.allSettled(names.map((name) => this.startNode(name, options)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return started.map((r) => (r as PromiseFulfilledResult<ServerProcess>).value);
  }

  /** An authenticated socket of `user` on a node, or on a proxy in front of one. */
  readonly connect = async (node: { url: string }, user: TestUser): Promise<ClientSocket> => {
    const socket = await connectClient(node.url, user.token);
    this.sockets.push(socket);
    return socket;
  };

  /** Ends `resource` (a proxy, a private Redis) in `close()`, beside the nodes. */
  track<T extends TcpProxy | RedisServer>(resource: T): T {
    this.others.push(resource);
    return resource;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.disconnect();
    const results = await Promise.allSettled([
      ...this.nodes.map((node) => node.stop()),
      ...this.others.map((other) => (other instanceof TcpProxy ? other.close() : other.stop())),
    ]);
    await this.app?.close();
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }
}

/** Names the event when its ack never came (socket.io's own error says only "operation has timed out"). */
export async function acked<T>(pending: Promise<T>, what: string): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    throw new Error(
      `no ack for ${what} within ${ACK_MS} ms (${error instanceof Error ? error.message : error})`,
    );
  }
}

/** join_chat, from `sinceSeq` when given; throws when it is refused. */
export async function join(
  socket: ClientSocket,
  sessionId: string,
  sinceSeq?: number,
): Promise<Parameters<ServerToClientEvents['chat_joined']>[0]> {
  const ack = await acked(
    socket.timeout(ACK_MS).emitWithAck('join_chat', {
      session_id: sessionId,
      ...(sinceSeq === undefined ? {} : { since_seq: sinceSeq }),
    }),
    'join_chat',
  );
  if (!ack.ok) throw new Error(`join_chat failed: ${ack.error.code}`);
  return ack.data;
}
