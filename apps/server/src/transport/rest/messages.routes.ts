import {
  API_PATHS,
  SUCCESS_MESSAGES,
  successEnvelope,
  ZChatMessage,
  ZListMessagesRequest,
  ZListMessagesResponse,
  ZMarkReadResponse,
  ZMessageIdParams,
  ZSendMessageRequest,
} from '@chat/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppServices } from '../../app-services.js';
import { requireActor } from './context.js';
import { errorResponses } from './http-errors.js';

const security = [{ bearerAuth: [] }];

export const messagesRoutes: FastifyPluginAsyncZod<{ services: AppServices }> = async (
  app,
  { services },
) => {
  app.get(
    API_PATHS.messages,
    {
      schema: {
        tags: ['messages'],
        summary: 'Messages of a session: page 1 is the newest, each page ascending by seq',
        security,
        querystring: ZListMessagesRequest,
        response: { 200: successEnvelope(ZListMessagesResponse), ...errorResponses },
      },
    },
    async (request) => {
      const actor = await requireActor(services, request);
      return { success: true as const, data: await services.messages.list(actor, request.query) };
    },
  );

  app.post(
    API_PATHS.messages,
    {
      schema: {
        tags: ['messages'],
        summary:
          'Send a text (or, for admins, system) message; a repeated id returns the stored one',
        security,
        body: ZSendMessageRequest,
        response: {
          200: successEnvelope(ZChatMessage),
          201: successEnvelope(ZChatMessage),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const actor = await requireActor(services, request);
      const { message, created } = await services.messages.send(actor, request.body, 'rest');
      reply.code(created ? 201 : 200);
      return { success: true as const, data: message, message: SUCCESS_MESSAGES.messageSent };
    },
  );

  app.put(
    API_PATHS.messageRead,
    {
      schema: {
        tags: ['messages'],
        summary: "Move the caller's read cursor forward to this message",
        security,
        params: ZMessageIdParams,
        response: { 200: successEnvelope(ZMarkReadResponse), ...errorResponses },
      },
    },
    async (request) => {
      const actor = await requireActor(services, request);
      const data = await services.messages.markRead(actor, request.params.id);
      return { success: true as const, data, message: SUCCESS_MESSAGES.messageRead };
    },
  );

  app.delete(
    API_PATHS.message,
    {
      schema: {
        tags: ['messages', 'moderation'],
        summary: 'Delete a message (its sender, or an admin); it stays as a tombstone',
        security,
        params: ZMessageIdParams,
        response: { 200: successEnvelope(ZChatMessage), ...errorResponses },
      },
    },
    async (request) => {
      const actor = await requireActor(services, request);
      const data = await services.messages.remove(actor, request.params.id);
      return { success: true as const, data, message: SUCCESS_MESSAGES.messageDeleted };
    },
  );
};
