import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep } from '@chat/testkit';
import { createBenchDatabase, seedBookingSessions } from '../lib/db.js';
import { LoadGenerator, onExit } from '../lib/processes.js';
import type { BenchOutput, Target } from '../lib/report.js';
import {
  type BaselineServer,
  type ChatServer,
  COMPARE,
  dbOperations,
  scrapeMetrics,
  signToken,
  startChatServer,
  startUploadSink,
} from '../lib/server.js';
import { fmt, log, median, pcts, REPO_ROOT, ratio, round } from '../lib/util.js';
import type { RunResult } from '../loadgen/uploads.js';

const quick = process.env.BENCH_QUICK === '1';
const BYTES = 100 * 1024;
const ROUNDS = quick ? 1 : 3;
const SEQUENTIAL = quick ? 40 : 100;
const CONCURRENT = quick ? 80 : 200;
const CONCURRENCY = 4;

/**
 * A clamd of this run's own (scripts/start-test-clamd.sh with a private folder and port), ended
 * at exit by the pid it wrote. Never touches a clamd someone else started.
 */
async function startClamd(): Promise<{ port: number; stop(): void }> {
  const port = await freePort();
  const dir = join(tmpdir(), `chat-bench-clamd-${process.pid}-${port}`);
  log(`uploads: starting a private clamd on 127.0.0.1:${port} (scripts/start-test-clamd.sh)`);
  execFileSync('bash', [`${REPO_ROOT}scripts/start-test-clamd.sh`], {
    env: { ...process.env, CLAMD_DIR: dir, CLAMAV_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  const pidFile = join(dir, 'clamd.pid');
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  onExit(stop);
  for (let i = 0; i < 50 && !existsSync(pidFile); i++) await sleep(100);
  return { port, stop };
}

/**
 * `uploads`: 100 KB WAV voice notes through POST /api/chat/voice-notes (multipart, type sniffing,
 * clamd INSTREAM, duration probe, blob store, message row, broadcast) against clamd INSTREAM
 * alone for the same bytes; a second server without a scanner shows the rest of the pipeline.
 * Rounds interleave the three; one at a time, then 4 at a time. The floor beside them: the
 * same request to a bare HTTP sink, and one durable one-row commit on the same PostgreSQL.
 */
export async function runUploads(): Promise<BenchOutput> {
  const clamd = await startClamd();
  const db = await createBenchDatabase('uploads');
  const lg = new LoadGenerator();
  let scanned: ChatServer | undefined;
  let unscanned: ChatServer | undefined;
  let other: ChatServer | undefined;
  let sink: BaselineServer | undefined;
  try {
    sink = await startUploadSink();
    scanned = await startChatServer({
      name: 'uploads-scan',
      databaseUrl: db.url,
      env: {
        ALLOW_UNSCANNED_UPLOADS: 'false',
        CLAMAV_HOST: '127.0.0.1',
        CLAMAV_PORT: String(clamd.port),
      },
    });
    unscanned = await startChatServer({ name: 'uploads-noscan', databaseUrl: db.url });
    if (COMPARE) {
      other = await startChatServer({
        name: `uploads-${COMPARE.label}`,
        databaseUrl: db.url,
        main: COMPARE.main,
        nodeArgs: COMPARE.nodeArgs,
        env: {
          ALLOW_UNSCANNED_UPLOADS: 'false',
          CLAMAV_HOST: '127.0.0.1',
          CLAMAV_PORT: String(clamd.port),
        },
      });
    }
    const [pair] = await seedBookingSessions(db.pool, 1);
    if (!pair) throw new Error('seed failed');
    const token = signToken(pair.clientId);
    const upload = (server: ChatServer, count: number, concurrency: number) =>
      lg.call<RunResult>('uploadRun', {
        url: server.url,
        token,
        sessionId: pair.sessionId,
        bytes: BYTES,
        count,
        concurrency,
      });
    const scan = (count: number, concurrency: number) =>
      lg.call<RunResult>('clamdRun', {
        host: '127.0.0.1',
        port: clamd.port,
        bytes: BYTES,
        count,
        concurrency,
      });

    const sinkUpload = (count: number) =>
      lg.call<RunResult>('uploadRun', {
        url: sink?.url,
        token,
        sessionId: pair.sessionId,
        bytes: BYTES,
        count,
        concurrency: 1,
      });
    await db.pool.query('CREATE TABLE bench_commit_floor (id uuid PRIMARY KEY, body text)');
    /** One autocommitted one-row insert at a time (each waits for its WAL flush). */
    const commits = async (count: number) => {
      const ms: number[] = [];
      for (let i = 0; i < count; i++) {
        const t = performance.now();
        await db.pool.query('INSERT INTO bench_commit_floor VALUES (gen_random_uuid(), $1)', [
          'a voice note row',
        ]);
        ms.push(performance.now() - t);
      }
      return median(ms);
    };

    log('uploads: warm-up');
    await sinkUpload(20);
    await commits(20);
    await scan(20, 1);
    await upload(scanned, 20, 1);
    await upload(unscanned, 20, 1);
    if (other) await upload(other, 20, 1);

    const seq = { scan: [] as RunResult[], pipeline: [] as RunResult[], noScan: [] as RunResult[] };
    const floor = { sink: [] as RunResult[], commitMs: [] as number[] };
    const perUpload: Array<{
      serverCpuMs: number;
      repositoryMs: number;
      repositoryCalls: number;
      wallMs: number;
    }> = [];
    const seqCompare: RunResult[] = [];
    const concCompare: RunResult[] = [];
    const conc = {
      scan: [] as RunResult[],
      pipeline: [] as RunResult[],
      noScan: [] as RunResult[],
    };
    for (let round = 1; round <= ROUNDS; round++) {
      log(`uploads: round ${round}/${ROUNDS}: one at a time (${SEQUENTIAL} each)`);
      seq.scan.push(await scan(SEQUENTIAL, 1));
      const before = await scrapeMetrics(scanned.url);
      const cpu0 = scanned.proc.cpuSeconds();
      const t0 = Date.now();
      seq.pipeline.push(await upload(scanned, SEQUENTIAL, 1));
      const wall = (Date.now() - t0) / 1000;
      const ops = dbOperations(before, await scrapeMetrics(scanned.url));
      const dbMs = ops.reduce((a, o) => a + o.totalS, 0) * 1000;
      perUpload.push({
        serverCpuMs: ((scanned.proc.cpuSeconds() - cpu0) / SEQUENTIAL) * 1000,
        repositoryMs: dbMs / SEQUENTIAL,
        repositoryCalls: ops.reduce((a, o) => a + o.calls, 0) / SEQUENTIAL,
        wallMs: (wall / SEQUENTIAL) * 1000,
      });
      seq.noScan.push(await upload(unscanned, SEQUENTIAL, 1));
      floor.sink.push(await sinkUpload(SEQUENTIAL));
      floor.commitMs.push(await commits(SEQUENTIAL));
      if (other) seqCompare.push(await upload(other, SEQUENTIAL, 1));
      log(`uploads: round ${round}/${ROUNDS}: ${CONCURRENCY} at a time (${CONCURRENT} each)`);
      conc.scan.push(await scan(CONCURRENT, CONCURRENCY));
      conc.pipeline.push(await upload(scanned, CONCURRENT, CONCURRENCY));
      conc.noScan.push(await upload(unscanned, CONCURRENT, CONCURRENCY));
      if (other) concCompare.push(await upload(other, CONCURRENT, CONCURRENCY));
      log(
        `uploads: round ${round}: p50 scan ${fmt(seq.scan.at(-1)?.ms.p50 ?? 0, 2)} ms, pipeline ${fmt(seq.pipeline.at(-1)?.ms.p50 ?? 0, 2)} ms, without scan ${fmt(seq.noScan.at(-1)?.ms.p50 ?? 0, 2)} ms`,
      );
    }
    const { rows } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM chat_messages WHERE type = 'voice'`,
    );
    const storedVoice = Number(rows[0]?.n ?? 0);

    const m = (runs: RunResult[], pick: (r: RunResult) => number) => median(runs.map(pick));
    const lat = (runs: RunResult[]) => ({
      p50: m(runs, (r) => r.ms.p50),
      p99: m(runs, (r) => r.ms.p99),
      p999: m(runs, (r) => r.ms.p999),
    });
    const errors = [
      ...seq.pipeline,
      ...seq.noScan,
      ...conc.pipeline,
      ...conc.noScan,
      ...seq.scan,
      ...conc.scan,
    ].reduce((a, r) => a + r.errors, 0);
    const latencyRatio = ratio(lat(seq.pipeline).p50, lat(seq.scan).p50);
    const throughputRatio = ratio(
      m(conc.pipeline, (r) => r.perS),
      m(conc.scan, (r) => r.perS),
    );
    const targets: Target[] = [
      {
        name: 'pipeline time within 1.5x of the scan alone (p50, one at a time)',
        met: latencyRatio <= 1.5,
        measured: `${fmt(latencyRatio, 2)}x (${fmt(lat(seq.pipeline).p50, 2)} vs ${fmt(lat(seq.scan).p50, 2)} ms)`,
      },
    ];
    const breakdown = {
      serverCpuMs: median(perUpload.map((p) => p.serverCpuMs)),
      repositoryMs: median(perUpload.map((p) => p.repositoryMs)),
      repositoryCalls: median(perUpload.map((p) => p.repositoryCalls)),
    };
    const compareFigures = other
      ? {
          label: COMPARE?.label,
          main: COMPARE?.main,
          sequential: lat(seqCompare),
          concurrentPerS: round(m(concCompare, (r) => r.perS)),
        }
      : null;
    const notes = [
      `Per upload (one at a time, scanner on): server CPU ${fmt(breakdown.serverCpuMs, 2)} ms, ${fmt(breakdown.repositoryCalls, 1)} repository calls taking ${fmt(breakdown.repositoryMs, 2)} ms in all (the group commit's transaction included)`,
      `Without a scanner the same pipeline takes p50 ${fmt(lat(seq.noScan).p50, 2)} ms: scan ${fmt(lat(seq.scan).p50, 2)} + rest ${fmt(lat(seq.noScan).p50, 2)} ~ ${fmt(lat(seq.scan).p50 + lat(seq.noScan).p50, 2)} vs pipeline ${fmt(lat(seq.pipeline).p50, 2)} ms`,
      `${CONCURRENCY} at a time: pipeline ${fmt(
        m(conc.pipeline, (r) => r.perS),
        0,
      )}/s, without scan ${fmt(
        m(conc.noScan, (r) => r.perS),
        0,
      )}/s, clamd alone ${fmt(
        m(conc.scan, (r) => r.perS),
        0,
      )}/s`,
      `${storedVoice} voice messages stored; ${errors} errors`,
    ];
    const sinkMs = lat(floor.sink).p50;
    const commitMs = median(floor.commitMs);
    const scanMs = lat(seq.scan).p50;
    notes.push(
      `Floor (same run, one at a time, p50): the same multipart request to a bare node:http server that only reads the body takes ${fmt(sinkMs, 2)} ms, one durable one-row commit on this PostgreSQL ${fmt(commitMs, 2)} ms: ${fmt(sinkMs + commitMs, 2)} ms together (${fmt(ratio(sinkMs + commitMs, scanMs), 2)}x the scan alone) before any scanning, checking or storing; 1.5x the scan alone is ${fmt(1.5 * scanMs, 2)} ms`,
    );
    if (compareFigures) {
      notes.push(
        `Same run, ${COMPARE?.label} build: pipeline p50/p99/p99.9 ${pcts(compareFigures.sequential, 2)} ms one at a time, ${fmt(compareFigures.concurrentPerS, 0)}/s ${CONCURRENCY} at a time; this build ${pcts(lat(seq.pipeline), 2)} ms, ${fmt(
          m(conc.pipeline, (r) => r.perS),
          0,
        )}/s`,
      );
    }
    return {
      name: 'uploads',
      columns: [
        'file',
        'clamd alone p50/p99/p99.9 ms',
        'pipeline p50/p99/p99.9 ms',
        'vs scan',
        'pipeline without scanner p50 ms',
        `uploads/s at ${CONCURRENCY}: pipeline / clamd alone`,
        'errors',
      ],
      cells: [
        `${BYTES / 1024} KiB WAV`,
        pcts(lat(seq.scan), 2),
        pcts(lat(seq.pipeline), 2),
        `${fmt(latencyRatio, 2)}x`,
        fmt(lat(seq.noScan).p50, 2),
        `${fmt(
          m(conc.pipeline, (r) => r.perS),
          0,
        )} / ${fmt(
          m(conc.scan, (r) => r.perS),
          0,
        )} (${fmt(throughputRatio, 2)}x)`,
        String(errors),
      ],
      targets,
      notes,
      figures: {
        bytes: BYTES,
        rounds: ROUNDS,
        floor: { bareHttpUpload: lat(floor.sink), durableCommitP50Ms: round(commitMs) },
        sequential: {
          scan: lat(seq.scan),
          pipeline: lat(seq.pipeline),
          pipelineWithoutScanner: lat(seq.noScan),
          runs: seq,
        },
        concurrent: {
          concurrency: CONCURRENCY,
          scanPerS: round(m(conc.scan, (r) => r.perS)),
          pipelinePerS: round(m(conc.pipeline, (r) => r.perS)),
          pipelineWithoutScannerPerS: round(m(conc.noScan, (r) => r.perS)),
          scan: lat(conc.scan),
          pipeline: lat(conc.pipeline),
          pipelineWithoutScanner: lat(conc.noScan),
          runs: conc,
        },
        ratios: { latencyP50: round(latencyRatio, 3), throughput: round(throughputRatio, 3) },
        storedVoiceMessages: storedVoice,
        perUpload: { ...breakdown, runs: perUpload },
        compare: compareFigures,
      },
    };
  } finally {
    await lg.close();
    await scanned?.stop();
    await unscanned?.stop();
    await other?.stop();
    await sink?.stop();
    await db.drop();
    clamd.stop();
  }
}
