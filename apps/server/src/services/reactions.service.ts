import type { TReactionChange } from '@chat/contracts';
import type { EventBus } from '../bus/bus.js';
import { type Actor, displayName } from '../domain/types.js';
import { ChatError } from '../errors.js';
import type { Store } from '../repositories/store.js';
import { assertActive, authorizeMessage } from './access.policy.js';
import { summarizeReactions, toMessageReaction } from './message-view.js';
import type { RateLimiter } from './rate-limiter.js';

export function createReactionsService({
  store,
  bus,
  rateLimiter,
}: {
  store: Store;
  bus: EventBus;
  rateLimiter: RateLimiter;
}) {
  const { repos } = store;

  async function change(
    actor: Actor,
    messageId: string,
    reaction: string,
    mode: 'add' | 'remove' | 'toggle',
  ): Promise<TReactionChange> {
    // Access before existence: an unknown id answers like a message of someone else's chat.
    const { message, ...access } = await authorizeMessage(
      repos,
      actor,
      messageId,
      'write',
      'reaction.change',
    );
    if (message.deletedAt) throw new ChatError('MESSAGE_NOT_FOUND');
    assertActive(access.session);
    await rateLimiter.consume('reactions', actor.id);

    let action: 'added' | 'removed';
    let changed: boolean;
    if (mode === 'add') {
      action = 'added';
      changed = await repos.messages.addReaction(messageId, actor.id, reaction);
    } else if (mode === 'remove') {
      action = 'removed';
      changed = await repos.messages.removeReaction(messageId, actor.id, reaction);
    } else {
      changed = true;
      action = (await repos.messages.removeReaction(messageId, actor.id, reaction))
        ? 'removed'
        : 'added';
      if (action === 'added') await repos.messages.addReaction(messageId, actor.id, reaction);
    }

    const reactions = await repos.messages.reactionsFor([messageId]);
    const result: TReactionChange = {
      message_id: messageId,
      session_id: message.sessionId,
      user_id: actor.id,
      reaction,
      action,
      reactions: summarizeReactions(reactions),
      message_reactions: reactions.map(toMessageReaction),
    };
    if (changed) bus.publish('reaction.changed', { change: result, userName: displayName(actor) });
    return result;
  }

  return {
    add: (actor: Actor, messageId: string, reaction: string) =>
      change(actor, messageId, reaction, 'add'),
    remove: (actor: Actor, messageId: string, reaction: string) =>
      change(actor, messageId, reaction, 'remove'),
    /** The socket's `message_reaction`: adds the emoji, or removes it when already there. */
    toggle: (actor: Actor, messageId: string, reaction: string) =>
      change(actor, messageId, reaction, 'toggle'),
  };
}
export type ReactionsService = ReturnType<typeof createReactionsService>;
