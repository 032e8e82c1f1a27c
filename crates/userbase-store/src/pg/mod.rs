//! PostgreSQL: the production backend, through sqlx. One pool serves reads and writes; sqlx prepares and caches
//! each statement per connection. This file holds the store and its pools; each resource has its module
//! (`users`, `addresses`, `organizations`, `records`, `pricing`, `keys`, `projects`, `idempotency`), bulk
//! inserts are `bulk`, and group commit of single creates is `coalesce`. The SQL text and rows come from `sql/`.

mod addresses;
mod bulk;
mod changes;
mod coalesce;
mod idempotency;
mod keys;
mod organizations;
mod pricing;
mod projects;
mod records;
mod users;

use std::sync::atomic::AtomicI64;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction, TransactionManager};
use userbase_core::store::{Store, StoreError};

use crate::sql::violation::{classify, Violation};
use crate::{OpenError, OpenOptions, DEFAULT_PG_CONNECTIONS};
use coalesce::InsertQueue;

/// The PostgreSQL store.
pub struct PgStore {
    /// When bulk inserts last refreshed planner statistics (unix seconds); see `bulk.rs`.
    pub(crate) analyzed_at: AtomicI64,
    pub(crate) reader: PgPool,
    pub(crate) writer: PgPool,
    /// Where `insert_user` hands its record to the coalescing writer task (see `coalesce.rs`); `None` in
    /// that task's own handle on the pool.
    inserts: Option<InsertQueue>,
    /// Whether multi-row inserts of every size stay prepared. Only the writer task's handle says yes: it
    /// writes through one connection of its own, so each size is kept once, not once per pooled connection
    /// (each holds its SQL text and parameter list; kept on all 16 connections they added 13–17 MiB).
    pub(crate) prepare_every_size: bool,
}

impl PgStore {
    pub async fn open(url: &str, options: &OpenOptions) -> Result<Self, OpenError> {
        let pool_options = || {
            PgPoolOptions::new()
                .after_release(|conn, _| Box::pin(async move { Ok(outside_transaction::<Postgres>(conn)) }))
                // Connections are checked when released; a second check on every acquire costs a round trip per
                // query.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
        };
        let pool = pool_options()
            .max_connections(options.max_connections.unwrap_or(DEFAULT_PG_CONNECTIONS).max(1))
            .connect(url)
            .await
            .map_err(OpenError::Connect)?;
        // sqlx takes an advisory lock, so several servers starting at once migrate once.
        sqlx::migrate!("./migrations/postgres").run(&pool).await.map_err(OpenError::Migrate)?;
        // The writer task writes one batch at a time: one connection of its own serves it.
        let batch_writer = pool_options().max_connections(1).connect(url).await.map_err(OpenError::Connect)?;
        let worker = Self {
            analyzed_at: Default::default(),
            reader: pool.clone(),
            writer: batch_writer,
            inserts: None,
            prepare_every_size: true,
        };
        let inserts = Some(coalesce::spawn(worker));
        Ok(Self {
            analyzed_at: Default::default(),
            reader: pool.clone(),
            writer: pool,
            inserts,
            prepare_every_size: false,
        })
    }

    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.writer.begin().await
    }

    pub(crate) fn insert_queue(&self) -> Option<&InsertQueue> {
        self.inserts.as_ref()
    }
}

/// Whether a connection coming back to its pool is outside any transaction. One that is not (a request
/// cancelled between `BEGIN` and its end, e.g. by a client hanging up) is closed rather than reused: closing
/// rolls the transaction back, and reusing it would leave the next user of that connection inside it.
pub fn outside_transaction<DB: sqlx::Database>(conn: &DB::Connection) -> bool {
    let depth = <DB::TransactionManager as TransactionManager>::get_transaction_depth(conn);
    if depth != 0 {
        tracing::warn!(depth, "closing a connection released inside a transaction");
    }
    depth == 0
}

/// Maps a database error to the store's error: known uniqueness violations become conflicts.
pub fn store_error(e: sqlx::Error) -> StoreError {
    match classify(&e) {
        Some(Violation::Conflict(c)) => StoreError::Conflict(c),
        _ => StoreError::Backend(e.to_string()),
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await.map_err(store_error)?;
        Ok(())
    }
}
