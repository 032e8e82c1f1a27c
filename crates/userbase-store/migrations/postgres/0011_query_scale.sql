-- Queries that stay fast at any project size (issue 21): indexes for the equalities the filter language
-- offers that had none, a maintained count of each project's users, and the trigram index for substring filters.

-- `status eq` in the default (id) order.
CREATE INDEX users_project_status_idx ON users (project_id, status, id);

-- `auth_subject eq` compares case-insensitively, like every text attribute of the filter language. Only users
-- with a subject have an entry, so the index costs nothing for the others.
CREATE INDEX users_project_auth_subject_lower_idx ON users (project_id, lower(auth_subject))
    WHERE auth_subject IS NOT NULL;

-- The number of users of each project (`include=total` without a filter): live users and all users (with
-- `include_deleted`). A project's count is the sum of its rows. Each connection adds to a slot of its own
-- (its backend pid modulo 8), so concurrent creates in one project do not queue behind one row; a slot alone may
-- go negative (a user created through one connection and purged through another), the sum never does.
-- Kept by triggers, in the transaction of every insert, soft delete, restore, erase, purge and delete, whatever
-- the code path; inserts and deletes are counted once per statement (transition tables), so a bulk import of
-- 1,000 users updates one row.
CREATE TABLE user_counts (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    slot        SMALLINT NOT NULL,
    live        BIGINT NOT NULL DEFAULT 0,
    total       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, slot)
);

INSERT INTO user_counts (project_id, slot, live, total)
SELECT project_id, 0, count(*) FILTER (WHERE deleted_at IS NULL), count(*) FROM users GROUP BY project_id;

-- Inserts: one upsert per statement, of the inserted rows grouped by project (a bulk import of 1,000 users
-- updates one row). Projects in id order, so that two transactions touching the same projects lock their rows
-- in the same order. Written out rather than through `user_counts_add` below: this runs for every create, and
-- the leaner form measured ~30% more single-row inserts per second (bench/RESULTS.md).
CREATE FUNCTION user_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_counts AS c (project_id, slot, live, total)
    SELECT project_id, pg_backend_pid() % 8, count(*) FILTER (WHERE deleted_at IS NULL), count(*)
    FROM inserted GROUP BY project_id ORDER BY project_id
    ON CONFLICT (project_id, slot) DO UPDATE SET live = c.live + EXCLUDED.live, total = c.total + EXCLUDED.total;
    RETURN NULL;
END $$;

-- Adds `live` and `total` per project (deletes, soft deletes, restores); rows of a project being deleted (its
-- users go by cascade) are skipped.
CREATE FUNCTION user_counts_add(changes user_counts[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO user_counts AS c (project_id, slot, live, total)
    SELECT ch.project_id, pg_backend_pid() % 8, ch.live, ch.total
    FROM unnest(changes) ch
    WHERE EXISTS (SELECT 1 FROM projects p WHERE p.id = ch.project_id)
    ORDER BY ch.project_id
    ON CONFLICT (project_id, slot) DO UPDATE SET live = c.live + EXCLUDED.live, total = c.total + EXCLUDED.total;
$$;

CREATE FUNCTION user_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM user_counts_add(ARRAY(
        SELECT ROW(project_id, 0, -count(*) FILTER (WHERE deleted_at IS NULL), -count(*))::user_counts
        FROM deleted GROUP BY project_id));
    RETURN NULL;
END $$;

-- A soft delete or a restore (one row at a time; the trigger's WHEN skips every other update).
CREATE FUNCTION user_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM user_counts_add(ARRAY[
        ROW(NEW.project_id, 0, CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END, 0)::user_counts]);
    RETURN NULL;
END $$;

CREATE TRIGGER users_counted_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION user_counts_inserted();
CREATE TRIGGER users_counted_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION user_counts_deleted();
CREATE TRIGGER users_counted_update AFTER UPDATE ON users
    FOR EACH ROW WHEN ((OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)) EXECUTE FUNCTION user_counts_updated();

-- Substring filters (`co`, `sw`, `ew`) on the email and the names, served by a trigram index (the expressions
-- are those the filter compiler writes, `sql/filter.rs`). It replaces the by-hand statements of 0006 (same
-- name, so an index added by hand is kept). pg_trgm ships with PostgreSQL, but creating it needs the right to:
-- a superuser, or a database owner where it is trusted (it is, since PostgreSQL 13). Without that right the
-- migration goes on without the index and says so in a NOTICE; such filters then scan the project's rows
-- within the query time bound (README "Limits").
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm cannot be created here (%); substring filters will scan the project''s rows', SQLERRM;
        RETURN;
    END;
    CREATE INDEX IF NOT EXISTS users_text_trgm_idx ON users USING gin (
        email_normalized gin_trgm_ops, lower(first_name) gin_trgm_ops, lower(last_name) gin_trgm_ops);
END $$;
