import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { sleep, waitUntil } from '@chat/testkit';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, openDatabase, queryRows, sql } from '../src/db/database.js';
import { TYPING_TIMEOUT_MS } from '../src/transport/socket/typing.js';
import { ACK_MS, Cluster, join } from './support/cluster.js';
import { createRedisServer, type ServerProcess } from './support/server-process.js';
import { type ClientSocket, nextEvent } from './support/sockets.js';
import { TcpProxy } from './support/tcp-proxy.js';
import type { TestApp, TestUser } from './support/test-app.js';

/**
 * Faults against real server processes on the real PostgreSQL and Redis: a node killed in the
 * middle of a stream of sends, PostgreSQL going away (refused, then silent) and coming back,
 * SIGTERM and a rolling restart under load, Redis going away with two nodes, and peers that
 * vanish without closing. Each test prints its figures ([faults] lines) for the closing note.
 *
 * The test process keeps its own app on the same database only to make users and sessions and
 * to count rows; every write under test goes through the nodes.
 */

const UNLIMITED = { RATE_LIMIT_MESSAGES_PER_MINUTE: '1000000' };

const cluster = new Cluster();
const { connect } = cluster;
let t: TestApp;

beforeAll(async () => {
  t = await cluster.start();
});

afterAll(async () => {
  await cluster.close();
});

/** A node with the message budget out of the way, unless `env` sets it. */
function startNode(
  name: string,
  env: Record<string, string> = {},
  overrides: { databaseUrl?: string; redisUrl?: string } = {},
) {
  return cluster.startNode(name, { ...overrides, env: { ...UNLIMITED, ...env } });
}

/** Every stored message of a session, straight from the database: id, seq, content. */
async function storedRows(sessionId: string) {
  return queryRows<{ id: string; seq: string | number; content: string | null }>(
    t.database.db,
    sql`SELECT id, seq, content FROM chat_messages WHERE session_id = ${sessionId} ORDER BY seq`,
  );
}

