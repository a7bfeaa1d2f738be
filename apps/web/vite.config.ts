import react from '@vitejs/plugin-react';
import { defaultClientConditions, defaultServerConditions, defineConfig } from 'vite';

// The chat server `pnpm dev` runs beside this dev server (apps/server, port 5000).
const server = 'http://127.0.0.1:5000';

export default defineConfig({
  plugins: [react()],
  // `source` first: workspace packages (@chat/contracts) resolve to their TypeScript sources, so
  // neither the dev server nor the tests need them built first.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
  server: {
    // FRONTEND_URL's default (http://localhost:3000), so the server's Origin check lets it in.
    port: 3000,
    strictPort: true,
    proxy: {
      '/api': server,
      '/trpc': server,
      '/socket.io': { target: server, ws: true },
      '/docs': server,
      '/healthz': server,
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      // zod's sources carry explanatory comments next to `@__PURE__` marks; Rollup only says so.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/node_modules/')) return;
        warn(warning);
      },
    },
  },
});
