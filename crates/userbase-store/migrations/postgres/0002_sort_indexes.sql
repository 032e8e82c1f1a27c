-- Indexes for the sortable user fields (v1 `sort`), each with the id tiebreak keyset pagination uses.
-- The expressions match the store's sort expressions exactly, so the planner can use them.
CREATE INDEX users_project_created_idx ON users (project_id, created_at, id);
CREATE INDEX users_project_updated_idx ON users (project_id, updated_at, id);
CREATE INDEX users_project_email_sort_idx ON users (project_id, (COALESCE(email_normalized, '')), id);
CREATE INDEX users_project_first_name_sort_idx ON users (project_id, (COALESCE(lower(first_name), '')), id);
CREATE INDEX users_project_last_name_sort_idx ON users (project_id, (COALESCE(lower(last_name), '')), id);
