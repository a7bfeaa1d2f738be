import {
  ZAddReactionRequest,
  ZChatMessage,
  ZListMessagesRequest,
  ZListMessagesResponse,
  ZMarkReadResponse,
  ZMessageIdParams,
  ZReactionChange,
  ZSendMessageRequest,
  ZSendMessageResult,
} from '@chat/contracts';
import { authedProcedure, router } from './trpc.js';

export const messagesRouter = router({
  list: authedProcedure
    .input(ZListMessagesRequest)
    .output(ZListMessagesResponse)
    .query(({ ctx, input }) => ctx.services.messages.list(ctx.actor, input)),

  /** `created: false` when the client id was already stored (a retry). */
  send: authedProcedure
    .input(ZSendMessageRequest)
    .output(ZSendMessageResult)
    .mutation(({ ctx, input }) => ctx.services.messages.send(ctx.actor, input, 'trpc')),

  markRead: authedProcedure
    .input(ZMessageIdParams)
    .output(ZMarkReadResponse)
    .mutation(({ ctx, input }) => ctx.services.messages.markRead(ctx.actor, input.id)),

  remove: authedProcedure
    .input(ZMessageIdParams)
    .output(ZChatMessage)
    .mutation(({ ctx, input }) => ctx.services.messages.remove(ctx.actor, input.id)),
});

export const reactionsRouter = router({
  add: authedProcedure
    .input(ZMessageIdParams.extend(ZAddReactionRequest.shape))
    .output(ZReactionChange)
    .mutation(({ ctx, input }) => ctx.services.reactions.add(ctx.actor, input.id, input.reaction)),

  remove: authedProcedure
    .input(ZMessageIdParams.extend(ZAddReactionRequest.shape))
    .output(ZReactionChange)
    .mutation(({ ctx, input }) =>
      ctx.services.reactions.remove(ctx.actor, input.id, input.reaction),
    ),
});
