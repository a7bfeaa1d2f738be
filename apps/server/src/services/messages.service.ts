import { randomUUID } from 'node:crypto';
import {
  isUploadEcho,
  MAX_CATCH_UP_MESSAGES,
  type TChatMessage,
  type TListMessagesResponse,
  type TMarkReadResponse,
  type TSendMessageCommand,
  type TUploadEcho,
  type ZListMessagesRequest,
} from '@chat/contracts';
import type { z } from 'zod';
import type { EventBus, Transport } from '../bus/bus.js';
import type { Actor, ParticipantRow } from '../domain/types.js';
import { ChatError } from '../errors.js';
import { type BlobStore, thumbnailKey } from '../media/blob-store.js';
import type { Store } from '../repositories/store.js';
import {
  authorizeFromRoster,
  authorizeMessage,
  authorizeSession,
  type RosterCache,
} from './access.policy.js';
import { type Committed, DuplicateMessageId, type MessageCommitter } from './message-committer.js';
import { type FileUrls, presentCommitted, presentMessages } from './message-view.js';
import type { RateLimiter } from './rate-limiter.js';
import { findStoredRetry } from './stored-retry.js';

export interface MessagesServiceDeps {
  store: Store;
  bus: EventBus;
  rateLimiter: RateLimiter;
  fileUrls: FileUrls;
  blobStore: BlobStore;
  committer: MessageCommitter;
  rosters: RosterCache;
}

