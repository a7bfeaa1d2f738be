-- A role change or a deleted profile is announced on `chat_profile_changes`, so every node (each
-- LISTENs on its own connection) re-reads the profile for the sockets it holds at once, instead
-- of their keeping the role they connected with until their token expires. The marketplace
-- changes `profiles` by itself (SQL, Supabase), never through this service: only a trigger sees it.
-- Payload: {"id": "<profile id>", "op": "update" | "delete"}.
CREATE OR REPLACE FUNCTION chat_notify_profile_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(
    'chat_profile_changes',
    json_build_object('id', OLD.id, 'op', lower(TG_OP))::text
  );
  RETURN NULL;
END
$$;

-- Only a role that really changed: a marketplace writing every column of a profile on each save
-- (a name, an avatar) does not wake every node.
DROP TRIGGER IF EXISTS chat_profile_role_changed ON profiles;
CREATE TRIGGER chat_profile_role_changed
  AFTER UPDATE OF role ON profiles
  FOR EACH ROW
  WHEN (OLD.role IS DISTINCT FROM NEW.role)
  EXECUTE FUNCTION chat_notify_profile_change();

DROP TRIGGER IF EXISTS chat_profile_deleted ON profiles;
CREATE TRIGGER chat_profile_deleted
  AFTER DELETE ON profiles
  FOR EACH ROW
  EXECUTE FUNCTION chat_notify_profile_change();
