import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config';

/** Unit tests: pure logic in Node, next to the code. The browser suite has its own config. */
export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      include: ['src/**/*.test.{ts,tsx}'],
      environment: 'node',
    },
  }),
);
