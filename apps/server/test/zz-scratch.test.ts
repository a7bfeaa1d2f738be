import { it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { connectClient } from './support/sockets.js';
import { createFactory } from './support/test-app.js';
it('x', async () => {
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789', DATA_DIR: '/tmp/scratchx', WEB_DIST_DIR: '/nonexistent' });
  const database = await openDatabase({ kind: 'pglite', dataDir: undefined });
  await migrate(database);
  const built = await buildApp({ config, database, logger: { level: 'error' } });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(built.app.server.address() as any).port}`;
  const f = createFactory(built);
  const chat = await f.bookingChat();
  const s = await connectClient(url, chat.client.token);
  for (const depth of [500, 1000, 1500, 2355]) {
    let nested: unknown = 1;
    for (let i = 0; i < depth; i++) nested = { a: nested };
    console.log(depth, JSON.stringify(await s.timeout(5000).emitWithAck('send_message' as any, { session_id: chat.sessionId, message: { content: 'deep', metadata: nested } } as any)).slice(0, 200));
  }
  s.disconnect();
  await built.app.close();
});
