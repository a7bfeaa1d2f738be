-- Platform tables. In production they belong to the marketplace (Supabase) and already exist;
-- IF NOT EXISTS leaves them as they are. A fresh install gets the columns the service reads.
CREATE TABLE IF NOT EXISTS profiles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  first_name text,
  last_name text,
  avatar_url text,
  role text NOT NULL DEFAULT 'client'
);

CREATE TABLE IF NOT EXISTS services (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  type text NOT NULL
);

CREATE TABLE IF NOT EXISTS bookings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  client_id uuid NOT NULL REFERENCES profiles (id),
  reader_id uuid NOT NULL REFERENCES profiles (id),
  service_id uuid REFERENCES services (id),
  status text NOT NULL DEFAULT 'pending',
  scheduled_at timestamptz
);

CREATE TABLE chat_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  booking_id uuid UNIQUE REFERENCES bookings (id),
  session_type text NOT NULL CHECK (session_type IN ('booking', 'support', 'general')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed', 'archived')),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Highest seq handed out; bumped under the row lock in the insert transaction (gap-free).
  last_seq bigint NOT NULL DEFAULT 0,
  last_message_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES profiles (id),
  -- Sort key of session lists: newest activity first, without a per-row COALESCE at query time.
  activity_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_sessions_status_activity_idx ON chat_sessions (status, activity_at DESC, id);
CREATE INDEX chat_sessions_activity_idx ON chat_sessions (activity_at DESC, id);

CREATE TABLE chat_participants (
  session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES profiles (id),
  last_read_seq bigint NOT NULL DEFAULT 0,
  last_read_at timestamptz,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, user_id)
);
CREATE INDEX chat_participants_user_idx ON chat_participants (user_id, session_id);

CREATE TABLE chat_messages (
  id uuid PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  sender_id uuid REFERENCES profiles (id),
  type text NOT NULL CHECK (type IN ('text', 'voice', 'image', 'file', 'system')),
  content text,
  storage_key text,
  file_name text,
  file_size bigint,
  mime_type text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  deleted_by uuid REFERENCES profiles (id),
  -- Every history page, catch-up and "last message" is a range scan on this index.
  CONSTRAINT chat_messages_session_seq_key UNIQUE (session_id, seq)
);

CREATE TABLE message_reactions (
  message_id uuid NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES profiles (id),
  reaction text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, user_id, reaction)
);

-- Every admin or monitor access to a session they are not part of.
CREATE TABLE chat_audit_log (
  id bigserial PRIMARY KEY,
  actor_id uuid NOT NULL,
  actor_role text NOT NULL,
  action text NOT NULL,
  session_id uuid,
  message_id uuid,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_audit_log_session_idx ON chat_audit_log (session_id, created_at);
CREATE INDEX chat_audit_log_actor_idx ON chat_audit_log (actor_id, created_at);