/** POST /api/chat/messages with the client's own id; ok only for a 200 or 201 answer. */
async function restSend(
  node: { url: string },
  user: TestUser,
  sessionId: string,
  id: string,
  content: string,
  timeoutMs = 10_000,
) {
  const started = Date.now();
  try {
    const response = await fetch(`${node.url}/api/chat/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id, session_id: sessionId, content }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as {
      success: boolean;
      code?: string;
      data?: { id: string; seq: number };
    };
    return {
      ok: response.status === 200 || response.status === 201,
      status: response.status,
      code: body.code,
      ms: Date.now() - started,
    };
  } catch (error) {
    return { ok: false, status: 0, code: (error as Error).name, ms: Date.now() - started };
  }
}

async function socketSend(
  socket: ClientSocket,
  sessionId: string,
  id: string,
  content: string,
  ackMs = ACK_MS,
) {
  const started = Date.now();
  try {
    const ack = await socket
      .timeout(ackMs)
      .emitWithAck('send_message', { session_id: sessionId, message: { id, content } });
    return { ok: ack.ok, code: ack.ok ? undefined : ack.error.code, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, code: (error as Error).message, ms: Date.now() - started };
  }
}

async function readyz(node: {
  url: string;
}): Promise<{ status: number; checks: Record<string, string> }> {
  const response = await fetch(`${node.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return {
    status: response.status,
    checks: ((await response.json()) as { checks: Record<string, string> }).checks,
  };
}

/** A proxy in front of PostgreSQL (closed with the cluster), and the database URL through it. */
async function databaseBehindProxy(): Promise<{ proxy: TcpProxy; url: string }> {
  const direct = new URL(cluster.databaseUrl);
  const proxy = cluster.track(
    await TcpProxy.start([{ host: direct.hostname, port: Number(direct.port || 5432) }]),
  );
  const viaProxy = new URL(direct);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  return { proxy, url: viaProxy.href };
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : Number.NaN;
}

describe('ack means committed', () => {
  it('SIGKILL in the middle of socket and REST sends: every acknowledged message is stored once; every retry of the rest lands once', async () => {
    const node = await startNode('K');
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const sender = await connect(node, client);
    const watcher = await connect(node, reader);
    await join(sender, sessionId);
    await join(watcher, sessionId);
    const delivered = new Map<string, number>();
    watcher.on('new_message', (m) => delivered.set(m.id, m.seq));

    type Attempt = { id: string; content: string; via: 'socket' | 'rest'; acked: boolean };
    const attempts: Attempt[] = [];
    let killed = false;
    const worker = async (via: 'socket' | 'rest', lane: number) => {
      for (let i = 0; !killed && i < 10_000; i++) {
        const attempt: Attempt = {
          id: randomUUID(),
          content: `${via} ${lane}.${i}`,
          via,
          acked: false,
        };
        attempts.push(attempt);
        const result =
          via === 'socket'
            ? await socketSend(sender, sessionId, attempt.id, attempt.content)
            : await restSend(node, reader, sessionId, attempt.id, attempt.content);
        attempt.acked = result.ok;
        if (!result.ok) return;
      }
    };
    // Four lanes each way, one send in flight per lane.
    const lanes = [0, 1, 2, 3].flatMap((lane) => [worker('socket', lane), worker('rest', lane)]);
    expect(await waitUntil(() => attempts.filter((a) => a.acked).length >= 150, 30_000, 10)).toBe(
      true,
    );
    await node.kill();
    const killedAt = Date.now();
    killed = true;
    await Promise.all(lanes);

    const acked = attempts.filter((a) => a.acked);
    const unacked = attempts.filter((a) => !a.acked);
    const afterCrash = await storedRows(sessionId);
    const storedIds = new Set(afterCrash.map((r) => r.id));
    // Every acknowledged message is there; nothing is there twice; seq has no gap.
    for (const a of acked) expect(storedIds.has(a.id), `acked ${a.content}`).toBe(true);
    expect(storedIds.size).toBe(afterCrash.length);
    expect(new Set(afterCrash.map((r) => r.content)).size).toBe(afterCrash.length);
    expect(afterCrash.map((r) => Number(r.seq))).toEqual(afterCrash.map((_, i) => i + 1));
    const committedUnacked = unacked.filter((a) => storedIds.has(a.id)).length;

    // Restart on the same database; the clients retry everything unacknowledged with the same id.
    const restarted = await startNode('K2');
    const recoveredMs = Date.now() - killedAt;
    const sender2 = await connect(restarted, client);
    const watcher2 = await connect(restarted, reader);
    const lastSeen = Math.max(0, ...delivered.values());
    let contiguous = 0;
    const seenSeqs = new Set(delivered.values());
    while (seenSeqs.has(contiguous + 1)) contiguous += 1;
    const catchUp = await join(watcher2, sessionId, contiguous);
    for (const m of catchUp.messages) delivered.set(m.id, m.seq);
    watcher2.on('new_message', (m) => delivered.set(m.id, m.seq));
    await join(sender2, sessionId);
    for (const a of unacked) {
      const result =
        a.via === 'socket'
          ? await socketSend(sender2, sessionId, a.id, a.content)
          : await restSend(restarted, reader, sessionId, a.id, a.content);
      expect(result.ok, `retry of ${a.content}: ${result.code}`).toBe(true);
    }

    const final = await storedRows(sessionId);
    expect(final).toHaveLength(attempts.length);
    expect(new Set(final.map((r) => r.id)).size).toBe(attempts.length);
    expect(new Set(final.map((r) => r.id))).toEqual(new Set(attempts.map((a) => a.id)));
    expect(final.map((r) => Number(r.seq))).toEqual(final.map((_, i) => i + 1));
    // The reader ends up with every stored message: live, or from the catch-up after the restart.
    expect(await waitUntil(() => final.every((r) => delivered.has(r.id)), 10_000)).toBe(true);

    console.log(
      `[faults] kill -9 mid-stream: ${attempts.length} sent (${attempts.filter((a) => a.via === 'socket').length} socket, ` +
        `${attempts.filter((a) => a.via === 'rest').length} REST), ${acked.length} acknowledged before the kill, ` +
        `${afterCrash.length} stored at the kill (${committedUnacked} committed without an ack), ${unacked.length} retried ` +
        `with the same id after the restart, ${final.length} stored in the end (each once, seq 1..${final.length} gap-free), ` +
        `${delivered.size} delivered to the reader (live up to seq ${lastSeen}, the rest by join_chat since_seq ${contiguous}); ` +
        `node back ${recoveredMs} ms after the kill`,
    );
  }, 180_000);
});

describe('PostgreSQL unavailable', () => {
  it('refused, then silent: requests fail fast with SERVICE_UNAVAILABLE, nothing is acknowledged, /readyz says so, and the node recovers by itself', async () => {
    const { proxy, url: viaProxy } = await databaseBehindProxy();
    // A short statement timeout bounds how long a silent database can hold a request.
    const node = await startNode(
      'P',
      { DATABASE_STATEMENT_TIMEOUT_MS: '2000' },
      { databaseUrl: viaProxy },
    );
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const socket = await connect(node, client);
    await join(socket, sessionId);
    expect((await restSend(node, client, sessionId, randomUUID(), 'before')).ok).toBe(true);
    expect((await readyz(node)).status).toBe(200);

    const phase = async (label: string, boundMs: number) => {
      const rest = await restSend(node, reader, sessionId, randomUUID(), `${label} rest`);
      const sock = await socketSend(socket, sessionId, randomUUID(), `${label} socket`, 20_000);
      const list = await fetch(`${node.url}/api/chat/messages?session_id=${sessionId}`, {
        headers: { authorization: `Bearer ${client.token}` },
        signal: AbortSignal.timeout(15_000),
      });
      const listBody = (await list.json()) as { success: boolean; code: string; details: string[] };
      expect({ status: rest.status, code: rest.code }, `${label}: REST send`).toEqual({
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
      });
      expect(sock, `${label}: socket send`).toMatchObject({
        ok: false,
        code: 'SERVICE_UNAVAILABLE',
      });
      expect(
        { status: list.status, success: listBody.success, code: listBody.code },
        `${label}: list`,
      ).toEqual({
        status: 503,
        success: false,
        code: 'SERVICE_UNAVAILABLE',
      });
      expect(list.headers.get('retry-after')).toBe('5');
      expect(Array.isArray(listBody.details)).toBe(true);
      expect(rest.ms, `${label}: REST answered within ${boundMs} ms`).toBeLessThan(boundMs);
      expect(sock.ms, `${label}: socket answered within ${boundMs} ms`).toBeLessThan(boundMs);
      const ready = await readyz(node);
      expect(ready.status).toBe(503);
      expect(ready.checks.database).not.toBe('ok');
      expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
      return { rest, sock };
    };

    // Silent first, while the pool holds open connections: nothing comes back on them, and new
    // ones never finish connecting (a network cut).
    proxy.blackhole();
    const outageStarted = Date.now();
    const silent = await phase('silent', 12_000);
    expect(node.process.exited).toBe(false);

    // Refused: every connection is reset, new ones too (the database is down).
    proxy.refuse();
    const refused = await phase('refused', 7_000);
    // A socket opened now cannot look up its user: told so, not "wrong token".
    const late = await new Promise<{ code: string } | undefined>((resolve) => {
      const s = io(node.url, {
        auth: { token: client.token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      const done = (value: { code: string } | undefined) => {
        clearTimeout(timer);
        s.disconnect();
        resolve(value);
      };
      const timer = setTimeout(() => done(undefined), 10_000);
      s.once('auth_error', (e) => done(e));
      s.once('authenticated', () => done(undefined));
    });
    expect(late?.code).toBe('SERVICE_UNAVAILABLE');

    // The database is back: the node recovers without a restart.
    proxy.forward();
    const backAt = Date.now();
    let recovered = false;
    let probes = 0;
    while (!recovered && Date.now() - backAt < 30_000) {
      probes += 1;
      recovered = (await restSend(node, client, sessionId, randomUUID(), `probe ${probes}`)).ok;
      if (!recovered) await sleep(100);
    }
    expect(recovered).toBe(true);
    const recoveryMs = Date.now() - backAt;
    expect(await waitUntil(async () => (await readyz(node)).status === 200, 10_000)).toBe(true);

    // Nothing sent during the outage was stored (nothing was acknowledged either).
    const rows = await storedRows(sessionId);
    const during = rows.filter(
      (r) => r.content?.startsWith('refused') || r.content?.startsWith('silent'),
    );
    expect(during).toEqual([]);
    const outageSends = [silent.rest, silent.sock, refused.rest, refused.sock];
    expect(outageSends.filter((r) => r.ok)).toEqual([]);
    // No pooled connection was lost to the outage: more concurrent sends than the pool (4) has connections.
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        restSend(node, i % 2 ? client : reader, sessionId, randomUUID(), `after ${i}`),
      ),
    );
    expect(burst.every((r) => r.ok)).toBe(true);
    expect(await socketSend(socket, sessionId, randomUUID(), 'socket after')).toMatchObject({
      ok: true,
    });

    console.log(
      `[faults] PostgreSQL refused: REST send answered 503 in ${refused.rest.ms} ms, socket send in ${refused.sock.ms} ms; ` +
        `silent (network cut, statement timeout 2 s): REST in ${silent.rest.ms} ms, socket in ${silent.sock.ms} ms; ` +
        `${outageSends.length} sends during the outage (${backAt - outageStarted} ms in all): 0 acknowledged, 0 stored; ` +
        `recovered ${recoveryMs} ms after the database came back (${probes} probe(s)), no restart, pool intact`,
    );
  }, 180_000);
});

describe('the PostgreSQL pool through an outage', () => {
  it('transactions that fail on a silent connection give their connection back: the pool serves again when the database returns', async () => {
    const { proxy, url: viaProxy } = await databaseBehindProxy();
    const database = await openDatabase({
      kind: 'postgres',
      url: viaProxy,
      poolSize: 2,
      statementTimeoutMs: 500,
    });
    try {
      // Two idle pooled connections, then the network goes silent.
      await Promise.all(
        [1, 2].map(() => database.transaction((tx) => tx.execute(sql`SELECT pg_sleep(0.05)`))),
      );
      proxy.blackhole();
      const failures: number[] = [];
      for (let i = 0; i < 4; i++) {
        const started = Date.now();
        const outcome = await database
          .transaction((tx) => tx.execute(sql`SELECT 1`))
          .then(
            () => 'committed',
            (error: unknown) => (isDatabaseUnavailable(error) ? 'unavailable' : String(error)),
          );
        expect(outcome).toBe('unavailable');
        failures.push(Date.now() - started);
      }
      // Each failed within the query timeout (0.5 s + 1 s) or the connect timeout (5 s).
      expect(Math.max(...failures)).toBeLessThan(7_000);
      proxy.forward();
      const backAt = Date.now();
      const rows = await database.transaction((tx) =>
        queryRows<{ one: number }>(tx, sql`SELECT 1 AS one`),
      );
      expect(rows).toEqual([{ one: 1 }]);
      // More transactions than connections, at once: none waits for a connection that leaked.
      await Promise.all(
        [1, 2, 3, 4, 5].map(() => database.transaction((tx) => tx.execute(sql`SELECT 1`))),
      );
      const recoveredMs = Date.now() - backAt;
      expect(recoveredMs).toBeLessThan(3_000);
      console.log(
        `[faults] pool of 2 through a silent network: 4 transactions failed as unavailable in ${failures.join(', ')} ms; ` +
          `served again ${recoveredMs} ms after the network returned`,
      );
    } finally {
      await database.close();
    }
  }, 60_000);
});

/** A socket.io client as an app would run it: reconnects by itself (through the balancer). */
function resilientClient(url: string, user: TestUser) {
  const socket = io(url, {
    auth: { token: user.token },
    transports: ['websocket'],
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    randomizationFactor: 0,
    forceNew: true,
  }) as ClientSocket;
  cluster.sockets.push(socket);
  return socket;
}

/**
 * A reader that catches up the documented way: on every (re)connection it joins with the
 * highest contiguous seq it has, and keeps what arrives live. Returns what it has seen.
 */
function catchingUpReader(socket: ClientSocket, sessionId: string) {
  const seen = new Map<string, number>();
  const bySeq = new Set<number>();
  let reconnects = -1;
  const contiguous = () => {
    let n = 0;
    while (bySeq.has(n + 1)) n += 1;
    return n;
  };
  const add = (m: { id: string; seq: number }) => {
    seen.set(m.id, m.seq);
    bySeq.add(m.seq);
  };
  socket.on('new_message', add);
  socket.on('connect', () => {
    reconnects += 1;
    socket
      .timeout(ACK_MS)
      .emitWithAck('join_chat', { session_id: sessionId, since_seq: contiguous() })
      .then((ack) => {
        if (ack.ok) for (const m of ack.data.messages) add(m);
      })
      .catch(() => {
        // The next connection joins again.
      });
  });
  return { seen, contiguous, reconnects: () => reconnects };
}

describe('SIGTERM and a rolling restart', () => {
  let A: ServerProcess;
  let B: ServerProcess;
  let balancer: TcpProxy;
  const target = (node: ServerProcess) => ({ host: '127.0.0.1', port: node.port });

  beforeAll(async () => {
    [A, B] = await Promise.all([
      startNode(
        'A',
        {},
        { databaseUrl: withApplicationName(cluster.databaseUrl, `chat-node-A-${process.pid}`) },
      ),
      startNode('B'),
    ]);
    balancer = cluster.track(await TcpProxy.start([target(A), target(B)]));
  });

  it('SIGTERM: stops accepting, finishes the request in flight, drops sockets so they reconnect, closes its pools, exits 0 in time', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const appName = `chat-node-A-${process.pid}`;
    const connectionsOf = async () =>
      Number(
        (
          await queryRows<{ n: string }>(
            t.database.db,
            sql`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ${appName}`,
          )
        )[0]?.n ?? 0,
      );
    expect(await connectionsOf()).toBeGreaterThan(0);

    // A socket on A that would reconnect by itself.
    const socket = io(A.url, {
      auth: { token: client.token },
      transports: ['websocket'],
      reconnectionDelay: 200,
      forceNew: true,
    }) as ClientSocket;
    cluster.sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('authenticated', () => resolve()));
    await join(socket, sessionId);
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const reconnecting = new Promise<void>((resolve) =>
      socket.io.once('reconnect_attempt', () => resolve()),
    );

    // A request in flight: headers and half the body sent before the signal, the rest after.
    const id = randomUUID();
    const body = Buffer.from(
      JSON.stringify({ id, session_id: sessionId, content: 'in flight across SIGTERM' }),
    );
    let responseStatus = 0;
    const inFlightRequest: { current?: ReturnType<typeof httpRequest> } = {};
    const inFlight = new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${A.url}/api/chat/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${client.token}`,
          'content-type': 'application/json',
          'content-length': String(body.length),
        },
      });
      request.on('response', (response) => {
        response.resume();
        responseStatus = response.statusCode ?? 0;
        response.on('end', () => resolve(responseStatus));
      });
      request.on('error', reject);
      request.write(body.subarray(0, 20));
      inFlightRequest.current = request;
    });
    await sleep(200);

    const signalledAt = Date.now();
    A.process.child.kill('SIGTERM');
    expect(await withTimeout(disconnected, 5_000)).toBe('transport close');
    await withTimeout(reconnecting, 5_000);
    // New connections are refused (or answered 503) while the node drains.
    const refusedNew = await waitUntil(
      async () => {
        try {
          const response = await fetch(`${A.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
          if (response.status !== 503) return false;
          // Turned away with the envelope: a client retries elsewhere.
          expect(await response.json()).toMatchObject({
            success: false,
            code: 'SERVICE_UNAVAILABLE',
          });
          return true;
        } catch {
          return true;
        }
      },
      5_000,
      50,
    );
    expect(refusedNew).toBe(true);
    await sleep(300);
    expect(A.process.exited, 'waits for the request in flight').toBe(false);
    inFlightRequest.current?.end(body.subarray(20));
    expect(await withTimeout(inFlight, 10_000)).toBe(201);
    const answeredAt = Date.now();
    expect(await A.process.waitForExit(15_000)).toBe(true);
    const exitMs = Date.now() - signalledAt;
    // The answer closed its keep-alive connection, so nothing held the exit back after it.
    const afterAnswerMs = Date.now() - answeredAt;
    expect(afterAnswerMs).toBeLessThan(3_000);
    expect(A.process.exit).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(15_000);
    expect((await storedRows(sessionId)).map((r) => r.id)).toEqual([id]);
    expect(await waitUntil(async () => (await connectionsOf()) === 0, 5_000)).toBe(true);
    socket.disconnect();
    console.log(
      `[faults] SIGTERM: request in flight answered 201, sockets dropped with 'transport close' and retried, exit code 0 ${afterAnswerMs} ms after that answer (${exitMs} ms after the signal, the request held on purpose), PostgreSQL connections of the node: 0`,
    );

    // Back in service for the next test.
    await A.stop();
    A = await startNode('A2');
    balancer.setTargets([target(A), target(B)]);
  }, 120_000);

  it('a rolling restart of one of two nodes under a send load loses no acknowledged message', async () => {
    const PAIRS = 6;
    const chats = await Promise.all(Array.from({ length: PAIRS }, () => t.factory.bookingChat()));
    const senders = chats.map((chat) => ({
      chat,
      socket: resilientClient(balancer.url, chat.client),
    }));
    const readers = chats.map((chat) =>
      catchingUpReader(resilientClient(balancer.url, chat.reader), chat.sessionId),
    );
    // Everyone connected and joined before the load starts.
    await Promise.all(
      senders.map(async ({ socket, chat }) => {
        await new Promise<void>((resolve) =>
          socket.connected ? resolve() : socket.once('connect', () => resolve()),
        );
        await join(socket, chat.sessionId);
      }),
    );
    expect(await waitUntil(() => readers.every((r) => r.reconnects() === 0), 10_000)).toBe(true);

    type Sent = { id: string; sessionId: string; attempts: number; acked: boolean };
    const sent: Sent[] = [];
    let stopping = false;
    let retries = 0;
    const reconnectGaps: number[] = [];
    const sendLoop = async ({ chat, socket }: (typeof senders)[number]) => {
      let lostAt: number | undefined;
      socket.on('disconnect', () => {
        lostAt = Date.now();
      });
      socket.on('connect', () => {
        if (lostAt !== undefined) reconnectGaps.push(Date.now() - lostAt);
        lostAt = undefined;
      });
      for (let i = 0; !stopping && i < 100_000; i++) {
        const message: Sent = {
          id: randomUUID(),
          sessionId: chat.sessionId,
          attempts: 0,
          acked: false,
        };
        sent.push(message);
        // A client retries the same id until acknowledged (bounded), as the design asks.
        while (!message.acked && message.attempts < 40) {
          message.attempts += 1;
          if (message.attempts > 1) retries += 1;
          if (!socket.connected) await waitUntil(() => socket.connected, 10_000, 20);
          const result = await socketSend(socket, chat.sessionId, message.id, `load ${i}`);
          message.acked = result.ok;
          if (!message.acked) await sleep(100);
        }
        await sleep(10);
      }
    };
    const loops = senders.map((s) => sendLoop(s));
    expect(await waitUntil(() => sent.filter((m) => m.acked).length >= 100, 30_000, 20)).toBe(true);

    // Roll B: SIGTERM, wait for it to exit, start it again, back behind the balancer.
    const ackedBeforeRestart = sent.filter((m) => m.acked).length;
    const rollStarted = Date.now();
    // As an orchestrator does: out of the balancer, then SIGTERM.
    const stoppedB = B;
    balancer.setTargets([target(A)]);
    stoppedB.process.child.kill('SIGTERM');
    expect(await stoppedB.process.waitForExit(15_000)).toBe(true);
    expect(stoppedB.process.exit?.code).toBe(0);
    const drainMs = Date.now() - rollStarted;
    await stoppedB.stop();
    B = await startNode('B2');
    balancer.setTargets([target(A), target(B)]);
    const rollMs = Date.now() - rollStarted;
    const ackedAtRestart = sent.filter((m) => m.acked).length;
    expect(
      await waitUntil(() => sent.filter((m) => m.acked).length >= ackedAtRestart + 100, 30_000, 20),
    ).toBe(true);
    stopping = true;
    await Promise.all(loops);

    expect(sent.every((m) => m.acked)).toBe(true);
    const all = new Map<string, Awaited<ReturnType<typeof storedRows>>>();
    for (const chat of chats) all.set(chat.sessionId, await storedRows(chat.sessionId));
    const stored = [...all.values()].flat();
    const storedIds = new Set(stored.map((r) => r.id));
    // Each acknowledged message stored exactly once (no retry made a second row), seq gap-free.
    expect(stored).toHaveLength(sent.length);
    for (const m of sent) expect(storedIds.has(m.id)).toBe(true);
    for (const rows of all.values())
      expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    // Every reader ends up with every message of its session (live or through since_seq).
    const everyoneHasAll = () =>
      chats.every((chat, i) =>
        (all.get(chat.sessionId) ?? []).every((r) => readers[i]?.seen.has(r.id)),
      );
    expect(await waitUntil(everyoneHasAll, 15_000)).toBe(true);
    const delivered = readers.reduce((n, r) => n + r.seen.size, 0);
    const readerReconnects = readers.reduce((n, r) => n + r.reconnects(), 0);
    const senderReconnects = reconnectGaps.length;
    expect(senderReconnects + readerReconnects).toBeGreaterThan(0);

    console.log(
      `[faults] rolling restart of one of two nodes under load (${PAIRS} sender/reader pairs over a TCP balancer, WebSocket only): ` +
        `${sent.length} messages sent (${retries} retries of unacknowledged sends), ${sent.length} acknowledged ` +
        `(${ackedBeforeRestart} before the restart), ${stored.length} stored (each once), ${delivered} delivered to readers; ` +
        `${senderReconnects} sender and ${readerReconnects} reader reconnections, longest sender gap ${Math.max(0, ...reconnectGaps)} ms; ` +
        `the node drained in ${drainMs} ms, the roll took ${rollMs} ms`,
    );
  }, 240_000);
});

