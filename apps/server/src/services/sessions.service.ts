import type {
  TChatSessionDetail,
  TChatSessionSummary,
  TListSessionsResponse,
  TProfile,
  TSessionStatus,
  ZCreateSessionRequest,
  ZListSessionsRequest,
} from '@chat/contracts';
import type { z } from 'zod';
import type { EventBus } from '../bus/bus.js';
import type { Actor, ProfileRow, SessionRow } from '../domain/types.js';
import { ChatError } from '../errors.js';
import type { BookingWithService } from '../repositories/bookings.repository.js';
import type { SessionListItem } from '../repositories/sessions.repository.js';
import type { Repositories, Store } from '../repositories/store.js';
import { assertActive, authorizeSession } from './access.policy.js';
import type { RateLimiter } from './rate-limiter.js';

/** Booking statuses that may not get a new chat. */
const CLOSED_BOOKING_STATUSES = new Set(['cancelled', 'refunded']);

export interface SessionsServiceDeps {
  store: Store;
  bus: EventBus;
  rateLimiter: RateLimiter;
}

export function createSessionsService({ store, bus, rateLimiter }: SessionsServiceDeps) {
  const { repos } = store;

  return {
    async list(
      actor: Actor,
      input: z.output<typeof ZListSessionsRequest>,
    ): Promise<TListSessionsResponse> {
      await rateLimiter.consume('reads', actor.id);
      if (input.scope === 'all' && actor.role !== 'admin' && actor.role !== 'monitor') {
        throw new ChatError(
          'CHAT_ACCESS_DENIED',
          'Only admins and monitors may list every session',
        );
      }
      if (input.scope === 'all') {
        await repos.audit.record({
          actorId: actor.id,
          actorRole: actor.role,
          action: 'sessions.list_all',
          details: { status: input.status, booking_id: input.booking_id ?? null },
        });
      }
      const { items, total } = await repos.sessions.list({
        scope: input.scope,
        viewerId: actor.id,
        status: input.status === 'all' ? null : input.status,
        bookingId: input.booking_id,
        limit: input.limit,
        offset: (input.page - 1) * input.limit,
      });
      const sessions = items.map(presentSummary);
      return {
        sessions,
        pagination: {
          page: input.page,
          limit: input.limit,
          total,
          total_pages: Math.ceil(total / input.limit),
        },
      };
    },

    async get(actor: Actor, sessionId: string): Promise<TChatSessionDetail> {
      await rateLimiter.consume('reads', actor.id);
      const access = await authorizeSession(repos, actor, sessionId, 'read', 'session.read');
      return presentDetail(repos, access.session, actor.id);
    },

    /**
     * A booking session belongs to the booking's client and reader and exists once per booking:
     * creating it again answers the existing one (`created: false`). A support request (no
     * booking, no participants) has the caller as its one participant and is answered by admins
     * (their override); while one is active, asking again answers it. Manual sessions
     * (`participant_ids`) are for admins only. Only a creation counts against the caller's
     * session budget: answering an existing session does not, even when the budget is spent
     * (the web client asks for a booking's session each time it opens it).
     */
    async create(
      actor: Actor,
      input: z.output<typeof ZCreateSessionRequest>,
    ): Promise<{ session: TChatSessionDetail; created: boolean }> {
      if (actor.role === 'monitor')
        throw new ChatError('CHAT_ACCESS_DENIED', 'Monitors cannot create sessions');
      const isAdmin = actor.role === 'admin';
      const manual = input.booking_id === undefined && input.participant_ids !== undefined;
      if (manual && !isAdmin) {
        // Refused before any lookup: nothing about the named users is read or revealed.
        throw new ChatError(
          'CHAT_ACCESS_DENIED',
          'Only admins open chats with chosen participants; ask for help with session_type support',
        );
      }
      const support = input.booking_id === undefined && !manual;
      if (support && isAdmin) {
        throw new ChatError('VALIDATION_ERROR', 'An admin opens a support chat with someone', {
          details: ['participant_ids: required for an admin'],
        });
      }
      const existingAnswer = async (existing: SessionRow) => ({
        session: await presentDetail(repos, existing, actor.id),
        created: false,
      });

      let participantIds: string[];
      let bookingId: string | null = null;
      if (input.booking_id !== undefined) {
        const booking = await repos.bookings.findById(input.booking_id);
        if (!booking) {
          throw new ChatError('VALIDATION_ERROR', 'Booking not found', {
            details: ['booking_id: no such booking'],
          });
        }
        const isParty = actor.id === booking.clientId || actor.id === booking.readerId;
        if (!isParty && !isAdmin) {
          throw new ChatError(
            'CHAT_ACCESS_DENIED',
            'Only the booking’s client and reader can open its chat',
          );
        }
        const existing = await repos.sessions.findByBookingId(booking.id);
        if (existing) return existingAnswer(existing);
        if (CLOSED_BOOKING_STATUSES.has(booking.status)) {
          throw new ChatError(
            'CHAT_ACCESS_DENIED',
            `A ${booking.status} booking cannot get a chat`,
          );
        }
        bookingId = booking.id;
        participantIds = [...new Set([booking.clientId, booking.readerId])];
      } else if (support) {
        const existing = await repos.sessions.findActiveSupportRequest(actor.id);
        if (existing) return existingAnswer(existing);
        participantIds = [actor.id];
      } else {
        participantIds = [...new Set(input.participant_ids ?? [])];
        const known =
          participantIds.length < 2 ? [] : await repos.profiles.findByIds(participantIds);
        if (known.length !== participantIds.length || participantIds.length < 2) {
          // One answer for every way the list is wrong: it names no id and does not say
          // whether a profile exists.
          throw new ChatError('VALIDATION_ERROR', 'participant_ids must name two or more users', {
            details: ['participant_ids: at least two distinct existing users'],
          });
        }
      }

      await rateLimiter.consume('sessions', actor.id);
      const created = await store
        .transaction((tx) =>
          tx.sessions.create({
            bookingId,
            sessionType:
              input.session_type ?? (bookingId ? 'booking' : support ? 'support' : 'general'),
            metadata: input.metadata,
            createdBy: actor.id,
            participantIds,
          }),
        )
        .catch(async (error: unknown) => {
          // Nothing was created (the database refused or was away): the point goes back.
          await rateLimiter.refund('sessions', actor.id);
          throw error;
        });
      if (!created) {
        // Lost a race with a concurrent create for the same booking: answer the winner's session.
        const existing = bookingId ? await repos.sessions.findByBookingId(bookingId) : null;
        if (!existing) throw new Error('session insert returned nothing without a conflict');
        // Nothing was created: the request does not count against the budget.
        await rateLimiter.refund('sessions', actor.id);
        return existingAnswer(existing);
      }
      bus.publish('session.created', { sessionId: created.id, participantIds });
      return { session: await presentDetail(repos, created, actor.id), created: true };
    },

    /**
     * Typing into a session is a write: participants (not monitors) and admins, in an active
     * session, within the typing budget (counted per start, not per keystroke).
     */
    async authorizeTyping(actor: Actor, sessionId: string): Promise<void> {
      const access = await authorizeSession(repos, actor, sessionId, 'write', 'session.typing');
      assertActive(access.session);
      await rateLimiter.consume('typing', actor.id);
    },

    /** Close, archive or reopen a session (admin moderation). */
    async updateStatus(
      actor: Actor,
      sessionId: string,
      status: TSessionStatus,
    ): Promise<TChatSessionDetail> {
      const access = await authorizeSession(
        repos,
        actor,
        sessionId,
        'moderate',
        'session.update_status',
      );
      const updated = await repos.sessions.updateStatus(sessionId, status);
      if (!updated) throw new ChatError('SESSION_NOT_FOUND');
      if (access.session.status !== status) {
        bus.publish('session.updated', {
          sessionId,
          status,
          participantIds: access.participants.map((p) => p.userId),
        });
      }
      return presentDetail(repos, updated, actor.id);
    },
  };
}
export type SessionsService = ReturnType<typeof createSessionsService>;

