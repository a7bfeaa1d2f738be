import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProcStat } from '@chat/testkit';
import type pg from 'pg';

/** /usr/lib/postgresql/<newest>/bin/pgbench (BENCH_PGBENCH overrides). */
export function findPgbench(): string {
  if (process.env.BENCH_PGBENCH) return process.env.BENCH_PGBENCH;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(`${root}/${v}/bin/pgbench`))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0])
    throw new Error('pgbench not found under /usr/lib/postgresql/*/bin (set BENCH_PGBENCH)');
  return `${root}/${versions[0]}/bin/pgbench`;
}

const SESSIONS = 200;

/**
 * Prepares `pgbench` against the chat schema in the benchmark's database: 200 sessions of its
 * own, a sender, and a sequence for gap-free-enough unique seqs. Returns the script's path.
 */
export async function preparePgbench(pool: pg.Pool): Promise<string> {
  const sender = '00000000-0000-4000-8000-ffffffffffff';
  await pool.query(
    `INSERT INTO profiles (id, first_name, last_name, role) VALUES ($1, 'pgbench', 'sender', 'client')
                    ON CONFLICT DO NOTHING`,
    [sender],
  );
  await pool.query(
    `INSERT INTO chat_sessions (id, session_type, status, created_by)
     SELECT ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'general', 'active', $1
     FROM generate_series(0, ${SESSIONS - 1}) n ON CONFLICT DO NOTHING`,
    [sender],
  );
  await pool.query('CREATE SEQUENCE IF NOT EXISTS bench_pgbench_seq');
  const script = join(tmpdir(), `chat-bench-pgbench-${process.pid}.sql`);
  // The row the service writes per text message: chat_messages with its PK, its (session_id, seq)
  // unique index and its foreign keys; one row per transaction (pgbench's autocommit).
  writeFileSync(
    script,
    `\\set s random(0, ${SESSIONS - 1})
INSERT INTO chat_messages (id, session_id, seq, sender_id, type, content, metadata, created_at)
VALUES (gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid, nextval('bench_pgbench_seq'), '${sender}', 'text', 'pgbench message of a chat-like length', '{}', now());
`,
  );
  return script;
}

export interface PgbenchResult {
  tps: number;
  latencyMsAvg: number;
  transactions: number;
  clients: number;
  seconds: number;
}

/** One pgbench run: `clients` clients, `seconds` long, prepared statements, no vacuum. */
export function runPgbench(
  dbName: string,
  script: string,
  clients: number,
  seconds: number,
): Promise<PgbenchResult> {
  const bin = findPgbench();
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    '5432',
    '-U',
    'postgres',
    '-n',
    '-M',
    'prepared',
    '-c',
    String(clients),
    '-j',
    '2',
    '-T',
    String(seconds),
    '-f',
    script,
    dbName,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      { timeout: (seconds + 60) * 1000, maxBuffer: 10_000_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`pgbench failed: ${error.message}\n${stderr}`));
          return;
        }
        const tps = /tps = ([\d.]+)/.exec(stdout);
        const latency = /latency average = ([\d.]+) ms/.exec(stdout);
        const tx = /number of transactions actually processed: (\d+)/.exec(stdout);
        if (!tps) {
          reject(new Error(`pgbench output not understood:\n${stdout}\n${stderr}`));
          return;
        }
        resolve({
          tps: Number(tps[1]),
          latencyMsAvg: Number(latency?.[1] ?? Number.NaN),
          transactions: Number(tx?.[1] ?? 0),
          clients,
          seconds,
        });
      },
    );
  });
}

/** CPU seconds used so far by every process named `postgres` (the whole cluster, not only ours). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = readProcStat(pid);
    if (stat?.name !== 'postgres') continue;
    // The postmaster reaps its backends, so the CPU of connections that ended (pgbench's, at
    // the end of its run) is counted in its reaped children's time.
    total += stat.user + stat.system + stat.reapedChildren;
  }
  return total;
}

/** Busy and total jiffies of the whole machine (/proc/stat), for "how busy was the box". */
export function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}
