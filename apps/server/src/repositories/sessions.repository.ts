import { and, count, desc, eq, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { chatMessages, chatParticipants, chatSessions } from '../db/schema.js';
import type { MessageRow, ParticipantRow, SessionRow } from '../domain/types.js';
import { canShare, coalesce, inUuids, isPg, isPooled, pick } from './coalesce.js';

export interface NewSession {
  bookingId: string | null;
  sessionType: SessionRow['sessionType'];
  metadata: Record<string, unknown>;
  createdBy: string;
  participantIds: readonly string[];
}

export interface SessionListFilter {
  /** List the sessions this user is in; `null` lists every session (admin scope). */
  memberId: string | null;
  /** Whose read cursor gives `lastReadSeq` (the caller). */
  viewerId: string;
  status: SessionRow['status'] | null;
  bookingId: string | undefined;
  limit: number;
  offset: number;
}

export interface SessionListItem {
  session: SessionRow;
  viewerLastReadSeq: number | null;
  lastMessage: Pick<
    MessageRow,
    'id' | 'seq' | 'senderId' | 'type' | 'content' | 'createdAt'
  > | null;
}

const toSession = (r: typeof chatSessions.$inferSelect): SessionRow => ({
  id: r.id,
  bookingId: r.bookingId,
  sessionType: r.sessionType as SessionRow['sessionType'],
  status: r.status as SessionRow['status'],
  metadata: r.metadata,
  lastSeq: Number(r.lastSeq),
  lastMessageAt: r.lastMessageAt,
  createdAt: r.createdAt,
  createdBy: r.createdBy,
});

export function createSessionsRepository(db: Executor) {
  // Concurrent lookups on the pool share a query (see coalesce.ts).
  const pooled = isPooled(db);
  const sessionsById = coalesce(
    (ids) =>
      db
        .select()
        .from(chatSessions)
        .where(inUuids(db, chatSessions.id, ids)),
    (row) => row.id,
  );
  const participantsBySession = coalesce(
    (ids) =>
      db
        .select()
        .from(chatParticipants)
        .where(inUuids(db, chatParticipants.sessionId, ids))
        .orderBy(chatParticipants.joinedAt, chatParticipants.userId),
    (row) => row.sessionId,
  );

  /**
   * Reserves `count` consecutive seqs of an active session under its row lock (held until
   * commit). Returns the first one, or null when the session is not active.
   */
  async function reserveOne(
    sessionId: string,
    count: number,
  ): Promise<{ firstSeq: number; at: Date } | null> {
    const rows = await db
      .update(chatSessions)
      .set({
        lastSeq: sql`${chatSessions.lastSeq} + ${count}`,
        lastMessageAt: sql`now()`,
        activityAt: sql`now()`,
      })
      .where(and(eq(chatSessions.id, sessionId), eq(chatSessions.status, 'active')))
      .returning({ lastSeq: chatSessions.lastSeq, at: chatSessions.lastMessageAt });
    const row = rows[0];
    return row?.at ? { firstSeq: Number(row.lastSeq) - count + 1, at: row.at } : null;
  }

  return {
    async findById(id: string): Promise<SessionRow | null> {
      if (pooled && canShare(id)) {
        const [row] = pick(await sessionsById([id]), [id]);
        return row ? toSession(row) : null;
      }
      const rows = await db.select().from(chatSessions).where(eq(chatSessions.id, id)).limit(1);
      return rows[0] ? toSession(rows[0]) : null;
    },

    async findByBookingId(bookingId: string): Promise<SessionRow | null> {
      const rows = await db
        .select()
        .from(chatSessions)
        .where(eq(chatSessions.bookingId, bookingId))
        .limit(1);
      return rows[0] ? toSession(rows[0]) : null;
    },

    /**
     * Creates the session and its participants. Returns null when a session for the same booking
     * already exists (a concurrent create won the unique index); the caller fetches that one.
     */
    async create(input: NewSession): Promise<SessionRow | null> {
      const inserted = await db
        .insert(chatSessions)
        .values({
          bookingId: input.bookingId,
          sessionType: input.sessionType,
          status: 'active',
          metadata: input.metadata,
          lastSeq: 0,
          createdBy: input.createdBy,
        })
        .onConflictDoNothing()
        .returning();
      const row = inserted[0];
      if (!row) return null;
      await db
        .insert(chatParticipants)
        .values(
          input.participantIds.map((userId) => ({ sessionId: row.id, userId, lastReadSeq: 0 })),
        );
      return toSession(row);
    },

    async participants(sessionId: string): Promise<ParticipantRow[]> {
      const rows =
        pooled && canShare(sessionId)
          ? pick(await participantsBySession([sessionId]), [sessionId])
          : await db
              .select()
              .from(chatParticipants)
              .where(eq(chatParticipants.sessionId, sessionId))
              .orderBy(chatParticipants.joinedAt, chatParticipants.userId);
      return rows.map((r) => ({ ...r, lastReadSeq: Number(r.lastReadSeq) }));
    },

    async participantsOf(sessionIds: readonly string[]): Promise<ParticipantRow[]> {
      if (sessionIds.length === 0) return [];
      const rows = await db
        .select()
        .from(chatParticipants)
        .where(inArray(chatParticipants.sessionId, [...sessionIds]))
        .orderBy(chatParticipants.joinedAt, chatParticipants.userId);
      return rows.map((r) => ({ ...r, lastReadSeq: Number(r.lastReadSeq) }));
    },

    async list(filter: SessionListFilter): Promise<{ items: SessionListItem[]; total: number }> {
      const conditions: SQL[] = [];
      if (filter.status) conditions.push(eq(chatSessions.status, filter.status));
      if (filter.bookingId) conditions.push(eq(chatSessions.bookingId, filter.bookingId));
      const viewer = db
        .select()
        .from(chatParticipants)
        .where(eq(chatParticipants.userId, filter.viewerId))
        .as('viewer');
      const shape = {
        session: chatSessions,
        viewerLastReadSeq: viewer.lastReadSeq,
        last: chatMessages,
      };
      // The newest message is the one at last_seq: one unique-index probe per listed session.
      const lastMessageJoin = and(
        eq(chatMessages.sessionId, chatSessions.id),
        eq(chatMessages.seq, chatSessions.lastSeq),
      );
      const order = [desc(chatSessions.activityAt), desc(chatSessions.id)];

      let rowsQuery: Promise<
        Array<{
          session: typeof chatSessions.$inferSelect;
          viewerLastReadSeq: number | null;
          last: typeof chatMessages.$inferSelect | null;
        }>
      >;
      let totalQuery: Promise<Array<{ total: number }>>;
      if (filter.memberId !== null) {
        // "My sessions" starts from the member's participant rows (index on user_id), so its cost
        // follows the user's own session count, not the size of the whole table.
        const where = and(eq(viewer.userId, filter.memberId), ...conditions);
        rowsQuery = db
          .select(shape)
          .from(viewer)
          .innerJoin(chatSessions, eq(chatSessions.id, viewer.sessionId))
          .leftJoin(chatMessages, lastMessageJoin)
          .where(where)
          .orderBy(...order)
          .limit(filter.limit)
          .offset(filter.offset);
        totalQuery = db
          .select({ total: count() })
          .from(viewer)
          .innerJoin(chatSessions, eq(chatSessions.id, viewer.sessionId))
          .where(where);
      } else {
        const where = conditions.length > 0 ? and(...conditions) : undefined;
        rowsQuery = db
          .select(shape)
          .from(chatSessions)
          .leftJoin(viewer, eq(viewer.sessionId, chatSessions.id))
          .leftJoin(chatMessages, lastMessageJoin)
          .where(where)
          .orderBy(...order)
          .limit(filter.limit)
          .offset(filter.offset);
        totalQuery = db.select({ total: count() }).from(chatSessions).where(where);
      }
      const [rows, totals] = await Promise.all([rowsQuery, totalQuery]);

      return {
        total: Number(totals[0]?.total ?? 0),
        items: rows.map((r) => ({
          session: toSession(r.session),
          viewerLastReadSeq: r.viewerLastReadSeq === null ? null : Number(r.viewerLastReadSeq),
          lastMessage: r.last
            ? {
                id: r.last.id,
                seq: Number(r.last.seq),
                senderId: r.last.senderId,
                type: r.last.type as MessageRow['type'],
                content: r.last.deletedAt ? null : r.last.content,
                createdAt: r.last.createdAt,
              }
            : null,
        })),
      };
    },

    /**
     * Reserves seqs (as `reserveOne` does for one session) for several sessions in two
     * statements instead of one per session (a group commit covers many sessions): their rows are locked in id order first, so concurrent
     * batches (other nodes) cannot deadlock, then each active one is bumped by its count.
     * A session missing from the answer is not active (or does not exist).
     */
    async reserveSeqsMany(
      requests: ReadonlyArray<{ sessionId: string; count: number }>,
    ): Promise<Map<string, { firstSeq: number; at: Date }>> {
      const reserved = new Map<string, { firstSeq: number; at: Date }>();
      if (requests.length === 0) return reserved;
      const [only] = requests;
      if (requests.length === 1 && only) {
        // One row: the UPDATE's own lock has no order to keep (one statement, as before).
        const one = await reserveOne(only.sessionId, only.count);
        if (one) reserved.set(only.sessionId, one);
        return reserved;
      }
      await db
        .select({ id: chatSessions.id })
        .from(chatSessions)
        .where(
          inUuids(
            db,
            chatSessions.id,
            requests.map((r) => r.sessionId),
          ),
        )
        .orderBy(chatSessions.id)
        .for('update');
      const counts = isPg(db)
        ? sql`SELECT * FROM unnest(${sql.param(requests.map((r) => r.sessionId))}::uuid[], ${sql.param(requests.map((r) => r.count))}::bigint[])`
        : sql`VALUES ${sql.join(
            requests.map((r) => sql`(${r.sessionId}::uuid, ${r.count}::bigint)`),
            sql`, `,
          )}`;
      const rows = await db
        .update(chatSessions)
        .set({
          lastSeq: sql`${chatSessions.lastSeq} + v.n`,
          lastMessageAt: sql`now()`,
          activityAt: sql`now()`,
        })
        .from(sql`(${counts}) AS v(id, n)`)
        .where(and(eq(chatSessions.id, sql`v.id`), eq(chatSessions.status, 'active')))
        .returning({
          id: chatSessions.id,
          lastSeq: chatSessions.lastSeq,
          at: chatSessions.lastMessageAt,
        });
      const countOf = new Map(requests.map((r) => [r.sessionId, r.count]));
      for (const row of rows) {
        const count = countOf.get(row.id);
        if (count === undefined || !row.at) continue;
        reserved.set(row.id, { firstSeq: Number(row.lastSeq) - count + 1, at: row.at });
      }
      return reserved;
    },

    /** Moves several read cursors forward at once (never back). */
    async advanceCursors(
      cursors: ReadonlyArray<{ sessionId: string; userId: string; seq: number }>,
    ): Promise<void> {
      if (cursors.length === 0) return;
      // On node-postgres one array per column (cheap to build for a big group commit).
      const values = isPg(db)
        ? sql`SELECT * FROM unnest(${sql.param(cursors.map((c) => c.sessionId))}::uuid[], ${sql.param(cursors.map((c) => c.userId))}::uuid[], ${sql.param(cursors.map((c) => c.seq))}::bigint[])`
        : sql`VALUES ${sql.join(
            cursors.map((c) => sql`(${c.sessionId}::uuid, ${c.userId}::uuid, ${c.seq}::bigint)`),
            sql`, `,
          )}`;
      await db.execute(sql`
        UPDATE chat_participants AS p
        SET last_read_seq = v.seq, last_read_at = now()
        FROM (${values}) AS v(session_id, user_id, seq)
        WHERE p.session_id = v.session_id AND p.user_id = v.user_id AND p.last_read_seq < v.seq`);
    },

    async updateStatus(
      sessionId: string,
      status: SessionRow['status'],
    ): Promise<SessionRow | null> {
      const rows = await db
        .update(chatSessions)
        .set({ status })
        .where(eq(chatSessions.id, sessionId))
        .returning();
      return rows[0] ? toSession(rows[0]) : null;
    },

    /**
     * Moves a read cursor forward to `seq` (never back). Returns the cursor and whether it moved;
     * null when the user is not a participant.
     */
    async advanceCursor(
      sessionId: string,
      userId: string,
      seq: number,
    ): Promise<{ lastReadSeq: number; lastReadAt: Date; moved: boolean } | null> {
      const moved = await db
        .update(chatParticipants)
        .set({ lastReadSeq: seq, lastReadAt: sql`now()` })
        .where(
          and(
            eq(chatParticipants.sessionId, sessionId),
            eq(chatParticipants.userId, userId),
            lt(chatParticipants.lastReadSeq, seq),
          ),
        )
        .returning();
      const row = moved[0];
      if (row)
        return {
          lastReadSeq: Number(row.lastReadSeq),
          lastReadAt: row.lastReadAt ?? new Date(),
          moved: true,
        };
      const current = await db
        .select()
        .from(chatParticipants)
        .where(and(eq(chatParticipants.sessionId, sessionId), eq(chatParticipants.userId, userId)))
        .limit(1);
      const cur = current[0];
      if (!cur) return null;
      return {
        lastReadSeq: Number(cur.lastReadSeq),
        lastReadAt: cur.lastReadAt ?? cur.joinedAt,
        moved: false,
      };
    },
  };
}
export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