export function toProfile(p: ProfileRow): TProfile {
  return {
    id: p.id,
    first_name: p.firstName,
    last_name: p.lastName,
    avatar_url: p.avatarUrl,
    role: p.role,
  };
}

/** A listed session: the list statement already fetched everything it shows. */
function presentSummary({
  session,
  viewerLastReadSeq,
  deletedAfterCursor,
  lastMessage,
  participantIds,
  booking,
}: SessionListItem): TChatSessionSummary {
  return {
    ...sessionCore(session),
    participants: participantIds,
    unread_count: unreadCount(session, viewerLastReadSeq, deletedAfterCursor),
    last_message: lastMessage
      ? {
          id: lastMessage.id,
          seq: lastMessage.seq,
          sender_id: lastMessage.senderId,
          type: lastMessage.type,
          content: lastMessage.content,
          created_at: lastMessage.createdAt.toISOString(),
        }
      : null,
    bookings: booking ? bookingEmbed(booking, booking.profiles.map(toProfile)) : null,
  };
}

export async function presentDetail(
  repos: Repositories,
  session: SessionRow,
  viewerId: string,
): Promise<TChatSessionDetail> {
  const participants = await repos.sessions.participants(session.id);
  const bookings = session.bookingId
    ? await repos.bookings.findWithServices([session.bookingId])
    : [];
  const booking = bookings[0];
  const profiles = await profileMap(repos, [
    ...participants.map((p) => p.userId),
    ...(booking ? [booking.clientId, booking.readerId] : []),
  ]);
  const own = participants.find((p) => p.userId === viewerId);
  // Independent reads, side by side.
  const [deletedAfterCursor, lastMessageRows] = await Promise.all([
    own && own.lastReadSeq < session.lastSeq
      ? repos.messages.countDeletedAfter(session.id, own.lastReadSeq)
      : 0,
    session.lastSeq > 0 ? repos.messages.before(session.id, session.lastSeq + 1, 1) : [],
  ]);
  const last = lastMessageRows[0];
  return {
    ...sessionCore(session),
    participants: participants.map((p) => p.userId),
    unread_count: unreadCount(session, own?.lastReadSeq ?? null, deletedAfterCursor),
    last_message: last
      ? {
          id: last.id,
          seq: last.seq,
          sender_id: last.senderId,
          type: last.type,
          content: last.deletedAt ? null : last.content,
          created_at: last.createdAt.toISOString(),
        }
      : null,
    bookings: booking
      ? bookingEmbed(
          booking,
          [booking.clientId, booking.readerId].flatMap((id) => {
            const p = profiles.get(id);
            return p ? [toProfile(p)] : [];
          }),
        )
      : null,
    participant_profiles: participants.flatMap((p) => {
      const profile = profiles.get(p.userId);
      return profile ? [toProfile(profile)] : [];
    }),
    metadata: session.metadata,
    created_by: session.createdBy,
    last_read_seq: own?.lastReadSeq ?? null,
  };
}

