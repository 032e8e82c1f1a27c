//! User attributes (one opaque JSON document per user), shared by both stores.

/// The columns of an upsert, before `VALUES`; the `ON CONFLICT` clause follows the rows.
pub const UPSERT_COLUMNS: &str = "INSERT INTO user_attributes (user_id, project_id, attributes, updated_at) ";
pub const UPSERT_CONFLICT: &str =
    " ON CONFLICT (user_id) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at";
/// One row, for SQLite's prepared loop.
pub const UPSERT_ONE: &str = "INSERT INTO user_attributes (user_id, project_id, attributes, updated_at) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET attributes = excluded.attributes, \
    updated_at = excluded.updated_at";
pub const SELECT: &str = "SELECT attributes FROM user_attributes WHERE project_id = $1 AND user_id = $2";
