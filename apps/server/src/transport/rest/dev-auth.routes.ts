import {
  API_PATHS,
  successEnvelope,
  ZDevSignInRequest,
  ZDevSignInResponse,
  ZDevUsersResponse,
} from '@chat/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { DevAuthService } from '../../auth/dev-auth.service.js';
import { ChatError } from '../../errors.js';
import { errorResponses } from './http-errors.js';

interface DevAuthRoutesOptions {
  devAuth: DevAuthService;
  /** Whether a `Host` names this server (loopback, FRONTEND_URL's or PUBLIC_URL's hosts). */
  isOwnHost: (host: string | undefined) => boolean;
}

/**
 * Registered only with development sign-in; absent routes answer 404 otherwise. A DNS-rebinding
 * page (evil.example re-resolved to 127.0.0.1) is same-origin with itself, so the origin check
 * lets it through: the `Host` it sends still names evil.example, and is refused here.
 */
export const devAuthRoutes: FastifyPluginAsyncZod<DevAuthRoutesOptions> = async (
  app,
  { devAuth, isOwnHost },
) => {
  app.addHook('onRequest', async (request) => {
    if (!isOwnHost(request.headers.host)) {
      throw new ChatError(
        'CHAT_ACCESS_DENIED',
        'Development sign-in answers only on this server’s own hosts (loopback, FRONTEND_URL, PUBLIC_URL)',
      );
    }
  });

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
