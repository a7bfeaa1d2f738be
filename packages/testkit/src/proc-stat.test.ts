import { describe, expect, it } from 'vitest';
import { readProcStat } from './proc-stat.js';

describe('readProcStat', () => {
  it("reads this process's name and the CPU it has used", () => {
    const deadline = Date.now() + 50;
    while (Date.now() < deadline) {
      // burn a little CPU so user time is above zero
    }
    const stat = readProcStat(process.pid);
    expect(stat?.name).toBe('node');
    expect(stat?.user).toBeGreaterThan(0);
    expect(stat?.system).toBeGreaterThanOrEqual(0);
  });

  it('answers null for a process that does not exist', () => {
    expect(readProcStat(2 ** 22 + 1)).toBeNull();
  });
});
