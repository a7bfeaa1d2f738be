// Scratch probe: heap vs RSS per idle joined socket, service vs bare relay; optional heap snapshot.
//   BENCH_PROBE_N=2000 pnpm --filter @chat/bench exec tsx src/tools/memory-probe.ts
import { sleep } from '@chat/testkit';
import { createBenchDatabase, seedBookingSessions } from '../lib/db.js';
import { LoadGenerator } from '../lib/processes.js';
import { scrapeMetrics, signToken, startChatServer, startRelay } from '../lib/server.js';
import { log } from '../lib/util.js';

const N = Number(process.env.BENCH_PROBE_N ?? 2000);
const db = await createBenchDatabase('probe');
const lg = new LoadGenerator();
const server = await startChatServer({ name: 'probe', databaseUrl: db.url });
const relay = await startRelay();
try {
  const pairs = await seedBookingSessions(db.pool, N / 2);
  const specs = pairs.flatMap((p) => [
    { userId: p.clientId, sessionId: p.sessionId },
    { userId: p.readerId, sessionId: p.sessionId },
  ]);
  const chatHeap = async () => {
    const m = await scrapeMetrics(server.url);
    return {
      heap: m.get('nodejs_heap_size_used_bytes') ?? 0,
      ext: m.get('nodejs_external_memory_bytes') ?? 0,
      rss: server.proc.rssBytes(),
    };
  };
  const relayHeap = async () => {
    const m = (await (await fetch(`${relay.url}/memory`)).json()) as {
      heapUsed: number;
      external: number;
    };
    return { heap: m.heapUsed, ext: m.external, rss: relay.proc.rssBytes() };
  };
  for (const [key, url, mem, tokens] of [
    ['bare', relay.url, relayHeap, false],
    ['chat', server.url, chatHeap, true],
  ] as const) {
    const half = specs
      .slice(0, N / 2)
      .map((s) => ({ ...s, token: tokens ? signToken(s.userId) : null }));
    const rest = specs
      .slice(N / 2)
      .map((s) => ({ ...s, token: tokens ? signToken(s.userId) : null }));
    await lg.call('connOpen', {
      key,
      url,
      specs: half,
      reconnection: tokens,
      concurrency: 100,
      label: key,
    });
    await sleep(5000);
    const a = await mem();
    await lg.call('connOpen', {
      key,
      url,
      specs: rest,
      reconnection: tokens,
      concurrency: 100,
      label: key,
    });
    await sleep(5000);
    const b = await mem();
    const per = (x: number, y: number) => ((y - x) / (N / 2) / 1024).toFixed(2);
    log(
      `${key}: per socket heap ${per(a.heap, b.heap)} KiB, external ${per(a.ext, b.ext)} KiB, rss ${per(a.rss, b.rss)} KiB`,
    );
    if (process.env.BENCH_PROBE_SNAPSHOT === '1') {
      (key === 'chat' ? server : relay).proc.child.kill('SIGUSR2');
      await sleep(15000);
      log(`heap snapshot of ${key} requested (written to its working directory)`);
    }
    await lg.call('connClose', { key });
  }
} finally {
  await lg.close();
  await server.stop();
  await relay.stop();
  await db.drop();
}
