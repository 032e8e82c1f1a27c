//! SQLite: the embedded default, in WAL mode. Users, keys and idempotency records go through rusqlite on the
//! calling thread (`lite/`); the other resources through sqlx, with one writer connection (SQLite allows one
//! writer at a time, so writes queue in the pool instead of failing with "database is locked") and a pool of
//! readers.

use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use crate::lite::Lite;
use crate::sql_store::{impl_sql_store, outside_transaction};
use crate::{OpenError, OpenOptions};

pub struct SqliteStore {
    /// When bulk inserts last refreshed planner statistics (unix seconds); see `bulk.rs`.
    analyzed_at: AtomicI64,
    reader: SqlitePool,
    writer: SqlitePool,
    pub(crate) lite: Lite,
}

impl SqliteStore {
    pub async fn open(url: &str, options: &OpenOptions) -> Result<Self, OpenError> {
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(OpenError::Connect)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable in WAL mode except for the last commits before a power loss.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .after_release(|conn, _| Box::pin(async move { Ok(outside_transaction::<Sqlite>(conn)) }))
            // Connections are checked when released; a second check on every acquire costs a round trip per query.
            .test_before_acquire(false)
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(connect.clone())
            .await
            .map_err(OpenError::Connect)?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await.map_err(OpenError::Migrate)?;
        let reader = SqlitePoolOptions::new()
            .after_release(|conn, _| Box::pin(async move { Ok(outside_transaction::<Sqlite>(conn)) }))
            // Connections are checked when released; a second check on every acquire costs a round trip per query.
            .test_before_acquire(false)
            .max_connections(options.max_connections.unwrap_or_else(crate::default_sqlite_readers).clamp(1, 64))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(connect.clone().read_only(true))
            .await
            .map_err(OpenError::Connect)?;
        let lite = Lite::open(connect.get_filename()).map_err(OpenError::Lite)?;
        Ok(Self { analyzed_at: Default::default(), reader, writer, lite })
    }

    /// `BEGIN IMMEDIATE` takes the write lock up front, so that two processes on one file wait for each
    /// other (busy timeout) instead of failing on a lock upgrade.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }

    /// Whether a bulk import should refresh planner statistics now (at most once per
    /// `bulk::ANALYZE_EVERY_SECONDS`); claims the turn when it says yes.
    pub(crate) fn analysis_due(&self) -> bool {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let last = self.analyzed_at.load(Ordering::Relaxed);
        now - last >= crate::bulk::ANALYZE_EVERY_SECONDS
            && self.analyzed_at.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}

impl_sql_store!(SqliteStore, Sqlite, crate::filter_sql::Flavor::Sqlite);
