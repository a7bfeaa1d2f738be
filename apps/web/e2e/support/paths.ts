import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const WEB_DIR = resolve(here, '../..');
export const REPO_ROOT = resolve(WEB_DIR, '../..');
export const ARTIFACTS_DIR = resolve(WEB_DIR, 'e2e/artifacts');
export const SERVER_MAIN = resolve(REPO_ROOT, 'apps/server/dist/main.js');
export const WEB_DIST = resolve(WEB_DIR, 'dist');
