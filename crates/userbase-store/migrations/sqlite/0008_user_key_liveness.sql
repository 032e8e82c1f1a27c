-- A user-bound key works only while its user is live: key verification reads the key together with its user
-- (sql/keys.rs). Servers cache verified keys, so deleting or restoring a user that has keys bumps the change
-- counter of migration 0005, and so does a key row that goes away (its user or project removed for good),
-- inside the transaction that makes the change.
CREATE INDEX api_keys_user_idx ON api_keys (user_id) WHERE user_id IS NOT NULL;

CREATE TRIGGER users_mark_keys_liveness AFTER UPDATE OF deleted_at ON users
    FOR EACH ROW WHEN OLD.deleted_at IS NOT NEW.deleted_at
BEGIN
    UPDATE change_marks SET counter = counter + 1
    WHERE id = 1 AND EXISTS (SELECT 1 FROM api_keys WHERE user_id = NEW.id);
END;

CREATE TRIGGER api_keys_mark_deleted AFTER DELETE ON api_keys
    FOR EACH ROW
BEGIN
    UPDATE change_marks SET counter = counter + 1 WHERE id = 1;
END;
