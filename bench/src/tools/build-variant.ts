// Builds a second copy of the server for same-run before/after comparisons: today's working
// tree of apps/server with the given files taken back to a git revision (deleted when absent
// there). Nothing in the repository is changed; the copy lives under the output folder.
//   pnpm --filter @chat/bench exec tsx src/tools/build-variant.ts <outDir> <rev> <path>...
//   then: BENCH_COMPARE_MAIN=<outDir>/apps/server/dist/main.js pnpm bench send
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../lib/util.js';

const [outDir, rev, ...paths] = process.argv.slice(2);
if (!outDir || !rev || paths.length === 0) {
  console.error('usage: build-variant.ts <outDir> <git-rev> <repo-relative path>...');
  process.exit(2);
}
const server = join(outDir, 'apps/server');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(server, { recursive: true });
cpSync(join(REPO_ROOT, 'tsconfig.base.json'), join(outDir, 'tsconfig.base.json'));
for (const entry of ['src', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
  cpSync(join(REPO_ROOT, 'apps/server', entry), join(server, entry), { recursive: true });
}
symlinkSync(join(REPO_ROOT, 'apps/server/node_modules'), join(server, 'node_modules'));
for (const path of paths) {
  if (!path.startsWith('apps/server/')) throw new Error(`${path}: only files under apps/server/`);
  const target = join(outDir, path);
  let content: string | null;
  try {
    content = execFileSync('git', ['show', `${rev}:${path}`], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    content = null;
  }
  if (content === null) {
    if (existsSync(target)) rmSync(target);
    console.log(`removed ${path} (not in ${rev})`);
  } else {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    console.log(`${path} as of ${rev}`);
  }
}
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: server, stdio: 'inherit' });
execFileSync('node', ['scripts/copy-migrations.mjs'], { cwd: server, stdio: 'inherit' });
console.log(join(server, 'dist/main.js'));
