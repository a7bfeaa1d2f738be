import { defineConfig } from 'vitest/config';

// `source` resolves workspace packages to their TypeScript sources: tests need no build first.
const conditions = ['source', 'module', 'node', 'development|production'];

/**
 * Suites that need an outside service run when its variable is set, and always in CI (CI=true),
 * where a missing variable makes the suite fail loudly instead of being left out. On a laptop
 * with only Node, `pnpm test` runs everything else and says what it left out.
 */
const serviceSuites: Array<{ pattern: string; variables: string[] }> = [
  { pattern: 'test/**/*.redis.test.ts', variables: ['REDIS_URL'] },
  // Several server processes share one database: PGlite is in-process, so PostgreSQL it is.
  { pattern: 'test/**/*.multinode.test.ts', variables: ['REDIS_URL', 'DATABASE_URL'] },
  // What only PostgreSQL itself has (a connection of its own to cut, LISTEN elsewhere).
  { pattern: 'test/**/*.postgres.test.ts', variables: ['DATABASE_URL'] },
  { pattern: 'test/**/*.clamav.test.ts', variables: ['CLAMAV_HOST'] },
];
/** A real Supabase project cannot be reached from CI (no network): run when configured only. */
const supabaseSuite = 'test/**/*.supabase.test.ts';
const hasSupabase = Boolean(process.env.SUPABASE_URL && process.env.SUPABASE_SERVICE_ROLE_KEY);
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const leftOut = serviceSuites.filter((s) => !inCi && s.variables.some((v) => !process.env[v]));
for (const suite of leftOut) {
  console.warn(`Leaving out ${suite.pattern} (needs ${suite.variables.join(' and ')})`);
}

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: [
      '**/node_modules/**',
      ...leftOut.map((s) => s.pattern),
      ...(hasSupabase ? [] : [supabaseSuite]),
    ],
    // Generous: a test that starts its own app waits for PGlite, slow on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file opens its own database (PGlite in memory, or the shared PostgreSQL); two at a
    // time fits a 2-core machine.
    maxWorkers: 2,
  },
});
