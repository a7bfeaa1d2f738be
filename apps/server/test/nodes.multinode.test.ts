import { sleep, waitUntil } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACK_MS, acked, Cluster, join } from './support/cluster.js';
import {
  createRedisServer,
  type RedisServer,
  type ServerProcess,
} from './support/server-process.js';
import { type ClientSocket, collect, nextEvent } from './support/sockets.js';
import type { TestUser } from './support/test-app.js';

/**
 * Two real server processes (A and B) on one PostgreSQL and one Redis. The test process only
 * makes users, bookings and sessions (its own app, same database); every write the nodes must
 * broadcast goes through the nodes themselves (their sockets or their REST API).
 */

/** How long the private Redis stays down in the restart test. */
const OUTAGE_MS = 3_000;

const send = (socket: ClientSocket, sessionId: string, content: string) =>
  acked(
    socket
      .timeout(ACK_MS)
      .emitWithAck('send_message', { session_id: sessionId, message: { content } }),
    `send_message "${content}"`,
  );

const nameOf = (user: TestUser) => `${user.firstName} ${user.lastName}`;

/**
 * Typing probes from `typist` until `watcher` (on the other node) hears one: the adapter of both
 * nodes is subscribed and reading. Typing has its own budget, so no message budget is spent.
 */
async function waitForTypingAcross(
  typist: ClientSocket,
  watcher: ClientSocket,
  sessionId: string,
  timeoutMs: number,
): Promise<boolean> {
  return waitUntil(
    async () => {
      const heard = nextEvent(
        watcher,
        'user_typing',
        (e) => e.is_typing && e.session_id === sessionId,
        700,
      ).then(
        () => true,
        () => false,
      );
      typist.emit('typing_start', { session_id: sessionId });
      const ok = await heard;
      typist.emit('typing_stop', { session_id: sessionId });
      return ok;
    },
    timeoutMs,
    0,
  );
}

/** Both nodes deliver to each other before any test relies on it. */
async function warmUp(cluster: Cluster, a: ServerProcess, b: ServerProcess): Promise<void> {
  const { connect } = cluster;
  const { client, reader, sessionId } = await cluster.t.factory.bookingChat();
  const onA = await connect(a, client);
  const onB = await connect(b, reader);
  await join(onA, sessionId);
  await join(onB, sessionId);
  const aToB = await waitForTypingAcross(onA, onB, sessionId, 20_000);
  const bToA = await waitForTypingAcross(onB, onA, sessionId, 20_000);
  onA.disconnect();
  onB.disconnect();
  if (!aToB || !bToA)
    throw new Error(`nodes never delivered to each other (A→B ${aToB}, B→A ${bToA})`);
}

