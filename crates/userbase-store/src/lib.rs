//! userbase storage: the `Store` interface of `userbase-core` on SQLite (embedded default) and PostgreSQL.
//! The database URL's scheme picks the backend; both migrate their schema when opened.
//!
//! `sql/` holds what both stores share (SQL text, rows, write values, filters, paging, constraints, time);
//! `pg/` is the PostgreSQL store and `lite/` the SQLite store. Both build on `sql/`, never on each other.

mod gate;
mod lite;
mod pg;
pub mod query;
mod sql;

use std::sync::Arc;
use std::time::Duration;

use userbase_core::store::Store;

pub use lite::SqliteStore;
pub use pg::PgStore;

/// Connection settings that apply to either backend.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Upper bound of pooled connections (PostgreSQL) or of idle reader connections kept (SQLite, which has one
    /// writer);
    /// `None` picks the backend's default.
    pub max_connections: Option<u32>,
    /// How long one query may run (and an expensive read wait for its turn, see `gate.rs`) before it fails with
    /// `StoreError::Timeout`; `None`: `DEFAULT_QUERY_TIMEOUT`; zero: no bound.
    pub query_timeout: Option<Duration>,
    /// How long a filtered total may count exactly before it becomes an estimate (`Store::total_users`);
    /// `None`: `DEFAULT_COUNT_BUDGET`; zero: always exact.
    pub count_budget: Option<Duration>,
    /// SQLite only: the writer connection's page cache, in MiB; `None`: `DEFAULT_SQLITE_WRITER_CACHE_MIB`.
    /// Pages are cached as the writer touches them, so this bounds memory rather than reserving it.
    pub sqlite_writer_cache_mib: Option<u32>,
    /// The store is opened for a bulk load (`userbase import`): its connections trade memory for faster index
    /// maintenance, and `Store::finish_bulk_load` ends the load.
    pub bulk_load: bool,
}

impl OpenOptions {
    /// The query time bound these options give, `None` for none.
    pub fn query_bound(&self) -> Option<Duration> {
        Some(self.query_timeout.unwrap_or(DEFAULT_QUERY_TIMEOUT)).filter(|d| !d.is_zero())
    }

    /// The count budget these options give, `None` for none (always exact); never past the query bound.
    pub fn count_budget(&self) -> Option<Duration> {
        let budget = Some(self.count_budget.unwrap_or(DEFAULT_COUNT_BUDGET)).filter(|d| !d.is_zero())?;
        Some(self.query_bound().map_or(budget, |bound| budget.min(bound)))
    }
}

/// The default count budget: a filtered total the indexes serve finishes well within it; one that scans a
/// large project becomes an estimate in about this time plus a bounded sample.
pub const DEFAULT_COUNT_BUDGET: Duration = Duration::from_millis(50);

/// The SQLite writer's default page cache: enough for the indexes a bulk write touches in a project of some
/// hundred thousand users, while a server stays small. `userbase import` asks for more (bench/RESULTS.md).
pub const DEFAULT_SQLITE_WRITER_CACHE_MIB: u32 = 64;

/// The default query time bound: far above any list or lookup the indexes serve (milliseconds), short enough that
/// a client's pathological filter cannot hold a connection or a core for long.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// PostgreSQL's default pool size.
pub const DEFAULT_PG_CONNECTIONS: u32 = 16;

/// How many expensive reads (`gate.rs`) run at once on PostgreSQL, in total and for one project: half the pool
/// and a quarter of it, so at least half the connections always serve cheap requests and one project can never
/// hold every expensive turn.
pub fn pg_read_turns(pool: u32) -> (usize, usize) {
    let total = (pool as usize / 2).max(1);
    (total, total.div_ceil(2))
}

/// The same on SQLite, where an expensive read occupies a core rather than a connection: as many as there are
/// cores, half of them for one project, so the other cores stay free for cheap requests and other projects.
pub fn sqlite_read_turns() -> (usize, usize) {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores, cores.div_ceil(2))
}

/// How many idle SQLite readers stay open by default: twice the CPU count. Reads run on the calling thread,
/// so more than one per thread is never busy at once; each idle one keeps a page cache.
pub fn default_sqlite_readers() -> u32 {
    std::thread::available_parallelism().map_or(4, |n| 2 * n.get() as u32).clamp(2, 16)
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL (expected sqlite://PATH or postgres://...)")]
    UnsupportedUrl,
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot open the database: {0}")]
    Lite(#[source] rusqlite::Error),
    /// Every connection to an in-memory SQLite database sees a database of its own.
    #[error("SQLite needs a file (sqlite://PATH); in-memory databases are not supported")]
    InMemory,
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Opens (creating an SQLite file if needed) and migrates the database at `url`.
pub async fn open(url: &str, options: &OpenOptions) -> Result<Arc<dyn Store>, OpenError> {
    match Backend::of_url(url) {
        Some(Backend::Sqlite) => Ok(Arc::new(SqliteStore::open(url, options).await?)),
        Some(Backend::Postgres) => Ok(Arc::new(PgStore::open(url, options).await?)),
        None => Err(OpenError::UnsupportedUrl),
    }
}
