import type { TChatSessionSummary } from '@chat/contracts';
import { displayName } from '../lib/format';

export type LastMessage = NonNullable<TChatSessionSummary['last_message']>;

const SESSION_TYPE_NAMES: Record<TChatSessionSummary['session_type'], string> = {
  booking: 'Booking chat',
  support: 'Support chat',
  general: 'Chat',
};

/** How a session is named in the list: the other participant, and the booking's service. */
export function sessionTitle(
  session: Pick<TChatSessionSummary, 'id' | 'session_type' | 'bookings'>,
  viewerId: string,
): { id: string; name: string; avatarUrl: string | null; service: string | null } {
  const profiles = session.bookings?.profiles ?? [];
  const other = profiles.find((p) => p.id !== viewerId);
  const service = session.bookings?.services?.name ?? null;
  if (other)
    return { id: other.id, name: displayName(other), avatarUrl: other.avatar_url, service };
  return {
    id: session.id,
    name: SESSION_TYPE_NAMES[session.session_type],
    avatarUrl: null,
    service,
  };
}
