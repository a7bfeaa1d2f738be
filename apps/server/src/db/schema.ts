import {
  bigint,
  bigserial,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

// Mirrors migrations/*.sql (the migrations are the source of truth; these give the queries types).

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const profiles = pgTable('profiles', {
  id: uuid('id').primaryKey(),
  firstName: text('first_name'),
  lastName: text('last_name'),
  avatarUrl: text('avatar_url'),
  role: text('role').notNull(),
});

export const services = pgTable('services', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  type: text('type').notNull(),
});

export const bookings = pgTable('bookings', {
  id: uuid('id').primaryKey(),
  clientId: uuid('client_id').notNull(),
  readerId: uuid('reader_id').notNull(),
  serviceId: uuid('service_id'),
  status: text('status').notNull(),
  scheduledAt: ts('scheduled_at'),
});

export const chatSessions = pgTable('chat_sessions', {
  id: uuid('id').primaryKey().defaultRandom(),
  bookingId: uuid('booking_id'),
  sessionType: text('session_type').notNull(),
  status: text('status').notNull(),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
  lastMessageAt: ts('last_message_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
  createdBy: uuid('created_by'),
  activityAt: ts('activity_at').notNull().defaultNow(),
});

export const chatParticipants = pgTable(
  'chat_participants',
  {
    sessionId: uuid('session_id').notNull(),
    userId: uuid('user_id').notNull(),
    lastReadSeq: bigint('last_read_seq', { mode: 'number' }).notNull(),
    lastReadAt: ts('last_read_at'),
    joinedAt: ts('joined_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.userId] })],
);

export const chatMessages = pgTable('chat_messages', {
  id: uuid('id').primaryKey(),
  sessionId: uuid('session_id').notNull(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  senderId: uuid('sender_id'),
  type: text('type').notNull(),
  content: text('content'),
  storageKey: text('storage_key'),
  fileName: text('file_name'),
  fileSize: bigint('file_size', { mode: 'number' }),
  mimeType: text('mime_type'),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  editedAt: ts('edited_at'),
  deletedAt: ts('deleted_at'),
  deletedBy: uuid('deleted_by'),
});

export const messageReactions = pgTable(
  'message_reactions',
  {
    messageId: uuid('message_id').notNull(),
    userId: uuid('user_id').notNull(),
    reaction: text('reaction').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.userId, t.reaction] })],
);

export const chatAuditLog = pgTable('chat_audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  actorId: uuid('actor_id').notNull(),
  actorRole: text('actor_role').notNull(),
  action: text('action').notNull(),
  sessionId: uuid('session_id'),
  messageId: uuid('message_id'),
  details: jsonb('details').$type<Record<string, unknown>>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const schema = {
  profiles,
  services,
  bookings,
  chatSessions,
  chatParticipants,
  chatMessages,
  messageReactions,
  chatAuditLog,
};
