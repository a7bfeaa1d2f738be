import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** The built React client at `/` (WEB_DIST_DIR, else apps/web/dist); the API alone without it. */
export const webClientPlugin: FastifyPluginAsync<{ dir: string | undefined }> = async (
  app,
  { dir },
) => {
  const webDist = dir ?? DEFAULT_WEB_DIST;
  if (!existsSync(webDist)) {
    app.log.warn({ webDist }, 'web client not built; serving the API only');
    return;
  }
  await app.register(fastifyStatic, { root: webDist, prefix: '/', wildcard: false });
};
