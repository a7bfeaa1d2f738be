import {
  ZChatSessionDetail,
  ZCreateSessionRequest,
  ZCreateSessionResult,
  ZListSessionsRequest,
  ZListSessionsResponse,
  ZSessionIdParams,
  ZUpdateSessionRequest,
} from '@chat/contracts';
import { authedProcedure, router } from './trpc.js';

export const sessionsRouter = router({
  list: authedProcedure
    .input(ZListSessionsRequest)
    .output(ZListSessionsResponse)
    .query(({ ctx, input }) => ctx.services.sessions.list(ctx.actor, input)),

  get: authedProcedure
    .input(ZSessionIdParams)
    .output(ZChatSessionDetail)
    .query(({ ctx, input }) => ctx.services.sessions.get(ctx.actor, input.id)),

  /** `created: false` when the booking already had its session. */
  create: authedProcedure
    .input(ZCreateSessionRequest)
    .output(ZCreateSessionResult)
    .mutation(({ ctx, input }) => ctx.services.sessions.create(ctx.actor, input)),

  updateStatus: authedProcedure
    .input(ZSessionIdParams.extend(ZUpdateSessionRequest.shape))
    .output(ZChatSessionDetail)
    .mutation(({ ctx, input }) =>
      ctx.services.sessions.updateStatus(ctx.actor, input.id, input.status),
    ),
});
