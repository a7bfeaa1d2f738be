import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { ChatError } from '../errors.js';
import { sendError } from '../transport/rest/http-errors.js';

/**
 * Request ids in every answer, the contract schemas as validators and serialisers, and the drain:
 * once the app starts closing (SIGTERM), requests that arrive are turned away with a 503 the
 * client can retry elsewhere, and every answer closes its connection, so keep-alive connections
 * do not hold the exit back. Registered first: its `preClose` runs before the socket gateway's.
 */
export const lifecyclePlugin = fp(
  async (app) => {
    let draining = false;
    app.addHook('onRequest', async (_request, reply) => {
      if (!draining) return;
      return sendError(
        reply,
        new ChatError('SERVICE_UNAVAILABLE', 'This node is shutting down, try again'),
      );
    });
    app.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', request.id);
      if (draining) reply.header('connection', 'close');
    });
    app.addHook('preClose', async () => {
      draining = true;
    });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
  },
  { name: 'lifecycle' },
);
