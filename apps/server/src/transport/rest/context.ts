import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../../app-services.js';
import { bearerToken } from '../../auth/auth.service.js';
import type { Actor } from '../../domain/types.js';

/** Authenticates a REST request from its `Authorization: Bearer` header. */
export async function requireActor(services: AppServices, request: FastifyRequest): Promise<Actor> {
  const { actor } = await services.auth.authenticate(bearerToken(request.headers.authorization));
  return {
    ...actor,
    origin: services.origins.linkBase(request.protocol, request.host),
    requestId: request.id,
  };
}
