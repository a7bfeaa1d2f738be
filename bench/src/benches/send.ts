import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@chat/testkit';
import { type BenchDatabase, createBenchDatabase, seedBookingSessions } from '../lib/db.js';
import {
  machineJiffies,
  type PgbenchResult,
  postgresCpuSeconds,
  preparePgbench,
  runPgbench,
} from '../lib/pgbench.js';
import { LoadGenerator } from '../lib/processes.js';
import type { BenchOutput, Target } from '../lib/report.js';
import {
  type ChatServer,
  COMPARE,
  dbOperations,
  scrapeMetrics,
  signToken,
  startChatServer,
  startRelay,
} from '../lib/server.js';
import { fmt, log, median, pcts, ratio, round } from '../lib/util.js';
import type { TrialResult } from '../loadgen/send.js';

const SESSIONS = 200;
const quick = process.env.BENCH_QUICK === '1';
const ROUNDS = quick ? 1 : 3;
const TRIAL_MS = quick ? 5_000 : 8_000;
const STEP_MS = quick ? 4_000 : 6_000;
const WARMUP_MS = 1_000;
const PGBENCH_S = quick ? 5 : 10;
const PGBENCH_CLIENTS = 32;
const STEPS = [0.25, 0.5, 0.75, 1.0, 1.25];

interface Cpu {
  server: number;
  serverSystem: number;
  postgres: number;
  machineBusyPct: number;
  transactionsPerMessage: number;
}

/** Committed transactions of the benchmark's database so far (each autocommitted statement is one). */
async function transactions(db: BenchDatabase): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(
    'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(rows[0]?.n ?? 0);
}

const medianOf = (trials: TrialResult[], pick: (t: TrialResult) => number) =>
  median(trials.map(pick));

/**
 * `send`: 200 booking sessions, client and reader connected and joined, both sending.
 * Closed loop (one message in flight per sender) against the bare relay and the service,
 * interleaved with pgbench rounds; then the service at fixed rates stepped up to saturation.
 */