describe('Redis unavailable with two nodes', () => {
  it('sends keep working; the message budget falls back to each node and is shared again when Redis returns', async () => {
    const redis = cluster.track(await createRedisServer());
    await redis.start();
    const [R1, R2] = await Promise.all([
      startNode('R1', { RATE_LIMIT_MESSAGES_PER_MINUTE: '3' }, { redisUrl: redis.url }),
      startNode('R2', { RATE_LIMIT_MESSAGES_PER_MINUTE: '3' }, { redisUrl: redis.url }),
    ]);
    const sendAs = (node: ServerProcess, user: TestUser, sessionId: string, content: string) =>
      restSend(node, user, sessionId, randomUUID(), content);
    const outcomes = async (
      plan: Array<[ServerProcess, string]>,
      user: TestUser,
      sessionId: string,
    ) => {
      const results: string[] = [];
      for (const [node, label] of plan) {
        const r = await sendAs(node, user, sessionId, label);
        results.push(r.ok ? 'ok' : String(r.code));
      }
      return results;
    };

    // Shared: 3 a minute per user across both nodes.
    const shared = await t.factory.bookingChat();
    expect(
      await outcomes(
        [
          [R1, '1'],
          [R1, '2'],
          [R2, '3'],
          [R2, '4'],
          [R1, '5'],
        ],
        shared.client,
        shared.sessionId,
      ),
    ).toEqual(['ok', 'ok', 'ok', 'RATE_LIMIT_EXCEEDED', 'RATE_LIMIT_EXCEEDED']);

    await redis.kill();
    const downAt = Date.now();
    expect(
      await waitUntil(
        async () =>
          (await readyz(R1)).checks.redis !== 'ok' && (await readyz(R2)).checks.redis !== 'ok',
        10_000,
      ),
    ).toBe(true);
    // Per node while Redis is away: each node counts on its own.
    const perNode = await t.factory.bookingChat();
    const during = await outcomes(
      [
        [R1, '1'],
        [R1, '2'],
        [R1, '3'],
        [R1, '4'],
        [R2, '5'],
        [R2, '6'],
        [R2, '7'],
        [R2, '8'],
      ],
      perNode.client,
      perNode.sessionId,
    );
    expect(during).toEqual([
      'ok',
      'ok',
      'ok',
      'RATE_LIMIT_EXCEEDED',
      'ok',
      'ok',
      'ok',
      'RATE_LIMIT_EXCEEDED',
    ]);
    // Reads and other users' sends are unaffected.
    expect((await sendAs(R2, perNode.reader, perNode.sessionId, 'reader during')).ok).toBe(true);

    await redis.start();
    const upAt = Date.now();
    expect(
      await waitUntil(
        async () =>
          (await readyz(R1)).checks.redis === 'ok' && (await readyz(R2)).checks.redis === 'ok',
        30_000,
        200,
      ),
    ).toBe(true);
    const sharedAgainMs = Date.now() - upAt;
    const again = await t.factory.bookingChat();
    expect(
      await outcomes(
        [
          [R2, '1'],
          [R1, '2'],
          [R2, '3'],
          [R1, '4'],
          [R2, '5'],
        ],
        again.client,
        again.sessionId,
      ),
    ).toEqual(['ok', 'ok', 'ok', 'RATE_LIMIT_EXCEEDED', 'RATE_LIMIT_EXCEEDED']);
    const stored = (await storedRows(perNode.sessionId)).length;
    expect(stored).toBe(7);
    console.log(
      `[faults] Redis down ${upAt - downAt} ms with two nodes (budget 3/min): per-node budgets while down (${during.filter((d) => d === 'ok').length} of ${during.length} ` +
        `sends accepted across the two nodes, 3 each), shared again ${sharedAgainMs} ms after Redis answered`,
    );
  }, 120_000);
});

