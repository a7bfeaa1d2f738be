import { describe, expect, it } from 'vitest';
import { spawnManaged } from './managed-process.js';
import { waitUntil } from './wait.js';

const node = (script: string) =>
  spawnManaged('child', process.execPath, ['-e', script], { env: { PATH: process.env.PATH } });

describe('ManagedProcess', () => {
  it('stop() ends a child that ignores SIGTERM with SIGKILL once the grace period is over', async () => {
    const child = node(
      "process.on('SIGTERM', () => console.log('ignored')); setInterval(() => {}, 1000); console.log('ready')",
    );
    expect(await waitUntil(() => child.output().includes('ready'), 5_000, 20)).toBe(true);
    const started = Date.now();
    await child.stop(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(child.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(child.output()).toContain('ignored');
  });

  it('stop() of a child that exits on SIGTERM does not wait for the grace period', async () => {
    const child = node("setInterval(() => {}, 1000); console.log('ready')");
    expect(await waitUntil(() => child.output().includes('ready'), 5_000, 20)).toBe(true);
    const started = Date.now();
    await child.stop(10_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(child.exit).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('a command that cannot start counts as exited, and says why', async () => {
    const child = spawnManaged('missing', '/nonexistent/command', [], { env: {} });
    expect(await child.waitForExit(5_000)).toBe(true);
    expect(child.describe()).toContain('spawn failed');
  });
});
