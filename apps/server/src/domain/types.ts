import type { TProfileRole } from '@chat/contracts';

/** Who is acting: built by each transport from its own auth source, passed to every service. */
export interface Actor {
  id: string;
  role: TProfileRole;
  firstName: string | null;
  lastName: string | null;
  avatarUrl: string | null;
  /**
   * The base of the absolute links this caller's answers carry (`https://chat.example`), as the
   * origin policy vetted it: PUBLIC_URL, or the request's own origin when its host is ours.
   */
  origin?: string | undefined;
  /** Follows the request into logs of what it caused (the socket fan-out). */
  requestId?: string | undefined;
}

export interface ProfileRow {
  id: string;
  firstName: string | null;
  lastName: string | null;
  avatarUrl: string | null;
  role: TProfileRole;
}

export interface BookingRow {
  id: string;
  clientId: string;
  readerId: string;
  serviceId: string | null;
  status: string;
  scheduledAt: Date | null;
}

export interface SessionRow {
  id: string;
  bookingId: string | null;
  sessionType: 'booking' | 'support' | 'general';
  status: 'active' | 'closed' | 'archived';
  metadata: Record<string, unknown>;
  lastSeq: number;
  lastMessageAt: Date | null;
  createdAt: Date;
  createdBy: string | null;
}

export interface ParticipantRow {
  sessionId: string;
  userId: string;
  lastReadSeq: number;
  lastReadAt: Date | null;
}

export interface MessageRow {
  id: string;
  sessionId: string;
  seq: number;
  senderId: string | null;
  type: 'text' | 'voice' | 'image' | 'file' | 'system';
  content: string | null;
  storageKey: string | null;
  fileName: string | null;
  fileSize: number | null;
  mimeType: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
}

export interface ReactionRow {
  messageId: string;
  userId: string;
  reaction: string;
  createdAt: Date;
  firstName: string | null;
  lastName: string | null;
}

export function displayName(p: { firstName: string | null; lastName: string | null }): string {
  const name = [p.firstName, p.lastName].filter((part) => part && part.length > 0).join(' ');
  return name.length > 0 ? name : 'Unknown user';
}

/** Roles outside the chat's four (a marketplace may have more) get no special powers. */
export function toRole(value: string): TProfileRole {
  return value === 'reader' || value === 'admin' || value === 'monitor' ? value : 'client';
}
