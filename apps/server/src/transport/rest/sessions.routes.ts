import {
  API_PATHS,
  SUCCESS_MESSAGES,
  successEnvelope,
  ZChatSessionDetail,
  ZCreateSessionRequest,
  ZListSessionsRequest,
  ZListSessionsResponse,
  ZSessionIdParams,
  ZUpdateSessionRequest,
} from '@chat/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppServices } from '../../app-services.js';
import { requireActor } from './context.js';
import { fastSuccessSerializer } from './fast-serializer.js';
import { errorResponses } from './http-errors.js';

const security = [{ bearerAuth: [] }];

export const sessionsRoutes: FastifyPluginAsyncZod<{ services: AppServices }> = async (
  app,
  { services },
) => {
  app.get(
    API_PATHS.sessions,
    {
      schema: {
        tags: ['sessions'],
        summary: "List the caller's chat sessions",
        security,
        querystring: ZListSessionsRequest,
        response: { 200: successEnvelope(ZListSessionsResponse), ...errorResponses },
      },
      // The busiest large answer (up to 100 sessions with their bookings and profiles).
      serializerCompiler: fastSuccessSerializer,
    },
    async (request) => {
      const actor = await requireActor(services, request);
      return { success: true as const, data: await services.sessions.list(actor, request.query) };
    },
  );

  app.get(
    API_PATHS.session,
    {
      schema: {
        tags: ['sessions'],
        summary: 'Get one chat session',
        security,
        params: ZSessionIdParams,
        response: { 200: successEnvelope(ZChatSessionDetail), ...errorResponses },
      },
    },
    async (request) => {
      const actor = await requireActor(services, request);
      return {
        success: true as const,
        data: await services.sessions.get(actor, request.params.id),
      };
    },
  );

  app.post(
    API_PATHS.sessions,
    {
      schema: {
        tags: ['sessions'],
        summary:
          'Create a chat session (a booking session is created once; again answers it with 200)',
        security,
        body: ZCreateSessionRequest,
        response: {
          200: successEnvelope(ZChatSessionDetail),
          201: successEnvelope(ZChatSessionDetail),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const actor = await requireActor(services, request);
      const { session, created } = await services.sessions.create(actor, request.body);
      reply.code(created ? 201 : 200);
      return {
        success: true as const,
        data: session,
        message: created ? SUCCESS_MESSAGES.sessionCreated : SUCCESS_MESSAGES.sessionExists,
      };
    },
  );

  app.patch(
    API_PATHS.session,
    {
      schema: {
        tags: ['sessions', 'moderation'],
        summary: 'Close, archive or reopen a session (admin)',
        security,
        params: ZSessionIdParams,
        body: ZUpdateSessionRequest,
        response: { 200: successEnvelope(ZChatSessionDetail), ...errorResponses },
      },
    },
    async (request) => {
      const actor = await requireActor(services, request);
      const session = await services.sessions.updateStatus(
        actor,
        request.params.id,
        request.body.status,
      );
      return { success: true as const, data: session, message: SUCCESS_MESSAGES.sessionUpdated };
    },
  );
};
