// pnpm bench            every benchmark, in order
// pnpm bench <name>...  some of them: send, connections, history, uploads
import { runConnections } from './benches/connections.js';
import { runHistory } from './benches/history.js';
import { runSend } from './benches/send.js';
import { runUploads } from './benches/uploads.js';
import { postgresVersion } from './lib/db.js';
import { appendRow, type BenchOutput, type RunContext, writeJson } from './lib/report.js';
import { ensureServerBuild } from './lib/server.js';
import { describeMachine, gitCommit, log, machineInfo } from './lib/util.js';

const BENCHES: Record<string, () => Promise<BenchOutput>> = {
  send: runSend,
  connections: runConnections,
  history: runHistory,
  uploads: runUploads,
};

async function main(): Promise<number> {
  const requested = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = requested.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`,
    );
    return 2;
  }
  const names = requested.length > 0 ? requested : Object.keys(BENCHES);
  const build = ensureServerBuild();
  const machine = machineInfo();
  machine.postgres = await postgresVersion();
  const commit = gitCommit();
  log(`machine: ${describeMachine(machine)} (${machine.cpu}); commit ${commit}`);

  let failed = 0;
  for (const name of names) {
    const run = BENCHES[name];
    if (!run) continue;
    log(`=== ${name} ===`);
    const ctx: RunContext = {
      date: new Date().toISOString(),
      commit,
      machine: describeMachine(machine),
      machineInfo: machine,
      build,
    };
    try {
      const output = await run();
      const file = writeJson(output, ctx);
      appendRow(output, ctx);
      log(`${name}: results in ${file.replace(/^.*\/bench\//, 'bench/')}`);
      for (const t of output.targets)
        log(`  target ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.measured}`);
      for (const n of output.notes) log(`  note: ${n}`);
    } catch (error) {
      failed++;
      log(
        `${name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
