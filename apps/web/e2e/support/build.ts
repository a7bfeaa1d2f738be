import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT, SERVER_MAIN, WEB_DIR, WEB_DIST } from './paths';

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

function run(args: string[]): void {
  console.log(`[e2e] pnpm ${args.join(' ')}`);
  execFileSync('pnpm', args, {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: { ...process.env, CI: process.env.CI ?? '' },
  });
}

/**
 * The suite drives what `pnpm start` serves: the built server and the built client. Builds the
 * server (with the contracts it runs on) when its output is missing, and the client when its
 * output is missing or older than its sources, so the browser never tests a stale bundle.
 */
export function ensureBuilt(): void {
  const contractsDist = resolve(REPO_ROOT, 'packages/contracts/dist/index.js');
  if (!existsSync(SERVER_MAIN) || !existsSync(contractsDist)) {
    run(['--filter', '@chat/server...', 'run', 'build']);
  }
  const builtAt = existsSync(join(WEB_DIST, 'index.html'))
    ? statSync(join(WEB_DIST, 'index.html')).mtimeMs
    : 0;
  const sourcesAt = Math.max(
    newestMtime(resolve(WEB_DIR, 'src')),
    newestMtime(resolve(WEB_DIR, 'index.html')),
    newestMtime(resolve(WEB_DIR, 'vite.config.ts')),
    newestMtime(resolve(REPO_ROOT, 'packages/contracts/src')),
    newestMtime(resolve(REPO_ROOT, 'packages/client/src')),
  );
  if (builtAt === 0 || sourcesAt > builtAt) run(['--filter', '@chat/web', 'run', 'build']);
}
