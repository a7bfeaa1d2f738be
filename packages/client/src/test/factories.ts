import type { TChatMessage, TChatSessionDetail, TChatSessionSummary } from '@chat/contracts';

export const SARAH = '11111111-1111-4111-8111-111111111111';
export const SAMIA = '22222222-2222-4222-8222-222222222222';
export const SESSION = '77777777-7777-4777-8777-777777777777';

/** A stored message with sensible defaults; ids derive from seq unless given. */
export function message(seq: number, overrides: Partial<TChatMessage> = {}): TChatMessage {
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    session_id: SESSION,
    sender_id: SARAH,
    seq,
    content: `message ${seq}`,
    type: 'text',
    file_url: null,
    file_name: null,
    file_size: null,
    mime_type: null,
    metadata: {},
    is_read: false,
    created_at: new Date(Date.UTC(2024, 11, 2, 10, 0, seq)).toISOString(),
    edited_at: null,
    deleted_at: null,
    profiles: { id: SARAH, first_name: 'Sarah', last_name: 'Johnson', avatar_url: null },
    message_reactions: [],
    ...overrides,
  };
}

/** A session as `GET /api/chat/sessions/:id` answers it: Sarah and Samia's booking chat. */
export function sessionDetail(overrides: Partial<TChatSessionDetail> = {}): TChatSessionDetail {
  return {
    id: SESSION,
    booking_id: null,
    session_type: 'general',
    status: 'active',
    participants: [SARAH, SAMIA],
    last_message_at: null,
    last_seq: 0,
    unread_count: 0,
    last_message: null,
    created_at: '2024-12-02T09:00:00.000Z',
    bookings: null,
    participant_profiles: [],
    metadata: {},
    created_by: null,
    last_read_seq: 0,
    ...overrides,
  };
}

/** A session as the session list shows it. */
export function sessionSummary(
  id: string,
  overrides: Partial<TChatSessionSummary> = {},
): TChatSessionSummary {
  const { participant_profiles, metadata, created_by, last_read_seq, ...summary } = sessionDetail({
    id,
  });
  return { ...summary, ...overrides };
}
