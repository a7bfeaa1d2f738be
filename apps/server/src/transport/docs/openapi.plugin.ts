import { API_PATHS } from '@chat/contracts';
import fastifySwagger, { type SwaggerTransformObject } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3 } from 'openapi-types';
import { docsCsp } from '../rest/security-headers.js';
import { appRouter } from '../trpc/app.router.js';
import { ASYNCAPI_JSON_PATH, ASYNCAPI_PAGE_PATH } from './asyncapi.plugin.js';
import { documentRoute } from './openapi-operations.js';

const TRPC_PROCEDURES = Object.keys(appRouter._def.procedures)
  .map((name) => `\`${name}\``)
  .join(', ');

const DESCRIPTION = `REST adapters of the booking chat service.

- **Errors** use the envelope \`{ success: false, error, code, details }\`; each operation lists the codes it may answer under their HTTP statuses. A browser request whose \`Origin\` is neither \`FRONTEND_URL\` nor this server is refused on every path (\`403 CHAT_ACCESS_DENIED\`).
- **Real time**: the Socket.IO events are documented as AsyncAPI 3: [read them](${ASYNCAPI_PAGE_PATH}) or get [the document](${ASYNCAPI_JSON_PATH}).
- **tRPC**: the same operations are served at \`/trpc/<procedure>\` for TypeScript clients (types: \`AppRouter\` of \`@chat/server/trpc\`), errors carrying the same \`code\` in \`error.data.errorCode\`. Procedures: ${TRPC_PROCEDURES}. They are not listed below.`;

/** The areas, in the order the page shows them; an operation is listed under one. */
const TAGS: OpenAPIV3.TagObject[] = [
  { name: 'sessions', description: "A booking's chat, a support request, or an admin's chat" },
  { name: 'messages', description: 'History, sending, read receipts and moderation' },
  { name: 'reactions', description: 'Emoji reactions, one per user and emoji' },
  { name: 'files', description: 'Voice notes, images and PDFs: uploads and downloads' },
  { name: 'development', description: 'Development sign-in (only when no JWT setting is given)' },
  { name: 'operations', description: 'Probes for balancers, and metrics for Prometheus' },
];

/** Where a file download answers with no JSON: the bytes, a part of them, or elsewhere. */
const FILE_ANSWERS: OpenAPIV3.ResponsesObject = {
  200: {
    description:
      'The file: a voice note (MP3, WAV, Ogg, WebM), an image (JPEG, PNG, GIF, WebP; a `thumbnail` is WebP) or a PDF',
    content: Object.fromEntries(
      ['audio/*', 'image/*', 'application/pdf'].map((type) => [
        type,
        { schema: { type: 'string', format: 'binary' } },
      ]),
    ),
  },
  206: {
    description: 'The one byte range asked for with `Range: bytes=start-end`',
    headers: { 'Content-Range': { schema: { type: 'string' } } },
  },
  302: {
    description: 'Stored in Supabase Storage: a short-lived signed link to the file',
    headers: { Location: { schema: { type: 'string', format: 'uri' } } },
  },
  416: {
    description: 'The range starts past the end of the file',
    headers: { 'Content-Range': { schema: { type: 'string', example: 'bytes */1024' } } },
  },
};

/**
 * The whole document: the zod components, and the answers of the one route that sends bytes
 * (`@fastify/swagger` writes responses from JSON schemas only).
 */
const completeDocument: SwaggerTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as OpenAPIV3.Document;
  const download = document.paths[API_PATHS.fileDownload.replace(':message_id', '{message_id}')];
  if (download?.get) {
    download.get.responses = { ...FILE_ANSWERS, ...download.get.responses };
    download.get.security = [{ bearerAuth: [] }, {}];
  }
  return document;
};

/**
 * `/docs`: Swagger UI over the OpenAPI document of every documented operation registered after
 * this plugin (it must come before the routes). Registered at the root scope so it sees them all.
 */
export const openApiPlugin = fp(
  async (app) => {
    await app.register(fastifySwagger, {
      openapi: {
        info: { title: 'Booking chat API', version: '1.0.0', description: DESCRIPTION },
        tags: TAGS,
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN' },
          },
        },
      },
      transform: documentRoute,
      transformObject: completeDocument,
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: docsCsp });
  },
  { name: 'openapi' },
);
