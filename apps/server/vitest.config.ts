import { defineConfig } from 'vitest/config';

// `source` resolves workspace packages to their TypeScript sources: tests need no build first.
const conditions = ['source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Each file opens its own database (PGlite in memory, or the shared PostgreSQL); two at a
    // time fits a 2-core machine.
    maxWorkers: 2,
  },
});
