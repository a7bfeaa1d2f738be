import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readProcStat } from './proc-stat.js';

/** Kept per process: enough of the end of its output to explain a failure. */
const OUTPUT_LIMIT = 20_000;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every managed child still running, so that the end of this process ends them too. */
const running = new Set<ManagedProcess>();
let killAtExitInstalled = false;

/**
 * SIGKILL to every managed child still running, which are then forgotten. Runs by itself when
 * this process exits; a process that ends itself on a signal (the bench) calls it first.
 */
export function killRunningProcesses(): void {
  for (const managed of running) managed.child.kill('SIGKILL');
  running.clear();
}

/** A child with its output kept, and bounded ways to end it. */
export class ManagedProcess {
  private out = '';
  private exitInfo: ProcessExit | undefined;
  private readonly exitedPromise: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.out += chunk.toString('utf8');
      if (this.out.length > OUTPUT_LIMIT) this.out = this.out.slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Last resort: if this process goes away, its children go with it.
    if (!killAtExitInstalled) {
      killAtExitInstalled = true;
      process.once('exit', killRunningProcesses);
    }
    running.add(this);
    this.exitedPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        running.delete(this);
        resolve();
      });
      child.once('error', (error) => {
        keep(Buffer.from(`spawn failed: ${error.message}\n`));
        this.exitInfo ??= { code: null, signal: null };
        running.delete(this);
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** How it ended, or undefined while it runs. */
  get exit(): ProcessExit | undefined {
    return this.exitInfo;
  }

  /** The last part of its stdout and stderr. */
  output(): string {
    return this.out;
  }

  /** Its state and the last `maxOutputChars` of its output, for an error message. */
  describe(maxOutputChars = OUTPUT_LIMIT): string {
    const state = this.exitInfo
      ? `exited (code ${this.exitInfo.code}, signal ${this.exitInfo.signal})`
      : `running (pid ${this.pid})`;
    return `${this.name}: ${state}\n--- last output ---\n${this.out.slice(-maxOutputChars) || '(none)'}`;
  }

  /** Resolves true once the process has exited, false after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (this.exited) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([this.exitedPromise.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    if (await this.waitForExit(graceMs)) return;
    await this.kill();
  }

  /** SIGKILL, and wait (bounded) for the exit. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    if (!(await this.waitForExit(5_000))) {
      throw new Error(`${this.name} (pid ${this.pid}) did not exit after SIGKILL`);
    }
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

  /** User and system (kernel: syscalls, loopback TCP) CPU seconds so far (Linux /proc). */
  cpuSplit(): { user: number; system: number } {
    const stat = this.pid === undefined ? null : readProcStat(this.pid);
    return stat
      ? { user: stat.user, system: stat.system }
      : { user: Number.NaN, system: Number.NaN };
  }
}

/** Spawns `command` with its stdout and stderr kept (stdin closed). */
export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv },
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ManagedProcess(name, child);
}
