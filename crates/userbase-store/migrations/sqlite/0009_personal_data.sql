-- Permanent erase and retention purge (README "Personal data"). Keys removed with their users are announced to
-- caching servers by the key-delete trigger of 0008.

-- The purge finds a project's users deleted longest ago without reading its live users; only deleted users
-- have an entry, so creating and updating live users costs nothing more.
CREATE INDEX users_project_deleted_idx ON users (project_id, deleted_at, id) WHERE deleted_at IS NOT NULL;
