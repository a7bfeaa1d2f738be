import { sleep, waitUntil } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../src/db/database.js';
import type { ProfileRow } from '../src/domain/types.js';
import { ACK_MS, acked, Cluster, join } from './support/cluster.js';
import type { ServerProcess } from './support/server-process.js';
import { type ClientSocket, nextEvent } from './support/sockets.js';
import { TcpProxy } from './support/tcp-proxy.js';
import type { TestUser } from './support/test-app.js';

/**
 * Issue 12, finding 3, across nodes: a role changed with SQL on the shared PostgreSQL reaches the
 * sockets of every node, each node hearing it from the database by itself (no Redis involved).
 * Node B reaches PostgreSQL through a proxy the test can cut, to change a role while B is not
 * listening.
 */

/** How long a node may take to apply a change to its sockets (a notification, one read). */
const HEARD_MS = 10_000;
/** After the database is back: B's listener retries with back-off (at most 5 s apart). */
const RELISTEN_MS = 20_000;

describe('role changes on two nodes', () => {
  const cluster = new Cluster();
  let A: ServerProcess;
  let B: ServerProcess;
  let databaseProxy: TcpProxy;
  const t = () => cluster.t;

  beforeAll(async () => {
    await cluster.start();
    const direct = new URL(cluster.databaseUrl);
    databaseProxy = cluster.track(
      await TcpProxy.start([{ host: direct.hostname, port: Number(direct.port || 5432) }]),
    );
    const viaProxy = new URL(direct);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(databaseProxy.port);
    [A, B] = await Promise.all([
      cluster.startNode('A'),
      cluster.startNode('B', { databaseUrl: viaProxy.href }),
    ]);
  });

  afterAll(async () => {
    await cluster.close();
  });

  const setRole = (user: TestUser, role: ProfileRow['role']) =>
    t().database.db.execute(sql`UPDATE profiles SET role = ${role} WHERE id = ${user.id}`);

  const joinAck = (socket: ClientSocket, sessionId: string) =>
    acked(socket.timeout(ACK_MS).emitWithAck('join_chat', { session_id: sessionId }), 'join_chat');

  it("a user connected on node B is demoted with SQL and B's socket loses access within seconds; node A's REST follows", async () => {
    const admin = await t().factory.user('admin');
    const watched = await t().factory.bookingChat();
    const other = await t().factory.bookingChat();
    const onB = await cluster.connect(B, admin);
    await join(onB, watched.sessionId);
    const allSessions = '/api/chat/sessions?scope=all&limit=1';
    expect((await A.request('GET', allSessions, admin.token)).status).toBe(200);

    const demoted = nextEvent(onB, 'authenticated', ({ user }) => user.role === 'client', HEARD_MS);
    await setRole(admin, 'client');
    await demoted;

    expect(await joinAck(onB, other.sessionId)).toMatchObject({
      ok: false,
      error: { code: 'CHAT_ACCESS_DENIED' },
    });
    const system = await acked(
      onB.timeout(ACK_MS).emitWithAck('send_message', {
        session_id: watched.sessionId,
        message: { content: 'still support?', type: 'system' },
      }),
      'send_message',
    );
    expect(system).toMatchObject({ ok: false, error: { code: 'CHAT_ACCESS_DENIED' } });
    // Node A heard it too (from the database, not from B): its cached profile is gone.
    expect(
      await waitUntil(
        async () => (await A.request('GET', allSessions, admin.token)).status === 403,
        HEARD_MS,
      ),
    ).toBe(true);
  });

  it('a role changed while node B could not listen is applied once B listens again', async () => {
    const admin = await t().factory.user('admin');
    const { sessionId } = await t().factory.bookingChat();
    const onB = await cluster.connect(B, admin);
    await join(onB, sessionId);

    const demoted = nextEvent(
      onB,
      'authenticated',
      ({ user }) => user.role === 'client',
      RELISTEN_MS,
    );
    // B's connections to PostgreSQL are cut (its LISTEN with them); the change is made meanwhile
    // and announced to nobody on B.
    databaseProxy.refuse();
    try {
      await setRole(admin, 'client');
      // B's first attempts to listen again fail too: when one succeeds, the change is long made.
      await sleep(1_000);
    } finally {
      databaseProxy.forward();
    }
    await demoted;
    expect(await joinAck(onB, sessionId)).toMatchObject({
      ok: false,
      error: { code: 'CHAT_ACCESS_DENIED' },
    });
  });
});
