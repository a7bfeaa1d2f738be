import { messagesRouter, reactionsRouter } from './messages.router.js';
import { sessionsRouter } from './sessions.router.js';
import { router } from './trpc.js';

/** The typed API for internal tools: `createTRPCClient<AppRouter>` against `/trpc`. */
export const appRouter = router({
  sessions: sessionsRouter,
  messages: messagesRouter,
  reactions: reactionsRouter,
});

export type AppRouter = typeof appRouter;
