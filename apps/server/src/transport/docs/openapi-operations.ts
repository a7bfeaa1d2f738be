import {
  ANY_OPERATION_ERRORS,
  ERROR_CODES,
  ERROR_DEFINITIONS,
  MAX_UPLOAD_BYTES,
  REST_OPERATIONS,
  type TErrorCode,
  type TErrorStatus,
  type TRestOperation,
  ZErrorEnvelope,
} from '@chat/contracts';
import type { SwaggerTransform } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Readiness } from '../rest/health.routes.js';

/** A route's schema as the OpenAPI plugin reads it (zod schemas, as the routes declare them). */
interface DocumentedSchema extends FastifySchema {
  hide?: boolean;
  tags?: readonly string[];
  operationId?: string;
  summary?: string;
  consumes?: readonly string[];
  security?: ReadonlyArray<Record<string, readonly string[]>>;
  response?: Record<string, unknown>;
}

/** What the document says of one operation besides what its route declares. */
interface Documented {
  operationId: string;
  errors: readonly TErrorCode[];
  form?: TRestOperation['form'];
  /** For routes that declare no schema of their own (health, metrics). */
  schema?: DocumentedSchema;
}

const ZReadiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(z.string(), z.string()),
}) satisfies z.ZodType<Readiness>;

/**
 * The operations on the service's port that are not the chat API: probes for balancers and
 * orchestrators, and `/metrics` (registered only with METRICS_TOKEN). Their routes declare no
 * response schema (nothing to validate on the hot probe path), so their answers are told here.
 */
const OPERATIONAL: Record<string, Documented> = {
  'GET /healthz': {
    operationId: 'healthz',
    errors: ['SERVICE_UNAVAILABLE'],
    schema: {
      tags: ['operations'],
      summary: 'Liveness: the process answers',
      response: { 200: z.object({ status: z.literal('ok') }) },
    },
  },
  'GET /readyz': {
    operationId: 'readyz',
    errors: [],
    schema: {
      tags: ['operations'],
      summary:
        'Readiness: every dependency answers. Each check is `ok` or `failing`; why one failed is shown to operators only (an admin or monitor token, or METRICS_TOKEN)',
      response: {
        200: ZReadiness.describe('Every check passed'),
        503: z
          .union([ZReadiness, ZErrorEnvelope])
          .describe('A check failed (the checks), or this node is shutting down (the envelope)'),
      },
    },
  },
  'GET /metrics': {
    operationId: 'metrics',
    errors: ['AUTHENTICATION_REQUIRED', 'SERVICE_UNAVAILABLE'],
    schema: {
      tags: ['operations'],
      summary:
        'Prometheus metrics; only with `Authorization: Bearer <METRICS_TOKEN>` (no user token)',
      security: [{ metricsToken: [] }],
      response: {
        200: {
          description: 'The Prometheus text format',
          content: { 'text/plain': { schema: z.string() } },
        },
      },
    },
  },
};

const DOCUMENTED = new Map<string, Documented>([
  ...Object.entries(REST_OPERATIONS).map(([operationId, operation]): [string, Documented] => [
    `${operation.method} ${operation.path}`,
    {
      operationId,
      errors: [...operation.errors, ...ANY_OPERATION_ERRORS],
      ...('form' in operation ? { form: operation.form } : {}),
    },
  ]),
  ...Object.entries(OPERATIONAL),
]);

/** The operations the document lists, `METHOD path` (Fastify's `:param` form). */
export const DOCUMENTED_OPERATIONS: ReadonlySet<string> = new Set(DOCUMENTED.keys());

/**
 * `@fastify/swagger`'s per-route transform: a route is listed when it is a documented operation
 * (the contracts' `REST_OPERATIONS`, or one of the operational ones above), and hidden
 * otherwise (tRPC, the docs' and the web client's own files). A listed operation gets its
 * `operationId`, one tag (its area: an operation appears once), its multipart body, and its own
 * error codes from the error table; zod schemas are then written as JSON Schema.
 */
export const documentRoute: SwaggerTransform = (input) => {
  const { route, url } = input;
  const documented =
    typeof route.method === 'string' ? DOCUMENTED.get(`${route.method} ${url}`) : undefined;
  if (!documented) return { schema: { hide: true } as FastifySchema, url };
  const declared = documented.schema ?? (input.schema as DocumentedSchema);
  const { hide: _hide, response = {}, tags = [], ...rest } = declared;
  // A route's own error statuses are the blanket envelope it serialises with: the table's codes
  // replace them. Responses told here (operational routes) stand as written.
  const kept = documented.schema
    ? Object.entries(response)
    : Object.entries(response).filter(([status]) => Number(status) < 400);
  const schema: DocumentedSchema = {
    ...rest,
    operationId: documented.operationId,
    tags: tags.slice(0, 1),
    ...(documented.form ? formBody(documented.form) : {}),
    response: { ...errorResponses(documented.errors), ...Object.fromEntries(kept) },
  };
  return jsonSchemaTransform({ ...input, schema });
};

/** A multipart body: the fields first (send `id` and `session_id` before the file), then the file. */
function formBody(form: NonNullable<TRestOperation['form']>): DocumentedSchema {
  const file = z.file().describe(`At most ${MAX_UPLOAD_BYTES} bytes; sent after the fields`);
  return { consumes: ['multipart/form-data'], body: form.fields.extend({ [form.file]: file }) };
}

/** Statuses whose answer carries `Retry-After`. */
const RETRY_STATUSES: ReadonlySet<TErrorStatus> = new Set([429, 503]);

/** One response per status among `codes`, its `code` limited to those, each with its text. */
function errorResponses(codes: readonly TErrorCode[]): Record<number, z.ZodType> {
  const byStatus = new Map<TErrorStatus, TErrorCode[]>();
  for (const code of ERROR_CODES.filter((c) => codes.includes(c))) {
    const { status } = ERROR_DEFINITIONS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, atStatus]) => [
      status,
      ZErrorEnvelope.extend({ code: z.enum(atStatus as [TErrorCode, ...TErrorCode[]]) }).meta({
        description: atStatus.map((c) => `\`${c}\`: ${ERROR_DEFINITIONS[c].message}`).join('; '),
        ...(RETRY_STATUSES.has(status) ? { headers: RETRY_AFTER } : {}),
      }),
    ]),
  );
}

const RETRY_AFTER = {
  'Retry-After': {
    type: 'integer',
    description: 'Seconds to wait before trying again (when the wait is known)',
  },
};