export async function runSend(): Promise<BenchOutput> {
  const db = await createBenchDatabase('send');
  const lg = new LoadGenerator();
  let server: Awaited<ReturnType<typeof startChatServer>> | undefined;
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  let contractRelay: Awaited<ReturnType<typeof startRelay>> | undefined;
  let compare: { server: ChatServer; db: BenchDatabase; trials: TrialResult[] } | undefined;
  let compareDb: BenchDatabase | undefined;
  const idsFile = join(tmpdir(), `chat-bench-acked-${process.pid}.txt`);
  let script: string | undefined;
  try {
    server = await startChatServer({ name: 'send', databaseUrl: db.url });
    relay = await startRelay();
    contractRelay = await startRelay(undefined, 'contract');
    const pairs = await seedBookingSessions(db.pool, SESSIONS);
    script = await preparePgbench(db.pool);
    const specsOf = (list: typeof pairs) =>
      list.flatMap((p) => [
        { userId: p.clientId, sessionId: p.sessionId },
        { userId: p.readerId, sessionId: p.sessionId },
      ]);
    const specs = specsOf(pairs);
    log(`send: ${specs.length} sockets to the bare relay and ${specs.length} to the service`);
    await lg.call('sendOpen', {
      key: 'relay',
      url: relay.url,
      label: 'relay connect',
      specs: specs.map((s) => ({ ...s, token: null })),
    });
    await lg.call('sendOpen', {
      key: 'contract',
      url: contractRelay.url,
      label: 'contract relay connect',
      specs: specs.map((s) => ({ ...s, token: null })),
    });
    await lg.call('sendOpen', {
      key: 'chat',
      url: server.url,
      label: 'service connect',
      specs: specs.map((s) => ({ ...s, token: signToken(s.userId) })),
    });
    if (COMPARE) {
      // The same load on another build, its own database, interleaved with this one.
      compareDb = await createBenchDatabase('sendcmp');
      const other = await startChatServer({
        name: `send-${COMPARE.label}`,
        databaseUrl: compareDb.url,
        main: COMPARE.main,
        nodeArgs: COMPARE.nodeArgs,
      });
      compare = { server: other, db: compareDb, trials: [] };
      const otherPairs = await seedBookingSessions(compareDb.pool, SESSIONS);
      await lg.call('sendOpen', {
        key: 'compare',
        url: other.url,
        label: `${COMPARE.label} connect`,
        specs: specsOf(otherPairs).map((s) => ({ ...s, token: signToken(s.userId) })),
      });
    }

    const trial = (
      key: string,
      mode: 'closed' | 'open',
      durationMs: number,
      label: string,
      rate?: number,
    ) =>
      lg.call<TrialResult>('sendTrial', {
        key,
        mode,
        rate,
        durationMs,
        warmupMs: WARMUP_MS,
        label,
      });

    log('send: warm-up (not measured)');
    await trial('relay', 'closed', 3_000, 'relay warm-up');
    await trial('contract', 'closed', 3_000, 'contract relay warm-up');
    await trial('chat', 'closed', 3_000, 'service warm-up');
    if (compare) await trial('compare', 'closed', 3_000, `${COMPARE?.label} warm-up`);

    const relayTrials: TrialResult[] = [];
    const contractTrials: TrialResult[] = [];
    const contractCpu: number[] = [];
    const chatTrials: TrialResult[] = [];
    const pgbench: PgbenchResult[] = [];
    const chatCpu: Cpu[] = [];
    const relayCpu: number[] = [];
    const relayBusyPct: number[] = [];
    // PostgreSQL's own CPU while pgbench runs: its cost per one-row transaction.
    const pgbenchPostgresCores: number[] = [];
    const metricsBefore = await scrapeMetrics(server.url);
    for (let round = 1; round <= ROUNDS; round++) {
      log(`send: round ${round}/${ROUNDS}: bare relay, closed loop`);
      const r0 = relay.proc.cpuSeconds();
      const rm0 = machineJiffies();
      const rt0 = Date.now();
      relayTrials.push(await trial('relay', 'closed', TRIAL_MS, `relay r${round}`));
      relayCpu.push((relay.proc.cpuSeconds() - r0) / ((Date.now() - rt0) / 1000));
      const rm1 = machineJiffies();
      relayBusyPct.push(((rm1.busy - rm0.busy) / (rm1.total - rm0.total)) * 100);
      log(`send: round ${round}/${ROUNDS}: contract-shaped relay, closed loop`);
      const c0 = contractRelay.proc.cpuSeconds();
      const ct0 = Date.now();
      contractTrials.push(await trial('contract', 'closed', TRIAL_MS, `contract relay r${round}`));
      contractCpu.push((contractRelay.proc.cpuSeconds() - c0) / ((Date.now() - ct0) / 1000));
      log(`send: round ${round}/${ROUNDS}: service, closed loop`);
      const s0 = server.proc.cpuSeconds();
      const k0 = server.proc.cpuSplit().system;
      const p0 = postgresCpuSeconds();
      const x0 = await transactions(db);
      const m0 = machineJiffies();
      const t0 = Date.now();
      chatTrials.push(await trial('chat', 'closed', TRIAL_MS, `service r${round}`));
      const wall = (Date.now() - t0) / 1000;
      const m1 = machineJiffies();
      const last = chatTrials.at(-1);
      chatCpu.push({
        server: (server.proc.cpuSeconds() - s0) / wall,
        serverSystem: (server.proc.cpuSplit().system - k0) / wall,
        postgres: (postgresCpuSeconds() - p0) / wall,
        machineBusyPct: ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100,
        // Autocommitted statements and group-commit transactions, per message sent.
        transactionsPerMessage: ((await transactions(db)) - x0) / Math.max(1, last?.sent ?? 0),
      });
      if (compare) {
        log(`send: round ${round}/${ROUNDS}: ${COMPARE?.label} build, closed loop`);
        compare.trials.push(
          await trial('compare', 'closed', TRIAL_MS, `${COMPARE?.label} r${round}`),
        );
      }
      log(
        `send: round ${round}/${ROUNDS}: pgbench, ${PGBENCH_CLIENTS} clients, one row per transaction`,
      );
      const pg0 = postgresCpuSeconds();
      const pt0 = Date.now();
      pgbench.push(await runPgbench(db.name, script, PGBENCH_CLIENTS, PGBENCH_S));
      const pgbenchWall = (Date.now() - pt0) / 1000;
      // Its backends' CPU lands in the postmaster's children's time once they are reaped.
      await sleep(300);
      pgbenchPostgresCores.push((postgresCpuSeconds() - pg0) / pgbenchWall);
      const lastRelay = relayTrials.at(-1);
      log(
        `send: round ${round}: relay ${fmt(lastRelay?.deliveredPerS ?? 0, 0)} deliveries/s, service ${fmt(last?.ackedPerS ?? 0, 0)} acks/s ${fmt(last?.deliveredPerS ?? 0, 0)} deliveries/s, pgbench ${fmt(pgbench.at(-1)?.tps ?? 0, 0)} tps`,
      );
    }
    const metricsAfter = await scrapeMetrics(server.url);

    const saturation = medianOf(chatTrials, (t) => t.ackedPerS);
    const steps: TrialResult[] = [];
    for (const share of STEPS) {
      const rate = Math.max(10, Math.round(saturation * share));
      log(`send: service at a fixed ${rate} messages/s (${share * 100}% of its closed-loop rate)`);
      const step = await trial('chat', 'open', STEP_MS, `service @${rate}/s`, rate);
      steps.push(step);
      if (step.deliveryMs.p99 > 5_000) {
        log('send: p99 above 5 s: saturated, no higher steps');
        break;
      }
    }

    log('send: checking every acknowledged message: delivered once, and stored');
    const relayCheck = await lg.call<{
      acked: number;
      deliveredOnce: number;
      missing: number;
      duplicated: number;
    }>('sendVerify', { key: 'relay', idsFile: `${idsFile}.relay` });
    const chatCheck = await lg.call<{
      sent: number;
      acked: number;
      deliveredOnce: number;
      missing: number;
      duplicated: number;
      errors: number;
    }>('sendVerify', { key: 'chat', idsFile });
    const ids = readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);
    let stored = 0;
    for (let i = 0; i < ids.length; i += 20_000) {
      const { rows } = await db.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM chat_messages WHERE id = ANY($1::uuid[])',
        [ids.slice(i, i + 20_000)],
      );
      stored += Number(rows[0]?.n ?? 0);
    }
    const gapCheck = await db.pool.query<{ bad: string }>(
      `SELECT count(*) AS bad FROM (
         SELECT s.id, s.last_seq, count(m.id) AS n, coalesce(max(m.seq), 0) AS top
         FROM chat_sessions s LEFT JOIN chat_messages m ON m.session_id = s.id
         WHERE s.booking_id IS NOT NULL GROUP BY s.id, s.last_seq) t
       WHERE n <> last_seq OR top <> last_seq`,
    );
    const seqGaps = Number(gapCheck.rows[0]?.bad ?? 0);
    await lg.call('sendClose', { key: 'relay' });
    await lg.call('sendClose', { key: 'contract' });
    await lg.call('sendClose', { key: 'chat' });
    if (compare) await lg.call('sendClose', { key: 'compare' });

    // Figures.
    const relayDeliveries = medianOf(relayTrials, (t) => t.deliveredPerS);
    const contractDeliveries = medianOf(contractTrials, (t) => t.deliveredPerS);
    const chatDeliveries = medianOf(chatTrials, (t) => t.deliveredPerS);
    const chatAcks = medianOf(chatTrials, (t) => t.ackedPerS);
    const pgTps = median(pgbench.map((p) => p.tps));
    const lat = (trials: TrialResult[], which: 'ackMs' | 'deliveryMs') => ({
      p50: medianOf(trials, (t) => t[which].p50),
      p99: medianOf(trials, (t) => t[which].p99),
      p999: medianOf(trials, (t) => t[which].p999),
    });
    const half = steps[STEPS.indexOf(0.5)];
    const ops = dbOperations(metricsBefore, metricsAfter).slice(0, 12);
    const messagesInWindow = chatTrials.reduce((a, t) => a + t.sent, 0);

    const targets: Target[] = [
      {
        name: 'deliveries/s >= 0.5x bare relay',
        met: ratio(chatDeliveries, relayDeliveries) >= 0.5,
        measured: `${fmt(ratio(chatDeliveries, relayDeliveries), 2)}x`,
      },
      {
        name: 'acks/s >= 2x pgbench 1-row commits',
        met: ratio(chatAcks, pgTps) >= 2,
        measured: `${fmt(ratio(chatAcks, pgTps), 2)}x`,
      },
      {
        name: 'delivery p99 < 50 ms at half throughput',
        met: half !== undefined && half.deliveryMs.p99 < 50,
        measured: half
          ? `${fmt(half.deliveryMs.p99)} ms at ${fmt(half.targetRate ?? 0, 0)}/s`
          : 'not measured',
      },
      {
        name: 'every ack delivered once and stored',
        met:
          chatCheck.missing === 0 &&
          chatCheck.duplicated === 0 &&
          stored === chatCheck.acked &&
          seqGaps === 0,
        measured: `${chatCheck.acked} acked, ${chatCheck.missing} missing, ${chatCheck.duplicated} duplicated, ${stored} in DB, ${seqGaps} sessions with seq gaps`,
      },
    ];

    const cpu = {
      serverCores: median(chatCpu.map((c) => c.server)),
      serverSystemCores: median(chatCpu.map((c) => c.serverSystem)),
      postgresCores: median(chatCpu.map((c) => c.postgres)),
      loadgenCores: medianOf(chatTrials, (t) => t.loadgenCpuPct / 100),
      machineBusyPct: median(chatCpu.map((c) => c.machineBusyPct)),
      relayServerCores: median(relayCpu),
      relayLoadgenCores: medianOf(relayTrials, (t) => t.loadgenCpuPct / 100),
      relayMachineBusyPct: median(relayBusyPct),
      contractRelayCores: median(contractCpu),
      contractLoadgenCores: medianOf(contractTrials, (t) => t.loadgenCpuPct / 100),
      databaseTransactionsPerMessage: median(chatCpu.map((c) => c.transactionsPerMessage)),
      pgbenchPostgresCores: median(pgbenchPostgresCores),
    };
    // The whole machine's CPU per message (server, PostgreSQL, load generator: they share the
    // cores), which is what bounds each closed loop here.
    const machineMsPerMessage = {
      relay: ((cpu.relayServerCores + cpu.relayLoadgenCores) / relayDeliveries) * 1000,
      service: ((cpu.serverCores + cpu.postgresCores + cpu.loadgenCores) / chatAcks) * 1000,
    };
    const notes = [
      `The API's own traffic, apart from the service's work: a relay sending new_message in the contract's full shape and message_sent besides the ack (no auth, no validation, no database) carries ${fmt(contractDeliveries, 0)} deliveries/s, ${fmt(ratio(contractDeliveries, relayDeliveries), 2)}x the bare relay (relay CPU ${fmt((cpu.contractRelayCores / contractDeliveries) * 1000, 3)} ms, load generator ${fmt((cpu.contractLoadgenCores / contractDeliveries) * 1000, 3)} ms per message); the service reaches ${fmt(ratio(chatDeliveries, contractDeliveries), 2)}x the contract-shaped relay`,
      `CPU per message, whole machine: service ${fmt(machineMsPerMessage.service, 3)} ms (server ${fmt((cpu.serverCores / chatAcks) * 1000, 3)} + PostgreSQL ${fmt((cpu.postgresCores / chatAcks) * 1000, 3)} + load generator ${fmt((cpu.loadgenCores / chatAcks) * 1000, 3)}; machine ${fmt(cpu.machineBusyPct, 0)}% busy) vs bare relay ${fmt(machineMsPerMessage.relay, 3)} ms (relay ${fmt((cpu.relayServerCores / relayDeliveries) * 1000, 3)} + load generator ${fmt((cpu.relayLoadgenCores / relayDeliveries) * 1000, 3)}; ${fmt(cpu.relayMachineBusyPct, 0)}% busy). 0.5x the relay's rate at the same busy share needs <= ${fmt(2 * machineMsPerMessage.relay, 3)} ms per message in all; 2x pgbench is ${fmt(2 * pgTps, 0)} acks/s${2 * pgTps > relayDeliveries ? `, more than the bare relay's own ${fmt(relayDeliveries, 0)} deliveries/s` : ''}`,
      `CPU during the service's closed-loop trials (cores): server ${fmt(cpu.serverCores, 2)} (kernel ${fmt(cpu.serverSystemCores, 2)}), all postgres processes ${fmt(cpu.postgresCores, 2)}, load generator ${fmt(cpu.loadgenCores, 2)}; machine ${fmt(cpu.machineBusyPct, 0)}% busy (the bare relay used ${fmt(cpu.relayServerCores, 2)} cores for ${fmt(relayDeliveries, 0)} deliveries/s). Server CPU per message: ${fmt((cpu.serverCores / chatAcks) * 1000, 3)} ms vs relay ${fmt((cpu.relayServerCores / relayDeliveries) * 1000, 3)} ms; ${fmt(cpu.databaseTransactionsPerMessage, 3)} database transactions per message`,
      `PostgreSQL CPU per committed row: ${fmt((cpu.postgresCores / chatAcks) * 1000, 3)} ms per message sent vs ${fmt((cpu.pgbenchPostgresCores / pgTps) * 1000, 3)} ms per pgbench transaction (${fmt(cpu.pgbenchPostgresCores / pgTps / (cpu.postgresCores / chatAcks), 1)}x less with the group commit; pgbench used ${fmt(cpu.pgbenchPostgresCores, 2)} PostgreSQL cores)`,
      `Repository time per operation (mean ms x calls, closed-loop rounds): ${ops
        .slice(0, 8)
        .map(
          (o) =>
            `${o.operation} ${fmt(o.meanMs, 2)}x${fmt(o.calls / Math.max(1, messagesInWindow), 2)}/msg`,
        )
        .join(', ')}`,
      `Steps (target/s -> acked/s, delivery p50/p99/p99.9 ms): ${steps
        .map((s) => `${fmt(s.targetRate ?? 0, 0)} -> ${fmt(s.ackedPerS, 0)}: ${pcts(s.deliveryMs)}`)
        .join('; ')}`,
    ];
    let compareFigures: unknown = null;
    if (compare) {
      const c = compare.trials;
      const cAcks = medianOf(c, (t) => t.ackedPerS);
      compareFigures = {
        label: COMPARE?.label,
        main: COMPARE?.main,
        acksPerS: round(cAcks),
        deliveriesPerS: round(medianOf(c, (t) => t.deliveredPerS)),
        ackLatency: lat(c, 'ackMs'),
        deliveryLatency: lat(c, 'deliveryMs'),
        trials: c,
      };
      notes.push(
        `Same run, ${COMPARE?.label} build (${COMPARE?.main}): ${fmt(cAcks, 0)} acks/s, delivery p50/p99/p99.9 ${pcts(lat(c, 'deliveryMs'))} ms; this build ${fmt(chatAcks, 0)} acks/s (${fmt(ratio(chatAcks, cAcks), 2)}x), ${pcts(lat(chatTrials, 'deliveryMs'))} ms`,
      );
    }
    const columns = [
      'relay deliveries/s',
      'service acks/s',
      'service deliveries/s',
      'vs relay',
      'pgbench 1-row tps',
      'vs pgbench',
      'relay delivery p50/p99/p99.9 ms',
      'service ack p50/p99/p99.9 ms',
      'service delivery p50/p99/p99.9 ms',
      'delivery p50/p99/p99.9 at half rate',
      'acked / missing / dup / in DB',
      'server CPU ms/msg: service / relay',
      'machine busy',
    ];
    const cells = [
      fmt(relayDeliveries, 0),
      fmt(chatAcks, 0),
      fmt(chatDeliveries, 0),
      `${fmt(ratio(chatDeliveries, relayDeliveries), 2)}x`,
      fmt(pgTps, 0),
      `${fmt(ratio(chatAcks, pgTps), 2)}x`,
      pcts(lat(relayTrials, 'deliveryMs')),
      pcts(lat(chatTrials, 'ackMs')),
      pcts(lat(chatTrials, 'deliveryMs')),
      half ? `${pcts(half.deliveryMs)} @ ${fmt(half.ackedPerS, 0)}/s` : 'n/a',
      `${chatCheck.acked} / ${chatCheck.missing} / ${chatCheck.duplicated} / ${stored}`,
      `${fmt((cpu.serverCores / chatAcks) * 1000, 3)} / ${fmt((cpu.relayServerCores / relayDeliveries) * 1000, 3)}`,
      `${fmt(cpu.machineBusyPct, 0)}%`,
    ];
    return {
      name: 'send',
      columns,
      cells,
      targets,
      notes,
      figures: {
        sessions: SESSIONS,
        sockets: SESSIONS * 2,
        senders: SESSIONS * 2,
        rounds: ROUNDS,
        trialSeconds: TRIAL_MS / 1000,
        contractRelay: {
          deliveriesPerS: round(contractDeliveries),
          latency: lat(contractTrials, 'deliveryMs'),
          trials: contractTrials,
        },
        relay: {
          deliveriesPerS: round(relayDeliveries),
          latency: lat(relayTrials, 'deliveryMs'),
          trials: relayTrials,
          check: relayCheck,
        },
        service: {
          acksPerS: round(chatAcks),
          deliveriesPerS: round(chatDeliveries),
          ackLatency: lat(chatTrials, 'ackMs'),
          deliveryLatency: lat(chatTrials, 'deliveryMs'),
          trials: chatTrials,
          steps,
          check: { ...chatCheck, storedInDatabase: stored, sessionsWithSeqGaps: seqGaps },
          cpu,
          repositoryOperations: ops,
        },
        pgbench: { tps: round(pgTps), runs: pgbench },
        compare: compareFigures,
        ratios: {
          deliveriesVsRelay: round(ratio(chatDeliveries, relayDeliveries), 3),
          acksVsPgbench: round(ratio(chatAcks, pgTps), 3),
        },
      },
    };
  } finally {
    await lg.close();
    await server?.stop();
    await relay?.stop();
    await contractRelay?.stop();
    await compare?.server.stop();
    await db.drop();
    await compareDb?.drop();
    rmSync(idsFile, { force: true });
    if (script) rmSync(script, { force: true });
    rmSync(`${idsFile}.relay`, { force: true });
  }
}
