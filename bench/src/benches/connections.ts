import { rmSync } from 'node:fs';
import { sleep } from '@chat/testkit';
import { createBenchDatabase, seedBookingSessions } from '../lib/db.js';
import { LoadGenerator } from '../lib/processes.js';
import type { BenchOutput, Target } from '../lib/report.js';
import {
  type BaselineServer,
  type ChatServer,
  COMPARE,
  signToken,
  startChatServer,
  startRelay,
} from '../lib/server.js';
import { fmt, log, ratio, round } from '../lib/util.js';
import type { Expected } from '../loadgen/connections.js';

const quick = process.env.BENCH_QUICK === '1';
/** The figure; BENCH_CONNECTIONS sets another (even, at least 200). */
const COUNT = Math.max(200, Number(process.env.BENCH_CONNECTIONS ?? (quick ? 2_000 : 10_000)) & ~1);
/** Sessions that get messages around the restart (one before, one while the sockets come back). */
const ACTIVE_SESSIONS = Math.min(1_000, COUNT / 2);
const SETTLE_MS = 5_000;

interface Memory {
  rssEmptyMiB: number;
  rssTenthMiB: number;
  rssFullMiB: number;
  /** (RSS at N - RSS at N/10) / (0.9 N): the cost of one more idle joined socket. */
  kibPerConnection: number;
  /** (RSS at N - RSS before any) / N. */
  kibPerConnectionFromEmpty: number;
  openSeconds: number;
}

const MiB = 1024 * 1024;

async function settledRss(proc: { rssBytes(): number }): Promise<number> {
  await sleep(SETTLE_MS);
  // The median of a few samples a second apart: RSS moves with GC.
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    samples.push(proc.rssBytes());
    await sleep(1_000);
  }
  return samples.sort((a, b) => a - b)[1] ?? Number.NaN;
}

async function measureMemory(
  lg: LoadGenerator,
  key: string,
  url: string,
  proc: { rssBytes(): number },
  specs: Array<{ userId: string; sessionId: string; token: string | null }>,
  reconnection: boolean,
  label: string,
): Promise<Memory> {
  const rssEmpty = await settledRss(proc);
  const tenth = Math.floor(specs.length / 10);
  const t0 = Date.now();
  await lg.call(
    'connOpen',
    { key, url, specs: specs.slice(0, tenth), reconnection, concurrency: 100, label },
    900_000,
  );
  const open1 = Date.now() - t0;
  const rssTenth = await settledRss(proc);
  const t1 = Date.now();
  await lg.call(
    'connOpen',
    { key, url, specs: specs.slice(tenth), reconnection, concurrency: 100, label },
    900_000,
  );
  const openMs = open1 + (Date.now() - t1);
  const rssFull = await settledRss(proc);
  return {
    rssEmptyMiB: round(rssEmpty / MiB, 1),
    rssTenthMiB: round(rssTenth / MiB, 1),
    rssFullMiB: round(rssFull / MiB, 1),
    kibPerConnection: round((rssFull - rssTenth) / (specs.length - tenth) / 1024, 2),
    kibPerConnectionFromEmpty: round((rssFull - rssEmpty) / specs.length / 1024, 2),
    openSeconds: round(openMs / 1000, 1),
  };
}

/**
 * `connections`: N idle sockets, authenticated and joined (N/2 booking sessions of two): the
 * server's memory per connection against bare Socket.IO with the same count; then a deploy
 * (SIGTERM, a new process on the same port) with every socket reconnecting at once, messages
 * sent before and during it, until every socket is back and holds every message.
 */
