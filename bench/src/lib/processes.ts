import { fork } from 'node:child_process';
import { killRunningProcesses, ManagedProcess, spawnManaged as spawnProcess } from '@chat/testkit';
import { log } from './util.js';

/** How much of a child's output a bench error quotes. */
export const QUOTED_OUTPUT_CHARS = 4_000;

const exitHooks: Array<() => void> = [];

/** Runs at exit (normal, error or signal): synchronous clean-up such as killing a clamd by pid. */
export function onExit(hook: () => void): void {
  installCleanup();
  exitHooks.push(hook);
}

let installed = false;
function installCleanup(): void {
  if (installed) return;
  installed = true;
  const killAll = () => {
    killRunningProcesses();
    for (const hook of exitHooks.splice(0)) {
      try {
        hook();
      } catch {
        // best effort at exit
      }
    }
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping every process this run started`);
      killAll();
      process.exit(130);
    });
  }
}

/** Spawns a child that every exit path of this run ends (see `installCleanup`). */
export function spawnManaged(...args: Parameters<typeof spawnProcess>): ManagedProcess {
  installCleanup();
  return spawnProcess(...args);
}

type Message =
  | { type: 'progress'; text: string }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: string };

/**
 * The load generator: its own Node process (same tsx loader as this one), driven by calls over
 * IPC. It never shares an event loop with the orchestrator or the server.
 */
export class LoadGenerator {
  private readonly proc: ManagedProcess;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  constructor(name = 'load generator') {
    installCleanup();
    const entry = new URL('../loadgen/worker.ts', import.meta.url).pathname;
    const child = fork(entry, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [...process.execArgv, '--max-old-space-size=4096'],
    });
    this.proc = new ManagedProcess(name, child);
    child.on('message', (raw) => {
      const message = raw as Message;
      if (message.type === 'progress') {
        log(`  ${message.text}`);
        return;
      }
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(`load generator: ${message.error}`));
    });
    child.once('exit', () => {
      for (const waiter of this.pending.values()) {
        waiter.reject(
          new Error(`load generator exited\n${this.proc.describe(QUOTED_OUTPUT_CHARS)}`),
        );
      }
      this.pending.clear();
    });
  }

  get managed(): ManagedProcess {
    return this.proc;
  }

  /** Calls a task in the load generator; rejects after `timeoutMs` (every call is bounded). */
  call<T>(task: string, args: unknown, timeoutMs = 600_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`load generator task ${task} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.child.send({ type: 'call', id, task, args });
    });
  }

  async close(): Promise<void> {
    if (this.proc.exited) return;
    this.proc.child.send({ type: 'exit' });
    if (!(await this.proc.waitForExit(10_000))) await this.proc.stop(2_000);
  }
}
