import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The repository root and the places the benchmarks use. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BENCH_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER_DIR = `${REPO_ROOT}apps/server`;
export const SERVER_MAIN = `${SERVER_DIR}/dist/main.js`;
export const RESULTS_DIR = `${BENCH_DIR}results`;

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Nearest-rank percentiles of latencies (ms). */
export function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const at = (q: number) =>
    n === 0
      ? Number.NaN
      : (sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] ?? Number.NaN);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n,
    mean: n === 0 ? Number.NaN : sum / n,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: n === 0 ? Number.NaN : (sorted[n - 1] ?? Number.NaN),
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export const round = (v: number, digits = 2) =>
  Number.isFinite(v) ? Number(v.toFixed(digits)) : v;

/** "12.3 / 45.6 / 78.9" (p50 / p99 / p99.9), in ms. */
export const pcts = (s: Pick<Summary, 'p50' | 'p99' | 'p999'>, digits = 1) =>
  `${fmt(s.p50, digits)} / ${fmt(s.p99, digits)} / ${fmt(s.p999, digits)}`;

export function fmt(v: number, digits = 1): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? a / b : Number.NaN);

export interface MachineInfo {
  nproc: number;
  memoryGiB: number;
  cpu: string;
  node: string;
  postgres: string | null;
}

export function machineInfo(): MachineInfo {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    // os.cpus() it is
  }
  return {
    nproc,
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    postgres: null,
  };
}

export const describeMachine = (m: MachineInfo) =>
  `${m.nproc} cores, ${m.memoryGiB} GiB, Node ${m.node}${m.postgres ? `, PG ${m.postgres}` : ''}`;

/** The commit benchmarked, with a mark when the working tree differs from it. */
export function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--', 'apps/server/src', 'packages/contracts/src'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    ).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

/** Progress line with the elapsed time of the whole run. */
const started = Date.now();
export function log(message: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[bench ${s}s] ${message}\n`);
}
