import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_PATH } from './e2e/support/browser';

/**
 * The browser suite: real headless Chromium (Debian's, driven by playwright-core) against the
 * built server and client. It runs whenever Chromium is there, and always in CI (CI=true), where a
 * missing Chromium fails the suite instead of leaving it out. On a machine without Chromium,
 * `pnpm test` leaves it out and says so.
 */
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const leftOut = !inCi && !existsSync(CHROMIUM_PATH);
if (leftOut) {
  console.warn(
    `Leaving out e2e/**/*.e2e.test.ts (needs Chromium at ${CHROMIUM_PATH}; apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**', ...(leftOut ? ['e2e/**'] : [])],
    passWithNoTests: leftOut,
    globalSetup: leftOut ? [] : ['e2e/global-setup.ts'],
    environment: 'node',
    // One browser, one server, steps that build on each other: one file at a time, in order.
    fileParallelism: false,
    sequence: { concurrent: false },
    // Generous: a 2-core machine shared with other suites; building the client alone takes a minute.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
