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
      runChecks(checks, (name, error) =>
        request.log.warn({ check: name, err: error }, 'readiness check failed'),
      ),
      isOperator(request.headers.authorization),
    ]);
    const readiness = readinessOf(results, operator);
    return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
  });
};

type CheckResult = { name: string; error: string | undefined };

/** Every check side by side, each bounded to 2 s; a failure is logged and kept as its text. */
function runChecks(
  checks: ReadinessCheck[],
  logFailure: (name: string, error: unknown) => void,
): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await withTimeout(check(), 2_000);
        return { name, error: undefined };
      } catch (error) {
        logFailure(name, error);
        return { name, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
}

/** The answer: why a check failed only for an operator, `failing` for anyone else. */
function readinessOf(results: CheckResult[], operator: boolean): Readiness {
  const shown = (error: string | undefined) =>
    error === undefined ? 'ok' : operator ? error || FAILING : FAILING;
  return {
    status: results.every(({ error }) => error === undefined) ? 'ready' : 'unavailable',
    checks: Object.fromEntries(results.map(({ name, error }) => [name, shown(error)])),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
