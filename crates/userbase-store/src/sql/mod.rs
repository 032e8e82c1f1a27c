//! Everything both stores share, so that they cannot drift: the SQL text of each resource (written with
//! PostgreSQL's `$N` placeholders; `lite::numbered` rewrites them for SQLite), the stored rows and their
//! conversion into domain types, the one list of values each written table binds, the filter compiler, the
//! list query and page assembly, the constraint table, and the time codec. Nothing here names a store:
//! `pg/` and `lite/` build on this module, never the other way round.

pub mod addresses;
pub mod attributes;
pub mod erasure;
pub mod filter;
pub mod idempotency;
pub mod keys;
pub mod organizations;
pub mod paging;
pub mod pricing;
pub mod projects;
pub mod records;
pub mod rows;
pub mod sink;
pub mod substring;
pub mod time;
pub mod user_list;
pub mod users;
pub mod violation;

/// How often inserts refresh planner statistics. A filled table has none until the autovacuum daemon
/// (PostgreSQL) or anyone (SQLite) gets to it, and meanwhile the planner can plan a page of 20 as a sort of the
/// whole table; one `ANALYZE` a minute while users are added keeps the estimates in line (`pg/stats.rs`).
pub const ANALYZE_EVERY_SECONDS: i64 = 60;

/// Fewer rows inserted since the last refresh never trigger one (PostgreSQL counts across calls; SQLite's bulk
/// imports per call).
pub const ANALYZE_MIN_ROWS: usize = 200;
