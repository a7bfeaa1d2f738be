import { and, desc, eq, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { chatParticipants, chatSessions } from '../db/schema.js';
import {
  type MessageRow,
  type ParticipantRow,
  type ProfileRow,
  type SessionRow,
  toRole,
} from '../domain/types.js';
import type { BookingWithService } from './bookings.repository.js';
import { inUuids, isPg, sharedLookup } from './coalesce.js';

export interface NewSession {
  bookingId: string | null;
  sessionType: SessionRow['sessionType'];
  metadata: Record<string, unknown>;
  createdBy: string;
  participantIds: readonly string[];
}

export interface SessionListFilter {
  /** `mine`: the sessions the viewer is in; `all`: every session (admin scope). */
  scope: 'mine' | 'all';
  /** Whose read cursor gives `viewerLastReadSeq` (the caller). */
  viewerId: string;
  status: SessionRow['status'] | null;
  bookingId: string | undefined;
  limit: number;
  offset: number;
}

/** A listed session's booking, with the client's and then the reader's profile (when present). */
export interface SessionListBooking extends BookingWithService {
  profiles: ProfileRow[];
}

export interface SessionListItem {
  session: Omit<SessionRow, 'metadata' | 'createdBy'>;
  viewerLastReadSeq: number | null;
  /** Messages after the viewer's cursor that were deleted since: they are not unread. */
  deletedAfterCursor: number;
  lastMessage: Pick<
    MessageRow,
    'id' | 'seq' | 'senderId' | 'type' | 'content' | 'createdAt'
  > | null;
  /** User ids in the order they joined. */
  participantIds: string[];
  booking: SessionListBooking | null;
}

/**
 * A row of the list statement as the drivers hand it to drizzle's raw `execute`: timestamps as
 * text (drizzle turns its parsers off for them), bigints as text (node-postgres) or numbers.
 */
interface RawListRow {
  total: string | number;
  id: string | null;
  booking_id: string | null;
  session_type: string;
  status: string;
  last_seq: string | number;
  last_message_at: string | null;
  created_at: string;
  viewer_last_read_seq: string | number | null;
  deleted_after_cursor: string | number;
  m_id: string | null;
  m_seq: string | number;
  m_sender_id: string | null;
  m_type: string;
  m_content: string | null;
  m_created_at: string;
  participant_ids: string[];
  b_id: string | null;
  b_status: string;
  b_scheduled_at: string | null;
  b_client_id: string;
  b_reader_id: string;
  b_service_id: string | null;
  sv_id: string | null;
  sv_name: string;
  sv_type: string;
  pc_id: string | null;
  pc_first_name: string | null;
  pc_last_name: string | null;
  pc_avatar_url: string | null;
  pc_role: string;
  pr_id: string | null;
  pr_first_name: string | null;
  pr_last_name: string | null;
  pr_avatar_url: string | null;
  pr_role: string;
}

/** Timestamps through the column's own mapper: the same Date drizzle's typed select gives. */
const toDate = (value: string | Date): Date =>
  chatSessions.createdAt.mapFromDriverValue(value as string) as Date;

function rawProfile(
  id: string | null,
  firstName: string | null,
  lastName: string | null,
  avatarUrl: string | null,
  role: string,
): ProfileRow[] {
  return id === null ? [] : [{ id, firstName, lastName, avatarUrl, role: toRole(role) }];
}

function fromRawListRow(r: RawListRow, id: string): SessionListItem {
  return {
    session: {
      id,
      bookingId: r.booking_id,
      sessionType: r.session_type as SessionRow['sessionType'],
      status: r.status as SessionRow['status'],
      lastSeq: Number(r.last_seq),
      lastMessageAt: r.last_message_at === null ? null : toDate(r.last_message_at),
      createdAt: toDate(r.created_at),
    },
    viewerLastReadSeq: r.viewer_last_read_seq === null ? null : Number(r.viewer_last_read_seq),
    deletedAfterCursor: Number(r.deleted_after_cursor),
    lastMessage:
      r.m_id === null
        ? null
        : {
            id: r.m_id,
            seq: Number(r.m_seq),
            senderId: r.m_sender_id,
            type: r.m_type as MessageRow['type'],
            content: r.m_content,
            createdAt: toDate(r.m_created_at),
          },
    participantIds: r.participant_ids,
    booking:
      r.b_id === null
        ? null
        : {
            id: r.b_id,
            clientId: r.b_client_id,
            readerId: r.b_reader_id,
            serviceId: r.b_service_id,
            status: r.b_status,
            scheduledAt: r.b_scheduled_at === null ? null : toDate(r.b_scheduled_at),
            service: r.sv_id === null ? null : { id: r.sv_id, name: r.sv_name, type: r.sv_type },
            profiles: [
              ...rawProfile(r.pc_id, r.pc_first_name, r.pc_last_name, r.pc_avatar_url, r.pc_role),
              ...rawProfile(r.pr_id, r.pr_first_name, r.pr_last_name, r.pr_avatar_url, r.pr_role),
            ],
          },
  };
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

/**
 * `activity_at` (the session list's indexed sort key) moves in whole seconds, so the many
 * commits to a busy session within one second leave it unchanged and their row updates stay HOT
 * (see migration 0002). The list breaks ties within a second by the exact time.
 */
export const ACTIVITY_NOW_SQL = "greatest(activity_at, date_trunc('second', now()))";
const ACTIVITY_NOW = sql.raw(ACTIVITY_NOW_SQL);

export function createSessionsRepository(db: Executor) {
  // Concurrent lookups on the pool share a query (see coalesce.ts).
  const sessionsById = sharedLookup(
    db,
    (ids) =>
      db
        .select()
        .from(chatSessions)
        .where(inUuids(db, chatSessions.id, ids)),
    (row) => row.id,
  );
  const participantsBySession = sharedLookup(
    db,
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
        activityAt: ACTIVITY_NOW,
      })
      .where(and(eq(chatSessions.id, sessionId), eq(chatSessions.status, 'active')))
      .returning({ lastSeq: chatSessions.lastSeq, at: chatSessions.lastMessageAt });
    const row = rows[0];
    return row?.at ? { firstSeq: Number(row.lastSeq) - count + 1, at: row.at } : null;
  }

  return {
    async findById(id: string): Promise<SessionRow | null> {
      const [row] = await sessionsById([id]);
      return row ? toSession(row) : null;
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
     * The user's own support request that is still active (the newest, if ever two), or null.
     * Starts from the user's participant rows (index on user_id), like "mine" in `list`.
     */
    async findActiveSupportRequest(userId: string): Promise<SessionRow | null> {
      const rows = await db
        .select({ session: chatSessions })
        .from(chatParticipants)
        .innerJoin(chatSessions, eq(chatSessions.id, chatParticipants.sessionId))
        .where(
          and(
            eq(chatParticipants.userId, userId),
            eq(chatSessions.createdBy, userId),
            eq(chatSessions.sessionType, 'support'),
            eq(chatSessions.status, 'active'),
            isNull(chatSessions.bookingId),
          ),
        )
        .orderBy(desc(chatSessions.createdAt))
        .limit(1);
      return rows[0] ? toSession(rows[0].session) : null;
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
      const rows = await participantsBySession([sessionId]);
      return rows.map((r) => ({ ...r, lastReadSeq: Number(r.lastReadSeq) }));
    },

    /**
     * One page of a session list with everything the list shows, in ONE statement (one round
     * trip instead of five): the total, and per listed session the viewer's cursor, the last
     * message, the participants, the booking with its service and both parties' profiles. The
     * total is its own subquery beside the page (not `count(*) OVER ()`), so a page past the end
     * still gets it, and the page can stop at LIMIT on the activity index (admin scope) instead
     * of joining every session first; the lookups run for the listed rows only.
     */
    async list(filter: SessionListFilter): Promise<{ items: SessionListItem[]; total: number }> {
      const conditions: SQL[] = [];
      if (filter.status) conditions.push(sql`s.status = ${filter.status}`);
      if (filter.bookingId) conditions.push(sql`s.booking_id = ${filter.bookingId}::uuid`);
      // "Mine" starts from the viewer's participant rows (index on user_id), so its cost follows
      // the user's own session count, not the size of the whole table.
      const source =
        filter.scope === 'mine'
          ? sql`chat_participants v JOIN chat_sessions s ON s.id = v.session_id`
          : sql`chat_sessions s LEFT JOIN chat_participants v
                  ON v.session_id = s.id AND v.user_id = ${filter.viewerId}::uuid`;
      if (filter.scope === 'mine') conditions.unshift(sql`v.user_id = ${filter.viewerId}::uuid`);
      const where = conditions.length > 0 ? sql`WHERE ${sql.join(conditions, sql` AND `)}` : sql``;
      // The admin count needs no viewer join (it can only match one row per session).
      const countSource = filter.scope === 'mine' ? source : sql`chat_sessions s`;
      const result = await db.execute(sql`
        SELECT t.total, p.*
        FROM (SELECT count(*) AS total FROM ${countSource} ${where}) AS t
        LEFT JOIN LATERAL (
          SELECT s.id, s.booking_id, s.session_type, s.status, s.last_seq, s.last_message_at,
                 s.created_at, s.activity_at, s.viewer_last_read_seq,
                 -- Deleted messages after the cursor are not unread. Only for a session with
                 -- something unread: a probe of the partial index of deleted messages (0004).
                 CASE WHEN s.viewer_last_read_seq < s.last_seq THEN (
                   SELECT count(*) FROM chat_messages d
                   WHERE d.session_id = s.id AND d.seq > s.viewer_last_read_seq
                     AND d.deleted_at IS NOT NULL
                 ) ELSE 0 END AS deleted_after_cursor,
                 m.id AS m_id, m.seq AS m_seq, m.sender_id AS m_sender_id, m.type AS m_type,
                 CASE WHEN m.deleted_at IS NULL THEN m.content END AS m_content,
                 m.created_at AS m_created_at,
                 ARRAY(SELECT cp.user_id::text FROM chat_participants cp
                       WHERE cp.session_id = s.id
                       ORDER BY cp.joined_at, cp.user_id) AS participant_ids,
                 b.id AS b_id, b.status AS b_status, b.scheduled_at AS b_scheduled_at,
                 b.client_id AS b_client_id, b.reader_id AS b_reader_id,
                 b.service_id AS b_service_id,
                 sv.id AS sv_id, sv.name AS sv_name, sv.type AS sv_type,
                 pc.id AS pc_id, pc.first_name AS pc_first_name, pc.last_name AS pc_last_name,
                 pc.avatar_url AS pc_avatar_url, pc.role AS pc_role,
                 pr.id AS pr_id, pr.first_name AS pr_first_name, pr.last_name AS pr_last_name,
                 pr.avatar_url AS pr_avatar_url, pr.role AS pr_role
          FROM (
            SELECT s.id, s.booking_id, s.session_type, s.status, s.last_seq, s.last_message_at,
                   s.created_at, s.activity_at, v.last_read_seq AS viewer_last_read_seq
            FROM ${source} ${where}
            ORDER BY s.activity_at DESC, coalesce(s.last_message_at, s.created_at) DESC, s.id DESC
            LIMIT ${filter.limit} OFFSET ${filter.offset}
          ) AS s
          -- The newest message is the one at last_seq: one unique-index probe per listed session.
          LEFT JOIN chat_messages m ON m.session_id = s.id AND m.seq = s.last_seq
          LEFT JOIN bookings b ON b.id = s.booking_id
          LEFT JOIN services sv ON sv.id = b.service_id
          LEFT JOIN profiles pc ON pc.id = b.client_id
          LEFT JOIN profiles pr ON pr.id = b.reader_id
        ) AS p ON true
        ORDER BY p.activity_at DESC, coalesce(p.last_message_at, p.created_at) DESC, p.id DESC`);
      const rows = (result as unknown as { rows: RawListRow[] }).rows;
      const items: SessionListItem[] = [];
      // A page past the end is the count's row alone, joined to nothing (id null).
      for (const r of rows) if (r.id !== null) items.push(fromRawListRow(r, r.id));
      return { total: Number(rows[0]?.total ?? 0), items };
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
          activityAt: ACTIVITY_NOW,
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

    /**
     * The session's status under a share lock, inside a transaction: a status change in flight
     * commits first and is seen; one that comes later waits for this transaction.
     */
    async lockStatus(sessionId: string): Promise<SessionRow['status'] | null> {
      const rows = await db
        .select({ status: chatSessions.status })
        .from(chatSessions)
        .where(eq(chatSessions.id, sessionId))
        .for('share');
      return rows[0] ? (rows[0].status as SessionRow['status']) : null;
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
