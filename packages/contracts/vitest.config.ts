import { defineConfig } from 'vitest/config';

// `source` resolves workspace packages to their TypeScript sources: tests need no build first.
const conditions = ['source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {},
});
