-- Servers cache verified keys (each carries its project). These triggers tell every server listening on the
-- `userbase_keys` channel when a key is revoked or a project's name or settings change, from inside the
-- transaction that makes the change (so the notice goes out exactly when it commits). Payloads are ids, never
-- secrets: `key:<key id>` or `project:<project id>`.
CREATE FUNCTION userbase_notify_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'api_keys' THEN
        PERFORM pg_notify('userbase_keys', 'key:' || NEW.id);
    ELSE
        PERFORM pg_notify('userbase_keys', 'project:' || NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_notify_revoked AFTER UPDATE OF revoked_at ON api_keys
    FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
    EXECUTE FUNCTION userbase_notify_key_change();

CREATE TRIGGER projects_notify_changed AFTER UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION userbase_notify_key_change();
