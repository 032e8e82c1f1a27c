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
}

impl PgStore {
    pub async fn open(url: &str, options: &OpenOptions) -> Result<Self, OpenError> {
        let pool = PgPoolOptions::new()
            .after_release(|conn, _| Box::pin(async move { Ok(outside_transaction::<Postgres>(conn)) }))
            // Connections are checked when released; a second check on every acquire costs a round trip per query.
            .test_before_acquire(false)
            .max_connections(options.max_connections.unwrap_or(crate::DEFAULT_PG_CONNECTIONS).max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(OpenError::Connect)?;
        // sqlx takes an advisory lock, so several servers starting at once migrate once.
        sqlx::migrate!("./migrations/postgres").run(&pool).await.map_err(OpenError::Migrate)?;
        let worker =
            Self { analyzed_at: Default::default(), reader: pool.clone(), writer: pool.clone(), inserts: None };
        let inserts = Some(crate::coalesce::spawn(worker));
        Ok(Self { analyzed_at: Default::default(), reader: pool.clone(), writer: pool, inserts })
    }

    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.writer.begin().await
    }

    pub(crate) fn insert_queue(&self) -> Option<&crate::coalesce::InsertQueue> {
        self.inserts.as_ref()
    }
}
