import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createMetrics, listenMetrics } from './metrics.js';
import { openRuntime } from './runtime.js';

const SHUTDOWN_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const runtime = await openRuntime(config);
  const metrics = createMetrics();
  const { app } = await buildApp({
    config,
    database: runtime.database,
    redis: runtime.redis,
    adapterRedis: runtime.adapterRedis,
    metrics,
  });
  await app.listen({ port: config.port, host: config.host });
  const { port: metricsPort, host: metricsHost } = config.metrics;
  const metricsListener =
    metricsPort === undefined
      ? undefined
      : await listenMetrics(metrics.registry, { port: metricsPort, host: metricsHost });
  if (metricsListener) {
    app.log.info(`metrics at http://${metricsHost}:${metricsListener.port}/metrics`);
  }
  if (config.auth.kind === 'dev') {
    app.log.info('development sign-in is on: GET /api/dev/users, POST /api/dev/sign-in');
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    try {
      await app.close();
      await metricsListener?.close();
      await runtime.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
