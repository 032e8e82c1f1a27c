-- Plans that hold for any mix of project sizes, and an index for substring filters.
--
-- Many projects share `users`. PostgreSQL keeps list statements prepared and, after five runs, may plan them once
-- for every project ("generic plan"), estimating a project's share of the table as 1 / (projects seen by
-- ANALYZE). With one large project that share looks like half the table, and a page of 20 for a small project
-- was planned as a walk of every project's rows by id. Saying there are many projects makes the generic plan
-- use the project's own index (users_project_page_idx, users_project_*_sort_idx) for every project. Plans for
-- one named project still use the real counts ANALYZE finds for it.
ALTER TABLE users ALTER COLUMN project_id SET (n_distinct = 100);

-- Substring filters (`co`, `sw`, `ew`) on the email and the names can be served by a trigram (pg_trgm) index, but
-- it is not created here: every write of a user updates it (no update of an indexed table is HOT here), and with
-- it PostgreSQL creates measured ~10% slower and patches ~12% slower, with twice the p99 (bench/RESULTS.md).
-- Without it such filters scan the project's rows, within the query time bound and the turns for expensive
-- reads. A deployment that searches by substring more than it writes adds it by hand; its expressions are
-- exactly those the filter compiler writes (`sql/filter.rs`), so the planner can use it at once:
--
--   CREATE EXTENSION IF NOT EXISTS pg_trgm;
--   CREATE INDEX CONCURRENTLY users_text_trgm_idx ON users USING gin (
--       email_normalized gin_trgm_ops, lower(first_name) gin_trgm_ops, lower(last_name) gin_trgm_ops);
--
-- (`userbase` never drops it.) The extension needs the right to create it: a superuser, or pg_trgm trusted.
SELECT 1;
