import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { docsCsp } from '../transport/rest/security-headers.js';

/** `/docs`: the OpenAPI document of every route registered after it, from the contract schemas. */
export const openApiPlugin = fp(
  async (app) => {
    await app.register(fastifySwagger, {
      openapi: {
        info: {
          title: 'Booking chat API',
          version: '1.0.0',
          description:
            'REST adapters of the booking chat service. Errors use the envelope `{ success: false, error, code, details }`.',
        },
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: docsCsp });
  },
  { name: 'openapi' },
);
