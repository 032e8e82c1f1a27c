-- Permanent erase and retention purge (README "Personal data").

-- A key removed with its user must stop working on every server at once, as a revoked one does (0005).
CREATE TRIGGER api_keys_mark_deleted AFTER DELETE ON api_keys
    FOR EACH ROW
BEGIN
    UPDATE change_marks SET counter = counter + 1 WHERE id = 1;
END;

-- The purge finds a project's users deleted longest ago without reading its live users; only deleted users
-- have an entry, so creating and updating live users costs nothing more.
CREATE INDEX users_project_deleted_idx ON users (project_id, deleted_at, id) WHERE deleted_at IS NOT NULL;