describe('two nodes on one PostgreSQL and one Redis', () => {
  const cluster = new Cluster();
  let A: ServerProcess;
  let B: ServerProcess;
  const { connect } = cluster;
  const t = () => cluster.t;

  beforeAll(async () => {
    await cluster.start();
    [A, B] = (await cluster.startNodes(['A', 'B'], {
      // Small, so the shared-budget test needs few sends; every other test sends at most 3 per user.
      env: { RATE_LIMIT_MESSAGES_PER_MINUTE: '3' },
    })) as [ServerProcess, ServerProcess];
    await warmUp(cluster, A, B);
  });

  afterAll(async () => {
    await cluster.close();
  });

  it('send_message on A reaches the reader on B as new_message; the sender gets message_sent', async () => {
    const { client, reader, sessionId } = await t().factory.bookingChat();
    const c = await connect(A, client);
    const r = await connect(B, reader);
    await join(c, sessionId);
    await join(r, sessionId);

    const atReader = nextEvent(r, 'new_message');
    const atSender = nextEvent(c, 'new_message');
    const sent = nextEvent(c, 'message_sent');
    const ack = await send(c, sessionId, 'Hello from node A');
    expect(ack.ok).toBe(true);

    const message = await atReader;
    expect(message).toMatchObject({
      content: 'Hello from node A',
      session_id: sessionId,
      sender_id: client.id,
      sender: { id: client.id, name: nameOf(client), avatar: null },
      seq: 1,
    });
    expect(message.timestamp).toBe(message.created_at);
    expect(await sent).toEqual({
      message_id: message.id,
      session_id: sessionId,
      seq: 1,
      created_at: message.created_at,
    });
    expect(ack.ok && ack.data.message_id).toBe(message.id);
    expect((await atSender).id).toBe(message.id);
  });

  it('user_joined and user_left (leave_chat) cross nodes', async () => {
    const { client, reader, sessionId } = await t().factory.bookingChat();
    const c = await connect(A, client);
    const r = await connect(B, reader);
    await join(c, sessionId);
    const joined = nextEvent(c, 'user_joined');
    await join(r, sessionId);
    expect(await joined).toEqual({
      user_id: reader.id,
      user_name: nameOf(reader),
      session_id: sessionId,
    });

    const left = nextEvent(c, 'user_left');
    const ack = await acked(
      r.timeout(ACK_MS).emitWithAck('leave_chat', { session_id: sessionId }),
      'leave_chat',
    );
    expect(ack.ok).toBe(true);
    expect(await left).toEqual({
      user_id: reader.id,
      user_name: nameOf(reader),
      session_id: sessionId,
    });
  });

  it('typing on B reaches A, and never any socket of the typist', async () => {
    const { client, reader, sessionId } = await t().factory.bookingChat();
    const c = await connect(A, client);
    const typist = await connect(B, reader);
    const typistOtherTab = await connect(A, reader);
    for (const s of [c, typist, typistOtherTab]) await join(s, sessionId);
    const atTypist = collect(typist, 'user_typing');
    const atOtherTab = collect(typistOtherTab, 'user_typing');

    const started = nextEvent(c, 'user_typing');
    typist.emit('typing_start', { session_id: sessionId });
    expect(await started).toEqual({
      user_id: reader.id,
      user_name: nameOf(reader),
      is_typing: true,
      session_id: sessionId,
    });
    const stopped = nextEvent(c, 'user_typing');
    typist.emit('typing_stop');
    expect(await stopped).toEqual({
      user_id: reader.id,
      user_name: nameOf(reader),
      is_typing: false,
      session_id: sessionId,
    });

    await sleep(300);
    expect(atTypist).toEqual([]);
    expect(atOtherTab).toEqual([]);
  });

  it('a message sent over REST to A ends the typing indicator of the sender typing on B', async () => {
    const { client, reader, sessionId } = await t().factory.bookingChat();
    const c = await connect(A, client);
    const typist = await connect(B, reader);
    for (const s of [c, typist]) await join(s, sessionId);
    const started = nextEvent(c, 'user_typing', (e) => e.is_typing);
    typist.emit('typing_start', { session_id: sessionId });
    await started;
    // Well before the typist's node would end it by its own 6 s timer.
    const stopped = nextEvent(c, 'user_typing', (e) => !e.is_typing, 3_000);
    const posted = await A.request('POST', '/api/chat/messages', reader.token, {
      session_id: sessionId,
      content: 'Sent from another device',
    });
    expect(posted.status).toBe(201);
    expect(await stopped).toMatchObject({ user_id: reader.id, session_id: sessionId });
  });

  it('a reaction on A reaches B as message_reaction_update', async () => {
    const { client, reader, sessionId } = await t().factory.bookingChat();
    const c = await connect(A, client);
    const r = await connect(B, reader);
    await join(c, sessionId);
    await join(r, sessionId);
    const posted = await B.request<{ data: { id: string } }>(
      'POST',
      '/api/chat/messages',
      reader.token,
      {
        session_id: sessionId,
        content: 'Your reading is ready',
      },
    );
    expect(posted.status).toBe(201);
    const messageId = posted.body.data.id;

    const update = nextEvent(r, 'message_reaction_update');
    const ack = await acked(
      c.timeout(ACK_MS).emitWithAck('message_reaction', { message_id: messageId, reaction: '❤️' }),
      'message_reaction',
    );
    expect(ack.ok).toBe(true);
    expect(await update).toEqual({
      message_id: messageId,
      session_id: sessionId,
      user_id: client.id,
      user_name: nameOf(client),
      reaction: '❤️',
      action: 'added',
      reactions: [{ reaction: '❤️', count: 1, user_ids: [client.id] }],
    });
  });

  it('a read receipt marked on B reaches the sender on A', async () => {
    const { client, reader, sessionId } = await t().factory.bookingChat();
    const c = await connect(A, client);
    const r = await connect(B, reader);
    await join(c, sessionId);
    await join(r, sessionId);
    const ack = await send(c, sessionId, 'Did you get this?');
    if (!ack.ok) throw new Error(ack.error.code);
    const receipt = nextEvent(c, 'messages_read');
    const read = await acked(
      r.timeout(ACK_MS).emitWithAck('mark_read', { message_id: ack.data.message_id }),
      'mark_read',
    );
    expect(read.ok).toBe(true);
    expect(await receipt).toMatchObject({
      session_id: sessionId,
      user_id: reader.id,
      last_read_seq: ack.data.seq,
    });
  });

  it('a user with tabs on both nodes: closing the tab on A gives no user_left, closing the last one on B does', async () => {
    const { client, reader, sessionId } = await t().factory.bookingChat();
    const watcherOnA = await connect(A, reader);
    const watcherOnB = await connect(B, reader);
    await join(watcherOnA, sessionId);
    await join(watcherOnB, sessionId);
    const tabOnA = await connect(A, client);
    const tabOnB = await connect(B, client);
    const joins = collect(watcherOnA, 'user_joined');
    await join(tabOnA, sessionId);
    await join(tabOnB, sessionId);
    const leftAtA = collect(watcherOnA, 'user_left');
    const leftAtB = collect(watcherOnB, 'user_left');

    tabOnA.disconnect();
    await sleep(1_000);
    expect(leftAtA).toEqual([]);
    expect(leftAtB).toEqual([]);
    // The second tab (on the other node) was not announced as a new arrival either.
    expect(joins.filter((j) => j.user_id === client.id)).toHaveLength(1);

    const expected = { user_id: client.id, user_name: nameOf(client), session_id: sessionId };
    const atA = nextEvent(watcherOnA, 'user_left');
    const atB = nextEvent(watcherOnB, 'user_left');
    tabOnB.disconnect();
    expect(await atA).toEqual(expected);
    expect(await atB).toEqual(expected);
    await sleep(300);
    expect(leftAtA).toHaveLength(1);
    expect(leftAtB).toHaveLength(1);
  });

  it('a message posted over REST to node B reaches a socket on node A', async () => {
    const { client, reader, sessionId } = await t().factory.bookingChat();
    const c = await connect(A, client);
    await join(c, sessionId);
    const live = nextEvent(c, 'new_message');
    const posted = await B.request<{ data: { id: string; seq: number } }>(
      'POST',
      '/api/chat/messages',
      reader.token,
      {
        session_id: sessionId,
        content: 'Posted to node B',
      },
    );
    expect(posted.status).toBe(201);
    const message = await live;
    expect(message).toMatchObject({
      id: posted.body.data.id,
      seq: posted.body.data.seq,
      content: 'Posted to node B',
    });
    expect(message.sender).toEqual({ id: reader.id, name: nameOf(reader), avatar: null });
  });

  it("chat_activity reaches a user's socket on the other node that did not join the session", async () => {
    const { client, reader, sessionId } = await t().factory.bookingChat();
    const c = await connect(A, client);
    await join(c, sessionId);
    const readerElsewhere = await connect(B, reader);
    const notJoined = collect(readerElsewhere, 'new_message');
    const activity = nextEvent(readerElsewhere, 'chat_activity');
    const ack = await send(c, sessionId, 'Are you there?');
    if (!ack.ok) throw new Error(ack.error.code);
    expect(await activity).toMatchObject({
      session_id: sessionId,
      message_id: ack.data.message_id,
      seq: ack.data.seq,
      sender_id: client.id,
      type: 'text',
    });
    await sleep(300);
    expect(notJoined).toEqual([]);
  });

  it('the message budget is shared across nodes (3 a minute here: 2 on A + 1 on B, then refused on both)', async () => {
    const { client, sessionId } = await t().factory.bookingChat();
    const onA = await connect(A, client);
    const onB = await connect(B, client);
    await join(onA, sessionId);
    await join(onB, sessionId);

    expect((await send(onA, sessionId, 'one')).ok).toBe(true);
    expect((await send(onA, sessionId, 'two')).ok).toBe(true);
    expect((await send(onB, sessionId, 'three')).ok).toBe(true);

    const refusedA = await send(onA, sessionId, 'four');
    const refusedB = await send(onB, sessionId, 'five');
    expect(refusedA.ok === false && refusedA.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(refusedB.ok === false && refusedB.error.code).toBe('RATE_LIMIT_EXCEEDED');
    const overRest = await B.request<{ code: string }>('POST', '/api/chat/messages', client.token, {
      session_id: sessionId,
      content: 'six',
    });
    expect(overRest.status).toBe(429);
    expect(overRest.body.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(overRest.headers.get('retry-after'))).toBeGreaterThan(0);

    const stored = await A.request<{ data: { messages: Array<{ content: string }> } }>(
      'GET',
      `/api/chat/messages?session_id=${sessionId}`,
      client.token,
    );
    expect(stored.body.data.messages.map((m) => m.content)).toEqual(['one', 'two', 'three']);
  });
});

describe('two nodes through a Redis restart', () => {
  const cluster = new Cluster();
  let A: ServerProcess;
  let B: ServerProcess;
  let redis: RedisServer;
  const { connect } = cluster;

  beforeAll(async () => {
    redis = cluster.track(await createRedisServer());
    await redis.start();
    await cluster.start();
    [A, B] = (await cluster.startNodes(['A', 'B'], { redisUrl: redis.url })) as [
      ServerProcess,
      ServerProcess,
    ];
    await warmUp(cluster, A, B);
  });

  afterAll(async () => {
    await cluster.close();
  });

  const redisReady = async (node: ServerProcess) => {
    const response = await fetch(`${node.url}/readyz`, { signal: AbortSignal.timeout(3_000) });
    const body = (await response.json()) as { checks: Record<string, string> };
    return body.checks.redis === 'ok';
  };

  it('no acknowledged message is lost, the reader catches up by since_seq, and the nodes deliver across again by themselves', async () => {
    const { client, reader, sessionId } = await cluster.t.factory.bookingChat();
    const c = await connect(A, client);
    const r = await connect(B, reader);
    await join(c, sessionId);
    await join(r, sessionId);

    // Before the outage: live across nodes.
    const before = nextEvent(r, 'new_message');
    const first = await send(c, sessionId, 'before the outage');
    if (!first.ok) throw new Error(first.error.code);
    const lastSeenByReader = (await before).seq;
    expect(lastSeenByReader).toBe(first.data.seq);

    // What arrives live while Redis is away (and after), for the report: not part of the contract.
    const liveAtSender = new Map<string, number>();
    const liveAtReader = new Map<string, number>();
    c.on('new_message', (m) => liveAtSender.set(m.id, Date.now()));
    r.on('new_message', (m) => liveAtReader.set(m.id, Date.now()));

    // Redis goes away; both nodes notice.
    await redis.kill();
    const outageStarted = Date.now();
    expect(
      await waitUntil(async () => !(await redisReady(A)) && !(await redisReady(B)), 10_000),
    ).toBe(true);

    // Sends still get acks: PostgreSQL is the source of truth (the budget falls back to memory).
    const storedAcks: Array<{ id: string; seq: number }> = [];
    for (const content of ['during 1', 'during 2', 'during 3']) {
      const ack = await send(c, sessionId, content);
      expect(ack, `send "${content}" while Redis is down`).toMatchObject({ ok: true });
      if (ack.ok) storedAcks.push({ id: ack.data.message_id, seq: ack.data.seq });
    }
    const overRest = await B.request<{ data: { id: string; seq: number } }>(
      'POST',
      '/api/chat/messages',
      reader.token,
      {
        session_id: sessionId,
        content: 'during 4 (REST on B)',
      },
    );
    expect(overRest.status).toBe(201);
    storedAcks.push({ id: overRest.body.data.id, seq: overRest.body.data.seq });

    // A tab opened during the outage can join, send and leave: presence lookups do not hang.
    const lateTab = await connect(A, client);
    const lateJoin = await acked(
      lateTab.timeout(ACK_MS).emitWithAck('join_chat', { session_id: sessionId }),
      'join_chat while Redis is down',
    );
    expect(lateJoin.ok, 'join_chat while Redis is down').toBe(true);
    const lateSend = await send(lateTab, sessionId, 'during 5 (late tab)');
    expect(lateSend, 'send from the late tab while Redis is down').toMatchObject({ ok: true });
    if (lateSend.ok) storedAcks.push({ id: lateSend.data.message_id, seq: lateSend.data.seq });
    const lateLeave = await acked(
      lateTab.timeout(ACK_MS).emitWithAck('leave_chat', { session_id: sessionId }),
      'leave_chat while Redis is down',
    );
    expect(lateLeave.ok, 'leave_chat while Redis is down').toBe(true);
    lateTab.disconnect();

    expect(storedAcks.map((m) => m.seq)).toEqual([2, 3, 4, 5, 6]);
    // Every acknowledged message is stored.
    const inDatabase = await A.request<{ data: { messages: Array<{ id: string; seq: number }> } }>(
      'GET',
      `/api/chat/messages?session_id=${sessionId}&after_seq=${lastSeenByReader}`,
      client.token,
    );
    expect(inDatabase.body.data.messages.map((m) => m.id)).toEqual(storedAcks.map((m) => m.id));
    expect(A.process.exited || B.process.exited, 'a node died while Redis was down').toBe(false);

    // Down for a while (ioredis backs off between attempts), then back on the same port, empty.
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
    const outageMs = Date.now() - outageStarted;
    await redis.start();
    const redisBack = Date.now();

    // Live across again, both ways: probe until the other node's socket hears one of the probes.
    const resumed = async (from: ClientSocket, heardAt: Map<string, number>, label: string) => {
      const probeIds: string[] = [];
      const firstArrival = () => {
        const times = probeIds
          .map((id) => heardAt.get(id))
          .filter((at): at is number => at !== undefined);
        return times.length > 0 ? Math.min(...times) : undefined;
      };
      const ok = await waitUntil(
        async () => {
          if (firstArrival() !== undefined) return true;
          const ack = await send(from, sessionId, `probe ${label} ${probeIds.length + 1}`);
          if (ack.ok) probeIds.push(ack.data.message_id);
          return waitUntil(() => firstArrival() !== undefined, 500, 20);
        },
        30_000,
        0,
      );
      expect(ok, `${label} delivery resumed after Redis came back`).toBe(true);
      return { afterMs: (firstArrival() as number) - redisBack, probes: probeIds.length };
    };
    const aToB = await resumed(c, liveAtReader, 'A→B');
    const bToA = await resumed(r, liveAtSender, 'B→A');
    expect(
      await waitUntil(async () => (await redisReady(A)) && (await redisReady(B)), 10_000),
    ).toBe(true);

    console.log(
      `[multinode] Redis was down ${outageMs} ms; cross-node delivery resumed ` +
        `${aToB.afterMs} ms (A→B, ${aToB.probes} probe(s)) and ${bToA.afterMs} ms ` +
        `(B→A, ${bToA.probes} probe(s)) after Redis answered PING again`,
    );

    const outageIds = storedAcks.map((m) => m.id);
    const late = (seen: Map<string, number>) => {
      const times = outageIds.map((id) => seen.get(id));
      const arrived = times.filter((at): at is number => at !== undefined);
      const duringOutage = arrived.filter((at) => at < redisBack).length;
      return `${arrived.length}/${outageIds.length} arrived live (${duringOutage} while Redis was down)`;
    };
    console.log(
      `[multinode] messages sent during the outage: at node A ${late(liveAtSender)}; ` +
        `at node B ${late(liveAtReader)}`,
    );

    // The reader on B catches up from the last seq it saw: exactly what it missed, in order.
    const catchUp = await join(r, sessionId, lastSeenByReader);
    const all = await B.request<{ data: { messages: Array<{ id: string; seq: number }> } }>(
      'GET',
      `/api/chat/messages?session_id=${sessionId}&after_seq=${lastSeenByReader}&limit=100`,
      reader.token,
    );
    const missedIds = catchUp.messages.map((m) => m.id);
    expect(catchUp.resync_required).toBe(false);
    expect(missedIds.slice(0, storedAcks.length)).toEqual(storedAcks.map((m) => m.id));
    expect(missedIds).toEqual(all.body.data.messages.map((m) => m.id));
    expect(catchUp.messages.map((m) => m.seq)).toEqual(
      catchUp.messages.map((_, i) => lastSeenByReader + 1 + i),
    );
    expect(catchUp.last_seq).toBe(catchUp.messages.at(-1)?.seq);
    expect(A.process.exited || B.process.exited, 'a node died after Redis came back').toBe(false);
  }, 90_000);
});