export async function runConnections(): Promise<BenchOutput> {
  const db = await createBenchDatabase('connections');
  const lg = new LoadGenerator();
  let relay: BaselineServer | undefined;
  let server: ChatServer | undefined;
  try {
    // The server migrates the fresh database before the seed can insert.
    server = await startChatServer({ name: 'connections-a', databaseUrl: db.url });
    const pairs = await seedBookingSessions(db.pool, COUNT / 2);
    const specs = pairs.flatMap((p) => [
      { userId: p.clientId, sessionId: p.sessionId },
      { userId: p.readerId, sessionId: p.sessionId },
    ]);
    log(`connections: ${COUNT} sockets in ${COUNT / 2} sessions`);

    log('connections: bare Socket.IO baseline');
    relay = await startRelay();
    const bare = await measureMemory(
      lg,
      'bare',
      relay.url,
      relay.proc,
      specs.map((s) => ({ ...s, token: null })),
      false,
      'bare connect',
    );
    log(
      `connections: bare ${fmt(bare.kibPerConnection, 1)} KiB per connection (RSS ${bare.rssEmptyMiB} -> ${bare.rssFullMiB} MiB)`,
    );
    await lg.call('connClose', { key: 'bare' });
    await relay.stop();
    relay = undefined;

    const tokens = new Map(specs.map((s) => [s.userId, signToken(s.userId)]));
    const chatSpecs = specs.map((s) => ({ ...s, token: tokens.get(s.userId) ?? null }));
    const active = pairs.slice(0, ACTIVE_SESSIONS);

    /** Memory, then a deploy with every socket coming back, on one build of the server. */
    const serviceRound = async (
      label: string,
      first: ChatServer,
      main?: string,
      nodeArgs?: string[],
    ) => {
      let current = first;
      log(`connections: the service (${label})`);
      const memory = await measureMemory(
        lg,
        'chat',
        current.url,
        current.proc,
        chatSpecs,
        true,
        `${label} connect`,
      );
      log(
        `connections: ${label} ${fmt(memory.kibPerConnection, 1)} KiB per connection (RSS ${memory.rssEmptyMiB} -> ${memory.rssFullMiB} MiB)`,
      );
      // Messages before the deploy arrive live.
      const before = await lg.call<
        Array<{ sessionId: string; senderId: string; id: string | null; status: number }>
      >('restSend', {
        url: current.url,
        concurrency: 16,
        messages: active.map((p, i) => ({
          token: tokens.get(p.clientId),
          sessionId: p.sessionId,
          senderId: p.clientId,
          content: `${label}: before the deploy ${i}`,
        })),
      });
      log(
        `connections: deploy (${label}): SIGTERM, a new process on the same port, every socket reconnects`,
      );
      await lg.call('connMark', { key: 'chat' });
      const stoppedAt = Date.now();
      const old = current;
      await old.proc.stop();
      const downAt = Date.now();
      current = await startChatServer({
        name: `connections-${label}-b`,
        databaseUrl: db.url,
        port: old.port,
        dataDir: old.dataDir,
        main,
        nodeArgs,
      });
      server = current;
      const readyAt = Date.now();
      log(
        `connections: old process gone in ${fmt((downAt - stoppedAt) / 1000, 2)} s, new one ready ${fmt((readyAt - downAt) / 1000, 2)} s later`,
      );
      // Messages while the sockets come back: live for those already back, catch-up for the rest.
      const during = await lg.call<
        Array<{ sessionId: string; senderId: string; id: string | null; status: number }>
      >('restSend', {
        url: current.url,
        concurrency: 16,
        messages: active.map((p, i) => ({
          token: tokens.get(p.readerId),
          sessionId: p.sessionId,
          senderId: p.readerId,
          content: `${label}: during the deploy ${i}`,
        })),
      });
      const sentAll = [...before, ...during];
      const refused = sentAll.filter((m) => m.id === null).length;
      const expected: Expected[] = sentAll.flatMap((m) =>
        m.id ? [{ sessionId: m.sessionId, senderId: m.senderId, id: m.id }] : [],
      );
      const result = await lg.call<{
        markAt: number;
        sockets: number;
        back: number;
        caughtUp: number;
        missing: number;
        duplicatesDropped: number;
        joinErrors: number;
        joinErrorCodes: Record<string, number>;
        authErrorCodes: Record<string, number>;
        resyncRequired: number;
        lastBackAt: number;
        lastCaughtUpAt: number;
        firstBackAt: number;
        maxConnects: number;
      }>(
        'connAwait',
        { key: 'chat', expected, timeoutMs: 300_000, label: `reconnect (${label})` },
        400_000,
      );
      const rssAfter = current.proc.rssBytes();
      await lg.call('connClose', { key: 'chat' });
      await current.stop();
      rmSync(current.dataDir, { recursive: true, force: true });
      server = undefined;
      const reconnect = {
        sockets: result.sockets,
        back: result.back,
        caughtUp: result.caughtUp,
        messagesExpected: expected.length,
        messagesRefused: refused,
        missing: result.missing,
        duplicatesDropped: result.duplicatesDropped,
        joinRefusals: result.joinErrors,
        joinRefusalCodes: result.joinErrorCodes,
        authRefusalCodes: result.authErrorCodes,
        oldProcessExitS: round((downAt - stoppedAt) / 1000, 2),
        newProcessReadyS: round((readyAt - downAt) / 1000, 2),
        allBackAfterReadyS: round((result.lastBackAt - readyAt) / 1000, 2),
        allCaughtUpAfterReadyS: round((result.lastCaughtUpAt - readyAt) / 1000, 2),
        allCaughtUpAfterSigtermS: round((result.lastCaughtUpAt - stoppedAt) / 1000, 2),
        firstBackAfterReadyS: round((result.firstBackAt - readyAt) / 1000, 2),
        rssAfterReconnectMiB: round(rssAfter / MiB, 1),
      };
      const complete = result.caughtUp === COUNT && result.missing === 0 && refused === 0;
      return { memory, reconnect, complete, result };
    };

    const primary = await serviceRound('service', server);
    const chat = primary.memory;
    const { reconnect, result, complete } = primary;
    let compareFigures: unknown = null;
    let compareNote: string | null = null;
    if (COMPARE) {
      const other = await startChatServer({
        name: `connections-${COMPARE.label}`,
        databaseUrl: db.url,
        main: COMPARE.main,
        nodeArgs: COMPARE.nodeArgs,
      });
      server = other;
      const round2 = await serviceRound(COMPARE.label, other, COMPARE.main, COMPARE.nodeArgs);
      compareFigures = {
        label: COMPARE.label,
        main: COMPARE.main,
        nodeArgs: COMPARE.nodeArgs,
        ...round2,
      };
      compareNote = `Same run, ${COMPARE.label} build: ${fmt(round2.memory.kibPerConnection, 1)} KiB per connection; ${round2.result.caughtUp}/${COUNT} back and caught up ${fmt(round2.reconnect.allCaughtUpAfterReadyS, 1)} s after ready (refusals: join ${JSON.stringify(round2.reconnect.joinRefusalCodes)}, sign-in ${JSON.stringify(round2.reconnect.authRefusalCodes)}), ${round2.result.missing} missing; this build ${fmt(chat.kibPerConnection, 1)} KiB, ${fmt(reconnect.allCaughtUpAfterReadyS, 1)} s`;
    }
    const memRatio = ratio(chat.kibPerConnection, bare.kibPerConnection);
    const targets: Target[] = [
      {
        name: 'memory per idle joined connection <= 1.5x bare Socket.IO',
        met: memRatio <= 1.5,
        measured: `${fmt(memRatio, 2)}x (${fmt(chat.kibPerConnection, 1)} vs ${fmt(bare.kibPerConnection, 1)} KiB)`,
      },
      {
        name: `${COUNT} reconnects complete with nothing missed`,
        met: complete,
        measured: `${result.caughtUp}/${COUNT} caught up in ${fmt(reconnect.allCaughtUpAfterReadyS, 1)} s after the new process was ready, ${result.missing} messages missing`,
      },
    ];
    const notes = [
      `Clients: socket.io-client reconnection back-off 1-5 s (its defaults); the first socket was back ${fmt(reconnect.firstBackAfterReadyS, 1)} s after the new process answered /healthz. Refusals while they came back (retried): join ${JSON.stringify(reconnect.joinRefusalCodes)}, sign-in ${JSON.stringify(reconnect.authRefusalCodes)}; REST sends refused after retries: ${reconnect.messagesRefused}`,
      `Opening ${COUNT} sockets (connect + auth + join_chat, 100 at a time) took ${fmt(chat.openSeconds, 1)} s on the service vs ${fmt(bare.openSeconds, 1)} s bare`,
    ];
    if (compareNote) notes.push(compareNote);
    if (COUNT !== 10_000)
      notes.push(
        `Ran with ${COUNT} sockets, not the issue's 10,000 (BENCH_CONNECTIONS / BENCH_QUICK)`,
      );
    return {
      name: 'connections',
      columns: [
        'sockets',
        'bare KiB/conn',
        'service KiB/conn',
        'vs bare',
        'server RSS idle -> N',
        'all back after restart (s)',
        'all caught up (s)',
        'messages expected / missing',
      ],
      cells: [
        String(COUNT),
        fmt(bare.kibPerConnection, 1),
        fmt(chat.kibPerConnection, 1),
        `${fmt(memRatio, 2)}x`,
        `${fmt(chat.rssEmptyMiB, 0)} -> ${fmt(chat.rssFullMiB, 0)} MiB`,
        fmt(reconnect.allBackAfterReadyS, 1),
        fmt(reconnect.allCaughtUpAfterReadyS, 1),
        `${reconnect.messagesExpected} / ${result.missing}`,
      ],
      targets,
      notes,
      figures: {
        count: COUNT,
        activeSessions: ACTIVE_SESSIONS,
        bare,
        service: chat,
        ratio: round(memRatio, 3),
        reconnect,
        compare: compareFigures,
      },
    };
  } finally {
    await lg.close();
    await relay?.stop();
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
    await db.drop();
  }
}
