// The load-generator process: runs the tasks the orchestrator calls over IPC, one call at a time.
import { connAwait, connClose, connMark, connOpen } from './connections.js';
import { httpCases, restSend } from './http.js';
import { sendClose, sendOpen, sendTrial, sendVerify } from './send.js';
import { clamdRun, uploadRun } from './uploads.js';

// biome-ignore lint/suspicious/noExplicitAny: each task validates its own arguments by use.
const tasks: Record<string, (args: any) => Promise<unknown>> = {
  sendOpen,
  sendTrial,
  sendVerify,
  sendClose,
  connOpen,
  connMark,
  connAwait,
  connClose,
  httpCases,
  restSend,
  uploadRun,
  clamdRun,
};

process.on('message', (raw: { type: string; id?: number; task?: string; args?: unknown }) => {
  if (raw.type === 'exit') {
    process.exit(0);
  }
  if (raw.type !== 'call' || raw.id === undefined || raw.task === undefined) return;
  const { id, task } = raw;
  const run = tasks[task];
  if (!run) {
    process.send?.({ type: 'result', id, ok: false, error: `unknown task ${task}` });
    return;
  }
  run(raw.args).then(
    (value) => process.send?.({ type: 'result', id, ok: true, value }),
    (error: unknown) =>
      process.send?.({
        type: 'result',
        id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});

// The orchestrator gone means the run is over: never linger with thousands of sockets open.
process.on('disconnect', () => process.exit(0));
