import { z } from 'zod';
import {
  queryInt,
  queryLimit,
  ZId,
  ZMetadata,
  ZPagination,
  ZProfile,
  ZTimestamp,
} from './common.js';
import { ZChatMessage } from './messages.js';

export const ZSessionType = z.enum(['booking', 'support', 'general']);
export const ZSessionStatus = z.enum(['active', 'closed', 'archived']);
export type TSessionStatus = z.infer<typeof ZSessionStatus>;

/** The booking a session is about, with its service and both parties. */
export const ZBookingEmbed = z.object({
  id: ZId,
  status: z.string(),
  scheduled_at: ZTimestamp.nullable(),
  client_id: ZId,
  reader_id: ZId,
  services: z.object({ id: ZId, name: z.string(), type: z.string() }).nullable(),
  profiles: z.array(ZProfile),
});

/** The newest message of a session, for session lists. */
export const ZLastMessage = ZChatMessage.pick({
  id: true,
  seq: true,
  sender_id: true,
  type: true,
  content: true,
  created_at: true,
});

export const ZChatSessionSummary = z.object({
  id: ZId,
  booking_id: ZId.nullable(),
  session_type: ZSessionType,
  status: ZSessionStatus,
  participants: z.array(ZId),
  last_message_at: ZTimestamp.nullable(),
  /** Highest `seq` in the session (0 when empty). */
  last_seq: z.number().int(),
  /** Others' messages after your read cursor. */
  unread_count: z.number().int(),
  last_message: ZLastMessage.nullable(),
  created_at: ZTimestamp,
  bookings: ZBookingEmbed.nullable(),
});
export type TChatSessionSummary = z.infer<typeof ZChatSessionSummary>;

export const ZChatSessionDetail = ZChatSessionSummary.extend({
  participant_profiles: z.array(ZProfile),
  metadata: z.record(z.string(), z.unknown()),
  created_by: ZId.nullable(),
  /** Your own read cursor (null when you are not a participant). */
  last_read_seq: z.number().int().nullable(),
});
export type TChatSessionDetail = z.infer<typeof ZChatSessionDetail>;

export const ZListSessionsRequest = z.object({
  page: queryInt(1, 1),
  limit: queryLimit(20, 100),
  /** `all` lists every status. */
  status: z.enum(['active', 'closed', 'archived', 'all']).default('active'),
  booking_id: ZId.optional(),
  /** `all`: every session (admin and monitor only); default: the sessions you are in. */
  scope: z.enum(['mine', 'all']).default('mine'),
});
export type TListSessionsRequest = z.input<typeof ZListSessionsRequest>;

export const ZListSessionsResponse = z.object({
  sessions: z.array(ZChatSessionSummary),
  pagination: ZPagination,
});
export type TListSessionsResponse = z.infer<typeof ZListSessionsResponse>;

/**
 * A booking session (`booking_id`: its client, its reader or an admin), a manual session
 * (`participant_ids`: admins only) or a support request (`session_type: 'support'` alone: the
 * caller is its one participant, and admins answer it).
 */
export const ZCreateSessionRequest = z
  .object({
    booking_id: ZId.optional(),
    participant_ids: z.array(ZId).min(1).max(50).optional(),
    session_type: ZSessionType.optional(),
    metadata: ZMetadata.default({}),
  })
  .superRefine((value, ctx) => {
    // A support request names nobody: its participant is the caller, and admins answer it.
    if (
      value.booking_id === undefined &&
      value.participant_ids === undefined &&
      value.session_type !== 'support'
    ) {
      ctx.addIssue({
        code: 'custom',
        message: 'booking_id or participant_ids is required (or session_type support)',
      });
    }
    if (value.booking_id !== undefined && value.session_type && value.session_type !== 'booking') {
      ctx.addIssue({ code: 'custom', message: 'a session with booking_id has type booking' });
    }
    if (value.booking_id === undefined && value.session_type === 'booking') {
      ctx.addIssue({ code: 'custom', message: 'a booking session needs booking_id' });
    }
  });
export type TCreateSessionRequest = z.input<typeof ZCreateSessionRequest>;

/**
 * What creating did: `created: false` when the booking already had its session. tRPC answers it
 * as is; REST answers the session, with 201 or 200.
 */
export const ZCreateSessionResult = z.object({ session: ZChatSessionDetail, created: z.boolean() });
export type TCreateSessionResult = z.infer<typeof ZCreateSessionResult>;

export const ZSessionIdParams = z.object({ id: ZId });

export const ZUpdateSessionRequest = z.object({ status: ZSessionStatus });
