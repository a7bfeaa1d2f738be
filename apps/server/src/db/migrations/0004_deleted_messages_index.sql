-- `unread_count` counts the messages after a reader's cursor that are still there, so a message
-- deleted before it was read stops counting. Deleted messages are few: this index holds only
-- them, and the count per listed session is a probe of it (nothing to read for a session with
-- no deletions). A counter kept on the session could not tell deletions before a reader's
-- cursor from those after it. Inserts skip the index (its predicate is false for a new
-- message), and only the update that deletes a message writes to it.
CREATE INDEX chat_messages_deleted_idx ON chat_messages (session_id, seq)
  WHERE deleted_at IS NOT NULL;
