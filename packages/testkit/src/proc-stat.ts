import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** One process's name and CPU seconds so far, from /proc/<pid>/stat (Linux). */
export interface ProcStat {
  /** The executable's name (`comm`), e.g. `postgres`. */
  name: string;
  user: number;
  system: number;
  /** Children that exited and were waited for (a postmaster's finished backends). */
  reapedChildren: number;
}

/** null when the process is gone (or /proc cannot be read). */
export function readProcStat(pid: number | string): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The name is in parentheses and may hold spaces: fields are counted after the last ')'.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  const seconds = (i: number) => Number(fields[i]) / TICKS_PER_SECOND;
  return {
    name: stat.slice(stat.indexOf('(') + 1, close),
    user: seconds(11),
    system: seconds(12),
    reapedChildren: seconds(13) + seconds(14),
  };
}
