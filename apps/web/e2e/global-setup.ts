import type { TestProject } from 'vitest/node';
import { ensureBuilt } from './support/build';
import { startServer } from './support/server';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

/** Builds what is missing or stale, starts one server for the whole browser suite. */
export default async function setup(project: TestProject) {
  ensureBuilt();
  const server = await startServer({
    // The long-history suite writes thousands of messages; the rate-limit path is tested apart.
    RATE_LIMIT_MESSAGES_PER_MINUTE: '1000000',
  });
  console.log(`[e2e] server at ${server.url} (log: ${server.logFile})`);
  project.provide('baseUrl', server.url);
  return async () => {
    await server.stop();
  };
}
