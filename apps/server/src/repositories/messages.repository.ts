import { and, asc, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { chatMessages, messageReactions, profiles } from '../db/schema.js';
import type { MessageRow, ReactionRow } from '../domain/types.js';
import { canShare, coalesce, inUuids, isPg, isPooled, uuidKey } from './coalesce.js';

export interface MessageWithSender extends MessageRow {
  sender: {
    id: string;
    firstName: string | null;
    lastName: string | null;
    avatarUrl: string | null;
  } | null;
}

export type NewMessage = Omit<MessageRow, 'createdAt' | 'editedAt' | 'deletedAt'> & {
  createdAt: Date;
};

const toMessage = (r: typeof chatMessages.$inferSelect): MessageRow => ({
  id: r.id,
  sessionId: r.sessionId,
  seq: Number(r.seq),
  senderId: r.senderId,
  type: r.type as MessageRow['type'],
  content: r.content,
  storageKey: r.storageKey,
  fileName: r.fileName,
  fileSize: r.fileSize === null ? null : Number(r.fileSize),
  mimeType: r.mimeType,
  metadata: r.metadata,
  createdAt: r.createdAt,
  editedAt: r.editedAt,
  deletedAt: r.deletedAt,
});

const senderColumns = {
  id: profiles.id,
  firstName: profiles.firstName,
  lastName: profiles.lastName,
  avatarUrl: profiles.avatarUrl,
};

export function createMessagesRepository(db: Executor) {
  const withSender = () =>
    db
      .select({ message: chatMessages, sender: senderColumns })
      .from(chatMessages)
      .leftJoin(profiles, eq(profiles.id, chatMessages.senderId));
  const toWithSender = (r: {
    message: typeof chatMessages.$inferSelect;
    sender: MessageWithSender['sender'];
  }): MessageWithSender => ({ ...toMessage(r.message), sender: r.sender });
  const reactionsQuery = (messageIds: string[]) =>
    db
      .select({
        messageId: messageReactions.messageId,
        userId: messageReactions.userId,
        reaction: messageReactions.reaction,
        createdAt: messageReactions.createdAt,
        firstName: profiles.firstName,
        lastName: profiles.lastName,
      })
      .from(messageReactions)
      .leftJoin(profiles, eq(profiles.id, messageReactions.userId))
      .where(inUuids(db, messageReactions.messageId, messageIds))
      .orderBy(asc(messageReactions.createdAt), asc(messageReactions.userId));

  // Concurrent lookups on the pool share a query (see coalesce.ts); rows keep the query's order.
  const pooled = isPooled(db);
  const messagesById = coalesce((ids) =>
    db
      .select()
      .from(chatMessages)
      .where(inUuids(db, chatMessages.id, ids)),
  );
  const withSenderById = coalesce((ids) =>
    withSender()
      .where(inUuids(db, chatMessages.id, ids))
      .orderBy(asc(chatMessages.seq)),
  );
  const reactionsByMessage = coalesce(reactionsQuery);

  return {
    /** Inserts unless the id exists; returns null when it does (the caller resolves the retry). */
    async insert(message: NewMessage): Promise<MessageRow | null> {
      const rows = await db.insert(chatMessages).values(message).onConflictDoNothing().returning();
      return rows[0] ? toMessage(rows[0]) : null;
    },

    /** Inserts several messages in one statement; returns the ids actually inserted. */
    async insertMany(messages: readonly NewMessage[]): Promise<Set<string>> {
      if (messages.length === 0) return new Set();
      if (isPg(db)) {
        // The same INSERT with one array per column: building drizzle's VALUES list costs about
        // 50 us of CPU per row (13 ms for a 256-message group commit, blocking the event loop).
        const col = <T>(pick: (m: NewMessage) => T) => sql.param(messages.map(pick));
        const result = await db.execute(sql`
          INSERT INTO chat_messages
            (id, session_id, seq, sender_id, type, content, storage_key, file_name, file_size, mime_type, metadata, created_at)
          SELECT * FROM unnest(
            ${col((m) => m.id)}::uuid[], ${col((m) => m.sessionId)}::uuid[], ${col((m) => m.seq)}::bigint[],
            ${col((m) => m.senderId)}::uuid[], ${col((m) => m.type)}::text[], ${col((m) => m.content)}::text[],
            ${col((m) => m.storageKey)}::text[], ${col((m) => m.fileName)}::text[], ${col((m) => m.fileSize)}::bigint[],
            ${col((m) => m.mimeType)}::text[], ${col((m) => JSON.stringify(m.metadata))}::jsonb[],
            ${col((m) => m.createdAt.toISOString())}::timestamptz[])
          ON CONFLICT DO NOTHING
          RETURNING id`);
        return new Set(
          (result as unknown as { rows: Array<{ id: string }> }).rows.map((r) => r.id),
        );
      }
      const rows = await db
        .insert(chatMessages)
        .values([...messages])
        .onConflictDoNothing()
        .returning({ id: chatMessages.id });
      return new Set(rows.map((r) => r.id));
    },

    /** Which of these ids are already stored. */
    async existingIds(ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db
        .select({ id: chatMessages.id })
        .from(chatMessages)
        .where(inUuids(db, chatMessages.id, ids));
      return new Set(rows.map((r) => r.id));
    },

    async findById(id: string): Promise<MessageRow | null> {
      if (pooled && canShare(id)) {
        const key = uuidKey(id);
        const row = (await messagesById([id])).find((r) => r.id === key);
        return row ? toMessage(row) : null;
      }
      const rows = await db.select().from(chatMessages).where(eq(chatMessages.id, id)).limit(1);
      return rows[0] ? toMessage(rows[0]) : null;
    },

    async findWithSender(ids: readonly string[]): Promise<MessageWithSender[]> {
      if (ids.length === 0) return [];
      if (pooled && ids.every(canShare)) {
        const wanted = new Set(ids.map(uuidKey));
        return (await withSenderById(ids))
          .filter((r) => wanted.has(r.message.id))
          .map(toWithSender);
      }
      const rows = await withSender()
        .where(inArray(chatMessages.id, [...ids]))
        .orderBy(asc(chatMessages.seq));
      return rows.map(toWithSender);
    },

    /** Newest first, skipping `offset` (the `page` path: cost grows with depth). */
    async latest(sessionId: string, limit: number, offset: number): Promise<MessageWithSender[]> {
      const rows = await withSender()
        .where(eq(chatMessages.sessionId, sessionId))
        .orderBy(desc(chatMessages.seq))
        .limit(limit)
        .offset(offset);
      return rows.map(toWithSender);
    },

    /** Newest first, strictly before `seq` (keyset: same cost at any depth). */
    async before(sessionId: string, seq: number, limit: number): Promise<MessageWithSender[]> {
      const rows = await withSender()
        .where(and(eq(chatMessages.sessionId, sessionId), lt(chatMessages.seq, seq)))
        .orderBy(desc(chatMessages.seq))
        .limit(limit);
      return rows.map(toWithSender);
    },

    /** Oldest first, strictly after `seq` (catch-up after a reconnect). */
    async after(sessionId: string, seq: number, limit: number): Promise<MessageWithSender[]> {
      const rows = await withSender()
        .where(and(eq(chatMessages.sessionId, sessionId), gt(chatMessages.seq, seq)))
        .orderBy(asc(chatMessages.seq))
        .limit(limit);
      return rows.map(toWithSender);
    },

    async reactionsFor(messageIds: readonly string[]): Promise<ReactionRow[]> {
      if (messageIds.length === 0) return [];
      if (pooled && messageIds.every(canShare)) {
        const wanted = new Set(messageIds.map(uuidKey));
        return (await reactionsByMessage(messageIds)).filter((r) => wanted.has(r.messageId));
      }
      return reactionsQuery([...messageIds]);
    },

    /** True when the reaction was not there before. */
    async addReaction(messageId: string, userId: string, reaction: string): Promise<boolean> {
      const rows = await db
        .insert(messageReactions)
        .values({ messageId, userId, reaction })
        .onConflictDoNothing()
        .returning({ messageId: messageReactions.messageId });
      return rows.length > 0;
    },

    /** True when there was a reaction to remove. */
    async removeReaction(messageId: string, userId: string, reaction: string): Promise<boolean> {
      const rows = await db
        .delete(messageReactions)
        .where(
          and(
            eq(messageReactions.messageId, messageId),
            eq(messageReactions.userId, userId),
            eq(messageReactions.reaction, reaction),
          ),
        )
        .returning({ messageId: messageReactions.messageId });
      return rows.length > 0;
    },

    /** Moderation delete: the row stays (seq stays gap-free), its content and reactions go. */
    async softDelete(messageId: string, deletedBy: string): Promise<MessageRow | null> {
      const rows = await db
        .update(chatMessages)
        .set({ content: null, metadata: {}, deletedAt: sql`now()`, deletedBy })
        .where(and(eq(chatMessages.id, messageId), isNull(chatMessages.deletedAt)))
        .returning();
      if (!rows[0]) return null;
      await db.delete(messageReactions).where(eq(messageReactions.messageId, messageId));
      return toMessage(rows[0]);
    },
  };
}
export type MessagesRepository = ReturnType<typeof createMessagesRepository>;
