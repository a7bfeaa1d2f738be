import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { log, sleep } from './util.js';

/** Every child this run started, so that every exit path ends them. */
const children = new Set<Managed>();
const exitHooks: Array<() => void> = [];

/** Runs at exit (normal, error or signal): synchronous clean-up such as killing a clamd by pid. */
export function onExit(hook: () => void): void {
  exitHooks.push(hook);
}

let installed = false;
function installCleanup(): void {
  if (installed) return;
  installed = true;
  const killAll = () => {
    for (const child of children) {
      if (!child.exited) child.child.kill('SIGKILL');
    }
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

const OUTPUT_LIMIT = 30_000;

export class Managed {
  readonly child: ChildProcess;
  private out = '';
  private exitInfo: { code: number | null; signal: string | null } | undefined;
  private readonly exitedPromise: Promise<void>;

  constructor(
    readonly name: string,
    child: ChildProcess,
  ) {
    installCleanup();
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.out += chunk.toString('utf8');
      if (this.out.length > OUTPUT_LIMIT) this.out = this.out.slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    children.add(this);
    this.exitedPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        children.delete(this);
        resolve();
      });
      child.once('error', (error) => {
        keep(Buffer.from(`spawn failed: ${error.message}\n`));
        this.exitInfo ??= { code: null, signal: null };
        children.delete(this);
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): boolean {
    return this.exitInfo !== undefined;
  }

  output(): string {
    return this.out;
  }

  describe(): string {
    const state = this.exitInfo
      ? `exited (code ${this.exitInfo.code}, signal ${this.exitInfo.signal})`
      : `running (pid ${this.pid})`;
    return `${this.name}: ${state}\n--- last output ---\n${this.out.slice(-4000) || '(none)'}`;
  }

  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (this.exited) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([this.exitedPromise.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return done;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    if (await this.waitForExit(graceMs)) return;
    this.child.kill('SIGKILL');
    await this.waitForExit(5_000);
  }

  /** Resident set size in bytes (Linux /proc), or NaN once gone. */
  rssBytes(): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = /VmRSS:\s+(\d+) kB/.exec(status);
      return match ? Number(match[1]) * 1024 : Number.NaN;
    } catch {
      return Number.NaN;
    }
  }

  /** User + system CPU seconds so far (Linux /proc). */
  cpuSeconds(): number {
    const { user, system } = this.cpuSplit();
    return user + system;
  }

  /** User and system (kernel: syscalls, loopback TCP) CPU seconds so far. */
  cpuSplit(): { user: number; system: number } {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
    } catch {
      return { user: Number.NaN, system: Number.NaN };
    }
  }
}

export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv },
): Managed {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Managed(name, child);
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
  private readonly proc: Managed;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  constructor(name = 'load generator') {
    const entry = new URL('../loadgen/worker.ts', import.meta.url).pathname;
    const child = fork(entry, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [...process.execArgv, '--max-old-space-size=4096'],
    });
    this.proc = new Managed(name, child);
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
        waiter.reject(new Error(`load generator exited\n${this.proc.describe()}`));
      }
      this.pending.clear();
    });
  }

  get managed(): Managed {
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

export { sleep };
