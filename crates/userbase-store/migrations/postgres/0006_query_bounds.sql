-- Plans that hold for any mix of project sizes, and an index for substring filters.
--
-- Many projects share `users`. PostgreSQL keeps list statements prepared and, after five runs, may plan them once
-- for every project ("generic plan"), estimating a project's share of the table as 1 / (projects seen by
-- ANALYZE). With one large project that share looks like half the table, and a page of 20 for a small project
-- was planned as a walk of every project's rows by id. Saying there are many projects makes the generic plan
-- use the project's own index (users_project_page_idx, users_project_*_sort_idx) for every project. Plans for
-- one named project still use the real counts ANALYZE finds for it.
ALTER TABLE users ALTER COLUMN project_id SET (n_distinct = 100);

-- Trigram (pg_trgm) index for `co`, `sw` and `ew` on the fields filtered that way most: email and the names.
-- Its expressions are exactly those the filter compiler writes (`sql/filter.rs`): the email is stored lowercased,
-- the others are compared as `lower(column)`. Creating the extension needs the right to (a superuser, or a
-- trusted extension on PostgreSQL 13+); where it is refused or not installed, the migration still succeeds
-- without the index: such filters then scan the project's rows, within the query time bound. Installed later,
-- the index can be added by hand with the statement below (`userbase` never drops it).
DO $$
DECLARE
    trgm_schema TEXT;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): substring filters will scan rows', SQLERRM;
    END;
    SELECT n.nspname INTO trgm_schema
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NOT NULL THEN
        EXECUTE format(
            'CREATE INDEX IF NOT EXISTS users_text_trgm_idx ON users USING gin ('
            'email_normalized %1$I.gin_trgm_ops, lower(first_name) %1$I.gin_trgm_ops, '
            'lower(last_name) %1$I.gin_trgm_ops, lower(full_name) %1$I.gin_trgm_ops, '
            'lower(company_name) %1$I.gin_trgm_ops)', trgm_schema);
    END IF;
END
$$;
