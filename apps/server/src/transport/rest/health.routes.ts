import type { FastifyPluginAsync } from 'fastify';

/**
 * What `/readyz` answers: each check by name, `ok` or not. An anonymous caller reads `failing`
 * for a check that failed; an operator reads why (the error's text).
 */
export interface Readiness {
  status: 'ready' | 'unavailable';
  checks: Record<string, string>;
}

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface HealthRoutesOptions {
  checks: ReadinessCheck[];
  /** Whether the caller may read why a check failed (an operator's token). */
  isOperator(authorization: string | undefined): Promise<boolean>;
}

/** What an anonymous caller reads in place of a failed check's error. */
export const FAILING = 'failing';

/**
 * `/healthz`: the process answers. `/readyz`: every dependency answers (503 naming the failing
 * ones). Why one failed (a host, a port, a driver's message) is for the log and for operators:
 * the probe itself is public, since balancers and orchestrators call it without credentials.
 */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (
  app,
  { checks, isOperator },
) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    const [results, operator] = await Promise.all([
      Promise.all(
        checks.map(async ({ name, check }) => {
          try {
            await withTimeout(check(), 2_000);
            return { name, error: undefined };
          } catch (error) {
            request.log.warn({ check: name, err: error }, 'readiness check failed');
            return { name, error: error instanceof Error ? error.message : String(error) };
          }
        }),
      ),
      isOperator(request.headers.authorization),
    ]);
    const ready = results.every(({ error }) => error === undefined);
    const shown = (error: string | undefined) =>
      error === undefined ? 'ok' : operator ? error || FAILING : FAILING;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'unavailable',
      checks: Object.fromEntries(results.map(({ name, error }) => [name, shown(error)])),
    } satisfies Readiness);
  });
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
