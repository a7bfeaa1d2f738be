import type { FastifyPluginAsync } from 'fastify';
import { buildAsyncApiDocument } from './asyncapi.js';
import { ASYNCAPI_PAGE_CSS, renderAsyncApiPage } from './asyncapi-page.js';

export const ASYNCAPI_JSON_PATH = '/docs/asyncapi.json';
export const ASYNCAPI_PAGE_PATH = '/docs/asyncapi';
const STYLESHEET_PATH = '/docs/asyncapi.css';

/**
 * The Socket.IO events as AsyncAPI 3: the document at `/docs/asyncapi.json`, and a page reading
 * it at `/docs/asyncapi` (linked from `/docs`). Both are built once, from the contracts, when the
 * plugin registers; the page has no script and loads only its stylesheet from this origin.
 */
export const asyncApiPlugin: FastifyPluginAsync = async (app) => {
  const document = buildAsyncApiDocument('1.0.0');
  const page = renderAsyncApiPage(document, {
    restDocs: '/docs',
    document: ASYNCAPI_JSON_PATH,
    stylesheet: STYLESHEET_PATH,
  });
  const hidden = { schema: { hide: true } };
  app.get(ASYNCAPI_JSON_PATH, hidden, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(JSON.stringify(document)),
  );
  app.get(ASYNCAPI_PAGE_PATH, hidden, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(page),
  );
  app.get(STYLESHEET_PATH, hidden, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').send(ASYNCAPI_PAGE_CSS),
  );
};