function sessionCore(session: SessionListItem['session']) {
  return {
    id: session.id,
    booking_id: session.bookingId,
    session_type: session.sessionType,
    status: session.status,
    last_message_at: session.lastMessageAt?.toISOString() ?? null,
    last_seq: session.lastSeq,
    created_at: session.createdAt.toISOString(),
  };
}

/**
 * Others' messages after the viewer's cursor that are still there. Sending moves the sender's
 * cursor to their own message, so everything after the cursor is someone else's: the count is a
 * subtraction, less the deleted ones among them (rare, counted from a partial index), the same
 * cost at any history length.
 */
function unreadCount(
  session: Pick<SessionRow, 'lastSeq'>,
  viewerLastReadSeq: number | null,
  deletedAfterCursor: number,
): number {
  if (viewerLastReadSeq === null) return 0;
  return Math.max(0, session.lastSeq - viewerLastReadSeq - deletedAfterCursor);
}

async function profileMap(
  repos: Repositories,
  ids: readonly string[],
): Promise<Map<string, ProfileRow>> {
  const rows = await repos.profiles.findByIds(ids);
  return new Map(rows.map((p) => [p.id, p]));
}

/** `profiles`: the client's, then the reader's (each when it exists). */
function bookingEmbed(booking: BookingWithService, profiles: TProfile[]) {
  return {
    id: booking.id,
    status: booking.status,
    scheduled_at: booking.scheduledAt?.toISOString() ?? null,
    client_id: booking.clientId,
    reader_id: booking.readerId,
    services: booking.service,
    profiles,
  };
}
