//! SQLite: the embedded default. WAL mode; one writer connection (SQLite allows one writer at a time, so
//! writes queue in the pool instead of failing with "database is locked") and a pool of readers.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use crate::sql_store::{impl_sql_store, outside_transaction};
use crate::{OpenError, OpenOptions};

pub struct SqliteStore {
    /// When bulk inserts last refreshed planner statistics (unix seconds); see `bulk.rs`.
    analyzed_at: std::sync::atomic::AtomicI64,
    reader: SqlitePool,
    writer: SqlitePool,
    /// Where `insert_user` hands its record to the coalescing writer task (see `coalesce.rs`); `None` in
    /// that task's own handle on the pools.
    inserts: Option<crate::coalesce::InsertQueue>,
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
            .connect_with(connect.read_only(true))
            .await
            .map_err(OpenError::Connect)?;
        let worker =
            Self { analyzed_at: Default::default(), reader: reader.clone(), writer: writer.clone(), inserts: None };
        let inserts = Some(crate::coalesce::spawn(worker));
        Ok(Self { analyzed_at: Default::default(), reader, writer, inserts })
    }

    fn insert_queue(&self) -> Option<&crate::coalesce::InsertQueue> {
        self.inserts.as_ref()
    }

    /// `BEGIN IMMEDIATE` takes the write lock up front, so that two processes on one file wait for each
    /// other (busy timeout) instead of failing on a lock upgrade.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }
}

impl_sql_store!(SqliteStore, Sqlite, crate::filter_sql::Flavor::Sqlite);
