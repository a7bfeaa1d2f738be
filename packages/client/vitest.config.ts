import { defineConfig } from 'vitest/config';

// `source` resolves workspace packages to their TypeScript sources: tests need no build first.
const conditions = ['source', 'module', 'node', 'development|production'];

/** Unit tests in Node: the reducers, the outbox and the catch-up, over a fake socket and fetch. */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
});
