// Summarises a V8 .cpuprofile (node --cpu-prof, BENCH_CPU_PROF=1): self time by function and by
// package, and inclusive time of the app's own functions.
//   pnpm --filter @chat/bench exec tsx src/tools/cpuprofile.ts <file.cpuprofile> [top] [from-seconds]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
const top = Number(process.argv[3] ?? 30);
/** Only samples after this many seconds from the start (skip start-up). */
const fromS = Number(process.argv[4] ?? 0);
if (!file) {
  console.error('usage: cpuprofile.ts <file.cpuprofile> [top] [from-seconds]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from samples and time deltas.
const self = new Map<number, number>();
let clock = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  clock += delta;
  if (clock < fromS * 1e6) return;
  self.set(id, (self.get(id) ?? 0) + delta);
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

const pkg = (url: string) => {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? `app:${url.slice(dist + 6)}` : url;
};
const label = (n: Node) =>
  `${n.callFrame.functionName || '(anonymous)'} ${pkg(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const bySelf = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id);
  if (!n) continue;
  bySelf.set(label(n), (bySelf.get(label(n)) ?? 0) + us);
  const p = n.callFrame.url ? pkg(n.callFrame.url) : n.callFrame.functionName;
  byPkg.set(p, (byPkg.get(p) ?? 0) + us);
}

// Inclusive time per app function (any frame under apps/server/dist), counted once per sample.
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  const seen = new Set<string>();
  let cur: number | undefined = id;
  while (cur !== undefined) {
    const n = byId.get(cur);
    if (!n) break;
    if (n.callFrame.url.includes('/apps/server/dist/')) {
      const l = label(n);
      if (!seen.has(l)) {
        seen.add(l);
        inclusive.set(l, (inclusive.get(l) ?? 0) + us);
      }
    }
    cur = parent.get(cur);
  }
}

const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n== ${title} ==`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${pct(v)}  ${k}`);
};
console.log(
  `profile ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, sampled ${(total / 1e6).toFixed(1)} s`,
);
print('self time by package', byPkg);
print('self time by function', bySelf);
print('inclusive time, app functions', inclusive);
