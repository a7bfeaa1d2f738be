import fp from 'fastify-plugin';
import type { Metrics } from '../metrics.js';
import { registerErrorHandling } from '../transport/rest/http-errors.js';

/** Every error, thrown anywhere below, answers in the envelope and is counted by route and code. */
export const errorsPlugin = fp<{ metrics: Metrics }>(
  async (app, { metrics }) => {
    registerErrorHandling(app, (route, code) => metrics.errors.inc({ route, code }));
  },
  { name: 'errors' },
);
