//! The SQLite store: the embedded default, in WAL mode, through rusqlite on the calling thread (`mod.rs`). sqlx
//! only creates the file and runs the migrations when the store opens.

use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use userbase_core::store::{Store, StoreError};

use super::{query_opt, Lite};
use crate::gate::ReadGate;
use crate::sql::ANALYZE_EVERY_SECONDS;
use crate::{default_sqlite_readers, sqlite_read_turns, OpenError, OpenOptions};

/// The SQLite store.
pub struct SqliteStore {
    /// When bulk inserts last refreshed planner statistics (unix seconds); see `sql::ANALYZE_EVERY_SECONDS`.
    analyzed_at: AtomicI64,
    pub(crate) lite: Lite,
    /// Turns for reads that may scan a project (filtered lists, counts).
    pub(crate) gate: ReadGate,
    /// How long a filtered total counts exactly before it estimates (`OpenOptions::count_budget`).
    pub(crate) count_budget: Option<Duration>,
}

impl SqliteStore {
    pub async fn open(url: &str, options: &OpenOptions) -> Result<Self, OpenError> {
        // Each connection to an in-memory database would see a database of its own.
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(OpenError::InMemory);
        }
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(OpenError::Connect)?
            .create_if_missing(true)
            // WAL is a property of the file: set once here, it holds for every later connection.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let mut migrator = connect.connect().await.map_err(OpenError::Connect)?;
        sqlx::migrate!("./migrations/sqlite").run(&mut migrator).await.map_err(OpenError::Migrate)?;
        migrator.close().await.map_err(OpenError::Connect)?;
        let idle_readers = options.max_connections.unwrap_or_else(default_sqlite_readers).clamp(1, 64);
        let lite = Lite::open(
            connect.get_filename(),
            idle_readers as usize,
            options.query_bound(),
            options.sqlite_writer_cache_mib.unwrap_or(crate::DEFAULT_SQLITE_WRITER_CACHE_MIB),
        )
        .map_err(OpenError::Lite)?;
        // A connection that does not see the schema just migrated is not on the same database (in-memory).
        let migrated = lite
            .read(|conn| query_opt(conn, "SELECT 1 FROM sqlite_master WHERE name = 'users'", [], |_| Ok(())))
            .map_err(|_| OpenError::InMemory)?;
        if migrated.is_none() {
            return Err(OpenError::InMemory);
        }
        let (total, per_project) = sqlite_read_turns();
        let gate = ReadGate::new(total, per_project, options.query_bound());
        Ok(Self { analyzed_at: Default::default(), lite, gate, count_budget: options.count_budget() })
    }

    /// Whether a bulk import should refresh planner statistics now (at most once per
    /// `ANALYZE_EVERY_SECONDS`); claims the turn when it says yes.
    pub(crate) fn analysis_due(&self) -> bool {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let last = self.analyzed_at.load(Ordering::Relaxed);
        now - last >= ANALYZE_EVERY_SECONDS
            && self.analyzed_at.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.lite.read(|conn| query_opt(conn, "SELECT 1", [], |_| Ok(())).map(drop))
    }
}