describe('dead peers', () => {
  it('a client that vanishes without closing is dropped within the heartbeat bound: typing stops, user_left is sent, its socket is gone', async () => {
    const PING_INTERVAL = 1_000;
    const PING_TIMEOUT = 1_000;
    const node = await startNode('H', {
      SOCKET_PING_INTERVAL_MS: String(PING_INTERVAL),
      SOCKET_PING_TIMEOUT_MS: String(PING_TIMEOUT),
    });
    const network = cluster.track(await TcpProxy.start([{ host: '127.0.0.1', port: node.port }]));
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const watcher = await connect(node, reader);
    await join(watcher, sessionId);
    const typist = await connect(network, client);
    await join(typist, sessionId);
    const openBefore = metricValue(await node.metrics(), 'chat_open_sockets');

    const typing = nextEvent(watcher, 'user_typing', (e) => e.is_typing);
    typist.emit('typing_start', { session_id: sessionId });
    await typing;
    // Give the heartbeat a full round with the peer alive, then cut it off without a word.
    await sleep(PING_INTERVAL + 200);
    const stopped = nextEvent(
      watcher,
      'user_typing',
      (e) => !e.is_typing && e.user_id === client.id,
      15_000,
    );
    const left = nextEvent(watcher, 'user_left', (e) => e.user_id === client.id, 15_000);
    network.blackhole();
    const cutAt = Date.now();
    await stopped;
    const typingStoppedMs = Date.now() - cutAt;
    expect(await left).toEqual({
      user_id: client.id,
      user_name: `${client.firstName} ${client.lastName}`,
      session_id: sessionId,
    });
    const leftMs = Date.now() - cutAt;
    const bound = PING_INTERVAL + PING_TIMEOUT + 1_500;
    expect(leftMs).toBeLessThan(bound);
    // Typing ended because the socket was dropped, not by the 6 s typing timeout.
    expect(typingStoppedMs).toBeLessThan(Math.min(bound, TYPING_TIMEOUT_MS));
    expect(
      await waitUntil(
        async () => metricValue(await node.metrics(), 'chat_open_sockets') === openBefore - 1,
        5_000,
      ),
    ).toBe(true);
    console.log(
      `[faults] dead peer (heartbeat ${PING_INTERVAL} + ${PING_TIMEOUT} ms): typing stopped ${typingStoppedMs} ms and user_left ` +
        `${leftMs} ms after the network went silent; open sockets on the node ${openBefore} → ${openBefore - 1}`,
    );
  }, 90_000);
});

/** The same database URL, its connections named so pg_stat_activity can tell them apart. */
function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.href;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> {
  return Promise.race([promise, sleep(ms).then(() => 'timed out' as const)]);
}
