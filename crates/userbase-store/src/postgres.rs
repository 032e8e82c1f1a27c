//! PostgreSQL: the production backend. One pool serves reads and writes; sqlx prepares and caches each
//! statement per connection.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::sql_store::outside_transaction;
use crate::{OpenError, OpenOptions};

pub struct PgStore {
    /// When bulk inserts last refreshed planner statistics (unix seconds); see `bulk.rs`.
    pub(crate) analyzed_at: std::sync::atomic::AtomicI64,
    pub(crate) reader: PgPool,
    pub(crate) writer: PgPool,
    /// Where `insert_user` hands its record to the coalescing writer task (see `coalesce.rs`); `None` in
    /// that task's own handle on the pool.
    inserts: Option<crate::coalesce::InsertQueue>,
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
            .max_connections(options.max_connections.unwrap_or(crate::DEFAULT_PG_CONNECTIONS).max(1))
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
        let inserts = Some(crate::coalesce::spawn(worker));
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

    pub(crate) fn insert_queue(&self) -> Option<&crate::coalesce::InsertQueue> {
        self.inserts.as_ref()
    }
}
