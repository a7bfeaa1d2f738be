import type { TChatMessage } from '@chat/contracts';

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
