import {
  API_PATHS,
  SUCCESS_MESSAGES,
  successEnvelope,
  ZAddReactionRequest,
  ZMessageIdParams,
  ZReactionChange,
  ZReactionParams,
} from '@chat/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppServices } from '../../app-services.js';
import { requireActor } from './context.js';
import { errorResponses } from './http-errors.js';

const security = [{ bearerAuth: [] }];

/** Adding and removing one's emoji reactions on a message (the socket toggles instead). */
export const reactionsRoutes: FastifyPluginAsyncZod<{ services: AppServices }> = async (
  app,
  { services },
) => {
  app.post(
    API_PATHS.messageReactions,
    {
      schema: {
        tags: ['reactions'],
        summary: 'Add an emoji reaction (idempotent)',
        security,
        params: ZMessageIdParams,
        body: ZAddReactionRequest,
        response: { 200: successEnvelope(ZReactionChange), ...errorResponses },
      },
    },
    async (request) => {
      const actor = await requireActor(services, request);
      const data = await services.reactions.add(actor, request.params.id, request.body.reaction);
      return { success: true as const, data, message: SUCCESS_MESSAGES.reactionAdded };
    },
  );

  app.delete(
    API_PATHS.messageReaction,
    {
      schema: {
        tags: ['reactions'],
        summary: 'Remove your emoji reaction (idempotent)',
        security,
        params: ZReactionParams,
        response: { 200: successEnvelope(ZReactionChange), ...errorResponses },
      },
    },
    async (request) => {
      const actor = await requireActor(services, request);
      const data = await services.reactions.remove(
        actor,
        request.params.id,
        request.params.reaction,
      );
      return { success: true as const, data, message: SUCCESS_MESSAGES.reactionRemoved };
    },
  );
};
