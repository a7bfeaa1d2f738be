import {
  API_PATHS,
  successEnvelope,
  ZDevSignInRequest,
  ZDevSignInResponse,
  ZDevUsersResponse,
} from '@chat/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { DevAuthService } from '../../auth/dev-auth.service.js';
import { errorResponses } from './http-errors.js';

/** Registered only with development sign-in; absent routes answer 404 otherwise. */
export const devAuthRoutes: FastifyPluginAsyncZod<{ devAuth: DevAuthService }> = async (
  app,
  { devAuth },
) => {
  app.get(
    API_PATHS.devUsers,
    {
      schema: {
        tags: ['development'],
        summary: 'Demo users of development sign-in',
        response: { 200: successEnvelope(ZDevUsersResponse), ...errorResponses },
      },
    },
    async () => ({ success: true as const, data: { users: devAuth.users() } }),
  );

  app.post(
    API_PATHS.devSignIn,
    {
      schema: {
        tags: ['development'],
        summary: 'Sign in as a demo user (development only): returns a bearer token',
        body: ZDevSignInRequest,
        response: { 200: successEnvelope(ZDevSignInResponse), ...errorResponses },
      },
    },
    async (request) => ({
      success: true as const,
      data: await devAuth.signIn(request.body.user_id),
    }),
  );
};