export function createMessagesService({
  store,
  bus,
  rateLimiter,
  fileUrls,
  blobStore,
  committer,
  rosters,
}: MessagesServiceDeps) {
  const { repos } = store;

  async function present(
    rows: Parameters<typeof presentMessages>[1],
    viewer: Actor,
    participants: readonly ParticipantRow[],
  ) {
    return presentMessages(repos, rows, {
      viewerId: viewer.id,
      participants,
      fileUrl: fileUrls.builderFor(viewer.origin),
    });
  }

  async function presentOne(id: string, viewer: Actor, participants: readonly ParticipantRow[]) {
    const rows = await repos.messages.findWithSender([id]);
    const [message] = await present(rows, viewer, participants);
    if (!message) throw new ChatError('MESSAGE_NOT_FOUND');
    return message;
  }

  /** A repeated client id (a retry): the stored message, see `findStoredRetry`. */
  async function storedRetry(
    id: string,
    actor: Actor,
    input: { session_id: string },
  ): Promise<{ message: TChatMessage; created: false } | null> {
    const message = await findStoredRetry(repos, fileUrls, id, actor, input.session_id);
    return message ? { message, created: false } : null;
  }

  /** An upload's echo (`TUploadEcho`): the stored upload, confirmed; anything else is refused. */
  async function confirmUpload(
    actor: Actor,
    input: TUploadEcho,
  ): Promise<{ message: TChatMessage; created: false }> {
    if (input.id !== undefined) {
      await authorizeSession(repos, actor, input.session_id, 'write', 'message.send');
      const stored = await storedRetry(input.id, actor, input);
      if (stored) return stored;
    }
    throw new ChatError('VALIDATION_ERROR', 'Voice notes and files are uploaded over REST', {
      details: ['message.type: only text and system messages can be sent over the socket'],
    });
  }

  return {
    /**
     * Page 1 is the newest page; every page is in ascending `seq`. `before_message_id` pages
     * backwards by keyset; `after_seq` catches up forwards; `page` is the offset path.
     */
    async list(
      actor: Actor,
      input: z.output<typeof ZListMessagesRequest>,
    ): Promise<TListMessagesResponse> {
      await rateLimiter.consume('reads', actor.id);
      const access = await authorizeSession(
        repos,
        actor,
        input.session_id,
        'read',
        'messages.list',
      );
      const { limit } = input;
      let rows: Awaited<ReturnType<typeof repos.messages.latest>>;
      let hasMore: boolean;

      if (input.after_seq !== undefined) {
        rows = await repos.messages.after(input.session_id, input.after_seq, limit + 1);
        hasMore = rows.length > limit;
        rows = rows.slice(0, limit);
      } else {
        if (input.before_message_id !== undefined) {
          const anchor = await repos.messages.findById(input.before_message_id);
          if (!anchor || anchor.sessionId !== input.session_id) {
            throw new ChatError(
              'VALIDATION_ERROR',
              'before_message_id is not a message of this session',
              {
                details: ['before_message_id: not in this session'],
              },
            );
          }
          rows = await repos.messages.before(input.session_id, anchor.seq, limit + 1);
        } else {
          rows = await repos.messages.latest(input.session_id, limit + 1, (input.page - 1) * limit);
        }
        hasMore = rows.length > limit;
        rows = rows.slice(0, limit).reverse();
      }
      return { messages: await present(rows, actor, access.participants), has_more: hasMore };
    },

    /**
     * Stores a message with the next `seq` and publishes it. A repeated client `id` returns the
     * stored message with `created: false` and publishes nothing (safe retries), and so does an
     * upload's echo (the reference's REST first, then the socket), whatever its type.
     */
    async send(
      actor: Actor,
      input: TSendMessageCommand,
      transport: Transport,
    ): Promise<{ message: TChatMessage; created: boolean }> {
      if (isUploadEcho(input)) return confirmUpload(actor, input);
      const mode = input.type === 'system' ? 'moderate' : 'write';
      // No read of the session: its participants are kept (they never change), and the commit
      // checks the status. A repeated id is found by the commit too, not by a read before it.
      const { participantIds, isParticipant } = await authorizeFromRoster(
        repos,
        rosters,
        actor,
        input.session_id,
        mode,
        'message.send',
      );
      try {
        await rateLimiter.consume('messages', actor.id);
      } catch (error) {
        // A retry of a message that is stored already is answered even when out of budget.
        const stored = input.id === undefined ? null : await storedRetry(input.id, actor, input);
        if (stored) return stored;
        throw error;
      }

      const id = input.id ?? randomUUID();
      let committed: Committed;
      try {
        committed = await committer.append({
          id,
          sessionId: input.session_id,
          senderId: actor.id,
          type: input.type,
          content: input.content,
          file: null,
          metadata: input.metadata,
          advanceSenderCursor: isParticipant,
        });
      } catch (error) {
        if (
          error instanceof DuplicateMessageId ||
          (error instanceof ChatError && error.code === 'SESSION_INACTIVE')
        ) {
          // Nothing was stored: the request does not count against the budget.
          await rateLimiter.refund('messages', actor.id);
        }
        if (!(error instanceof DuplicateMessageId)) throw error;
        const stored = await storedRetry(id, actor, input);
        if (!stored) throw error;
        return stored;
      }

      const message = presentCommitted(
        {
          id,
          sessionId: input.session_id,
          senderId: actor.id,
          type: input.type,
          content: input.content,
          storageKey: null,
          fileName: null,
          fileSize: null,
          mimeType: null,
          metadata: input.metadata,
        },
        committed,
        actor,
        fileUrls.builderFor(actor.origin),
      );
      bus.publish('message.created', {
        message,
        participantIds: [...participantIds],
        transport,
        requestId: actor.requestId,
      });
      return { message, created: true };
    },

    /**
     * Joining a session's live feed. `subscribe` runs after access is granted and before the
     * catch-up query, so a message committed in between arrives live or in the catch-up (maybe
     * both; clients drop duplicates by id), never in neither.
     */
    async join(
      actor: Actor,
      sessionId: string,
      sinceSeq: number | undefined,
      subscribe: (membership: { isParticipant: boolean }) => Promise<void> | void,
    ): Promise<{
      session_id: string;
      last_seq: number;
      messages: TChatMessage[];
      resync_required: boolean;
      isParticipant: boolean;
    }> {
      // A join reads the session (and with since_seq its history): one count in the in-memory
      // (or one Redis) counter, small beside the reads it guards, and the socket is no way
      // around the REST budget.
      await rateLimiter.consume('reads', actor.id);
      const access = await authorizeSession(repos, actor, sessionId, 'read', 'session.join');
      const isParticipant = access.membership !== null;
      await subscribe({ isParticipant });
      if (sinceSeq === undefined) {
        return {
          session_id: sessionId,
          last_seq: access.session.lastSeq,
          messages: [],
          resync_required: false,
          isParticipant,
        };
      }
      const rows = await repos.messages.after(sessionId, sinceSeq, MAX_CATCH_UP_MESSAGES + 1);
      const missed = rows.slice(0, MAX_CATCH_UP_MESSAGES);
      const messages = await present(missed, actor, access.participants);
      const newest = missed.at(-1)?.seq ?? 0;
      return {
        session_id: sessionId,
        last_seq: Math.max(access.session.lastSeq, newest),
        messages,
        resync_required: rows.length > MAX_CATCH_UP_MESSAGES,
        isParticipant,
      };
    },

    /** Moves the caller's read cursor forward to this message (never back) and tells the room. */
    async markRead(actor: Actor, messageId: string): Promise<TMarkReadResponse> {
      // Only participants have a read cursor; refused before the audit log records an access.
      const { message } = await authorizeMessage(
        repos,
        actor,
        messageId,
        'member',
        'message.mark_read',
      );
      const cursor = await repos.sessions.advanceCursor(message.sessionId, actor.id, message.seq);
      if (!cursor) throw new ChatError('CHAT_ACCESS_DENIED');
      const result: TMarkReadResponse = {
        session_id: message.sessionId,
        user_id: actor.id,
        last_read_seq: cursor.lastReadSeq,
        read_at: cursor.lastReadAt.toISOString(),
      };
      if (cursor.moved) bus.publish('messages.read', result);
      return result;
    },

    /**
     * The sender deletes their own message while the session is active; an admin deletes any, at
     * any time. The row stays as a tombstone. Once a session is closed its messages are the
     * moderation record: a sender erasing theirs would erase the evidence.
     */
    async remove(actor: Actor, messageId: string): Promise<TChatMessage> {
      const { message, ...access } = await authorizeMessage(
        repos,
        actor,
        messageId,
        (m) => (m.senderId === actor.id ? 'write' : 'moderate'),
        'message.delete',
      );
      const inactive = () =>
        new ChatError('SESSION_INACTIVE', 'Messages of an inactive session cannot be deleted');
      if (actor.role !== 'admin' && access.session.status !== 'active') throw inactive();
      // A sender's delete checks the status again under the session's lock: a close that is
      // being committed right now wins, and the evidence stays.
      const deleted =
        actor.role === 'admin'
          ? await repos.messages.softDelete(messageId, actor.id)
          : await store.transaction(async (tx) => {
              if ((await tx.sessions.lockStatus(message.sessionId)) !== 'active') throw inactive();
              return tx.messages.softDelete(messageId, actor.id);
            });
      if (deleted?.storageKey) {
        // A deleted file is gone for good, not just hidden. If the store fails here, the blob
        // is an orphan no link can reach (downloads need a live message), not a visible file.
        await blobStore
          .delete([deleted.storageKey, thumbnailKey(deleted.storageKey)])
          .catch(() => {});
      }
      if (deleted) {
        bus.publish('message.deleted', {
          sessionId: message.sessionId,
          messageId,
          participantIds: access.participants.map((p) => p.userId),
        });
      }
      return presentOne(messageId, actor, access.participants);
    },
  };
}
export type MessagesService = ReturnType<typeof createMessagesService>;
