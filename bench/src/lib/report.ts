import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { log, REPO_ROOT, RESULTS_DIR } from './util.js';

export const BENCHMARKS_MD = `${REPO_ROOT}docs/benchmarks.md`;

export interface Target {
  name: string;
  met: boolean;
  measured: string;
}

export interface BenchOutput {
  name: string;
  /** Column titles of this benchmark's table in docs/benchmarks.md (after date, commit, machine). */
  columns: string[];
  cells: string[];
  targets: Target[];
  /** Everything measured, for the JSON file. */
  figures: unknown;
  notes: string[];
}

export interface RunContext {
  date: string;
  commit: string;
  machine: string;
  machineInfo: unknown;
  build: unknown;
}

export function writeJson(output: BenchOutput, ctx: RunContext): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}/${output.name}-${ctx.date.replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: output.name, ...ctx, targets: output.targets, notes: output.notes, figures: output.figures }, null, 2)}\n`,
  );
  return file;
}

const HEADER = `# Benchmarks

<!-- The section up to "Results" is written by hand; rows below are appended by \`pnpm bench\`. -->
`;

/**
 * Appends one row to the benchmark's table in docs/benchmarks.md (creating the table, or the
 * file, the first time). Rows go just above the table's end marker, so the newest is last.
 */
export function appendRow(output: BenchOutput, ctx: RunContext): void {
  const start = `<!-- bench:${output.name}:start -->`;
  const end = `<!-- bench:${output.name}:end -->`;
  const columns = ['date', 'commit', 'machine', ...output.columns, 'targets'];
  const targets = output.targets
    .map((t) => `${t.met ? 'met' : 'MISSED'}: ${t.name} (${t.measured})`)
    .join('; ');
  const row = `| ${[
    ctx.date.slice(0, 16).replace('T', ' ') + (process.env.BENCH_QUICK === '1' ? ' (quick)' : ''),
    ctx.commit,
    ctx.machine,
    ...output.cells,
    targets,
  ]
    .map((c) => c.replace(/\|/g, '\\|').replace(/\n/g, ' '))
    .join(' | ')} |`;
  let text = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : HEADER;
  if (!text.includes(end)) {
    if (!text.includes('## Results')) text = `${text.trimEnd()}\n\n## Results\n`;
    text = `${text.trimEnd()}\n\n### ${output.name}\n\n${start}\n| ${columns.join(' | ')} |\n|${columns
      .map(() => ' --- ')
      .join('|')}|\n${end}\n`;
  }
  text = text.replace(end, `${row}\n${end}`);
  writeFileSync(BENCHMARKS_MD, text);
  log(`row appended to docs/benchmarks.md (${output.name})`);
}
