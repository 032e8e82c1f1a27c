-- Queries that stay fast at any project size (issue 21): indexes for the equalities the filter language
-- offers that had none, and a maintained count of each project's users. (PostgreSQL's twin also creates a
-- trigram index; SQLite has none in its core, see README "Limits".)

-- `status eq` in the default (id) order.
CREATE INDEX users_project_status_idx ON users (project_id, status, id);

-- `auth_subject eq` compares case-insensitively, like every text attribute of the filter language. Only users
-- with a subject have an entry, so the index costs nothing for the others.
CREATE INDEX users_project_auth_subject_lower_idx ON users (project_id, lower(auth_subject))
    WHERE auth_subject IS NOT NULL;

-- The number of users of each project (`include=total` without a filter): live users and all users (with
-- `include_deleted`), as the sum of the project's rows (one slot here: SQLite has one writer; PostgreSQL's
-- twin has several). Kept by triggers, in the transaction of every insert, soft delete, restore, erase, purge
-- and delete, whatever the code path. When a project is deleted its rows go by cascade and the triggers of
-- its users' cascaded deletes update nothing.
CREATE TABLE user_counts (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    slot        INTEGER NOT NULL,
    live        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, slot)
) STRICT, WITHOUT ROWID;

-- Every project has its row from its creation on, so the triggers on users only ever update one row in place,
-- by primary key (no upsert, no check of the project per inserted user).
INSERT INTO user_counts (project_id, slot, live, total)
SELECT p.id, 0, COALESCE(SUM(u.deleted_at IS NULL), 0), COUNT(u.id)
FROM projects p LEFT JOIN users u ON u.project_id = p.id GROUP BY p.id;

CREATE TRIGGER projects_counted AFTER INSERT ON projects
BEGIN
    INSERT INTO user_counts (project_id, slot) VALUES (NEW.id, 0);
END;

CREATE TRIGGER users_counted_insert AFTER INSERT ON users
BEGIN
    UPDATE user_counts SET live = live + (NEW.deleted_at IS NULL), total = total + 1
    WHERE project_id = NEW.project_id AND slot = 0;
END;

CREATE TRIGGER users_counted_delete AFTER DELETE ON users
BEGIN
    UPDATE user_counts SET live = live - (OLD.deleted_at IS NULL), total = total - 1
    WHERE project_id = OLD.project_id AND slot = 0;
END;

-- A soft delete or a restore; every other update skips it.
CREATE TRIGGER users_counted_update AFTER UPDATE OF deleted_at ON users
    WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    UPDATE user_counts SET live = live + (CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    WHERE project_id = NEW.project_id AND slot = 0;
END;
