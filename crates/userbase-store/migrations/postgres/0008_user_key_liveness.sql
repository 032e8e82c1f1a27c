-- A user-bound key works only while its user is live: key verification reads the key together with its user
-- (sql/keys.rs). Servers cache verified keys, so deleting or restoring a user tells every server listening on
-- `userbase_keys` about each of the user's keys (`key:<key id>`), and so does a key row that goes away (its
-- user or project removed for good), from inside the transaction that makes the change.
CREATE INDEX api_keys_user_idx ON api_keys (user_id) WHERE user_id IS NOT NULL;

CREATE FUNCTION userbase_notify_user_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('userbase_keys', 'key:' || k.id) FROM api_keys k WHERE k.user_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_notify_keys_liveness AFTER UPDATE OF deleted_at ON users
    FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION userbase_notify_user_keys();

CREATE FUNCTION userbase_notify_key_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('userbase_keys', 'key:' || OLD.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_notify_deleted AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION userbase_notify_key_deleted();
