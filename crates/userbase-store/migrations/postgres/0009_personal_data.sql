-- Permanent erase and retention purge (README "Personal data").

-- A key removed with its user must stop working on every server at once, as a revoked one does (0005).
CREATE FUNCTION userbase_notify_key_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('userbase_keys', 'key:' || OLD.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_notify_deleted AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION userbase_notify_key_removed();

-- The purge finds a project's users deleted longest ago without reading its live users; only deleted users
-- have an entry, so creating and updating live users costs nothing more.
CREATE INDEX users_project_deleted_idx ON users (project_id, deleted_at, id) WHERE deleted_at IS NOT NULL;
