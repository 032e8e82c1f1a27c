//! PostgreSQL: the production backend, through sqlx. One pool serves reads and writes; sqlx prepares and caches
//! each statement per connection. This file holds the store and its pools; each resource has its module
//! (`users`, `addresses`, `organizations`, `records`, `pricing`, `keys`, `projects`, `idempotency`), bulk
//! inserts are `bulk`, and group commit of single creates is `coalesce`. The SQL text and rows come from `sql/`.

mod addresses;
mod attributes;
mod bulk;
mod changes;
mod coalesce;
mod erasure;
mod idempotency;
mod keys;
mod organizations;
mod pricing;
mod projects;
mod records;
mod stats;
mod users;

use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::Arc;
use std::time::Duration;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Postgres, Transaction, TransactionManager};
use userbase_core::store::{Store, StoreError};

use crate::gate::ReadGate;
use crate::sql::violation::{classify, Violation};
use crate::{pg_read_turns, OpenError, OpenOptions, DEFAULT_PG_CONNECTIONS};
use coalesce::InsertQueue;

/// The PostgreSQL store.
pub struct PgStore {
    /// When planner statistics were last refreshed (unix seconds); see `stats.rs`.
    pub(crate) analyzed_at: Arc<AtomicI64>,
    pub(crate) reader: PgPool,
    pub(crate) writer: PgPool,
    /// Where `insert_user` hands its record to the coalescing writer task (see `coalesce.rs`); `None` in
    /// that task's own handle on the pool.
    inserts: Option<InsertQueue>,
    /// Whether multi-row inserts of every size stay prepared. Only the writer task's handle says yes: it
    /// writes through one connection of its own, so each size is kept once, not once per pooled connection
    /// (each holds its SQL text and parameter list; kept on all 16 connections they added 13–17 MiB).
    pub(crate) prepare_every_size: bool,
    /// Turns for reads that may scan a project (filtered lists, counts).
    pub(crate) gate: Arc<ReadGate>,
    /// Rows inserted since planner statistics were last refreshed (see `stats.rs`).
    pub(crate) inserted_since_analyze: Arc<AtomicU64>,
    /// How long a filtered total counts exactly before it estimates (`OpenOptions::count_budget`).
    pub(crate) count_budget: Option<Duration>,
    /// The query time bound (`OpenOptions::query_bound`), which an estimate after the budget stays within.
    pub(crate) query_bound: Option<Duration>,
    /// Opened for a bulk load (`OpenOptions::bulk_load`): statistics are refreshed once, at its end.
    pub(crate) bulk_load: bool,
}

impl PgStore {
    pub async fn open(url: &str, options: &OpenOptions) -> Result<Self, OpenError> {
        let connect = PgConnectOptions::from_str(url).map_err(OpenError::Connect)?;
        // Migrations (index builds on a large table) must not be cut by the query time bound: they run first, on
        // a connection without it. sqlx takes an advisory lock, so several servers starting at once migrate once.
        let mut migrator = connect.connect().await.map_err(OpenError::Connect)?;
        sqlx::migrate!("./migrations/postgres").run(&mut migrator).await.map_err(OpenError::Migrate)?;
        migrator.close().await.map_err(OpenError::Connect)?;
        // Every statement of the pool is bounded; set in the startup packet, it costs no round trip. A write cut
        // by it rolls back whole (a statement, or the transaction it is in), so nothing is half written.
        let connect = match options.query_bound() {
            Some(bound) => connect.options([("statement_timeout", bound.as_millis().to_string())]),
            None => connect,
        };
        // No JIT compilation: it pays off for analytical queries of seconds, not for these. A count the planner
        // costs high (a filtered total of a large project) spent 150-400 ms compiling before it ran, and a
        // statement timeout cannot cut the compilation short (a count budget of 50 ms answered after 200 ms).
        let connect = connect.options([("jit", "off")]);
        let connect = if options.bulk_load { bulk_load_settings(connect) } else { connect };
        let pool_options = || {
            PgPoolOptions::new()
                .after_release(|conn, _| Box::pin(async move { Ok(outside_transaction::<Postgres>(conn)) }))
                // Connections are checked when released; a second check on every acquire costs a round trip per
                // query.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
        };
        let size = options.max_connections.unwrap_or(DEFAULT_PG_CONNECTIONS).max(1);
        let pool =
            pool_options().max_connections(size).connect_with(connect.clone()).await.map_err(OpenError::Connect)?;
        // The writer task writes one batch at a time: one connection of its own serves it.
        let batch_writer = pool_options().max_connections(1).connect_with(connect).await.map_err(OpenError::Connect)?;
        let (total, per_project) = pg_read_turns(size);
        let gate = Arc::new(ReadGate::new(total, per_project, options.query_bound()));
        let inserted_since_analyze = Arc::new(AtomicU64::new(0));
        let analyzed_at = Arc::new(AtomicI64::new(0));
        let worker = Self {
            analyzed_at: Arc::clone(&analyzed_at),
            reader: pool.clone(),
            writer: batch_writer,
            inserts: None,
            prepare_every_size: true,
            gate: Arc::clone(&gate),
            inserted_since_analyze: Arc::clone(&inserted_since_analyze),
            count_budget: options.count_budget(),
            query_bound: options.query_bound(),
            bulk_load: options.bulk_load,
        };
        let inserts = Some(coalesce::spawn(worker));
        let store = Self {
            analyzed_at,
            reader: pool.clone(),
            writer: pool,
            inserts,
            prepare_every_size: false,
            gate,
            inserted_since_analyze,
            count_budget: options.count_budget(),
            query_bound: options.query_bound(),
            bulk_load: options.bulk_load,
        };
        store.analyze_if_never_analyzed().await;
        Ok(store)
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
    // 57014 query_canceled: `statement_timeout` ran out (nothing else here cancels statements).
    if let Some(db) = e.as_database_error() {
        match db.code().as_deref() {
            Some("57014") => return StoreError::Timeout,
            // foreign_key_violation: the user or organization written for was removed meanwhile.
            Some("23503") => return StoreError::Gone(gone_resource(db.constraint())),
            _ => {}
        }
    }
    match classify(&e) {
        Some(Violation::Conflict(c)) => StoreError::Conflict(c),
        _ => StoreError::Backend(e.to_string()),
    }
}

/// What a foreign key names, from its constraint name (`memberships_organization_id_fkey`, `addresses_user_id_fkey`).
fn gone_resource(constraint: Option<&str>) -> &'static str {
    match constraint {
        Some(name) if name.contains("organization") => "organization",
        _ => "user",
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await.map_err(store_error)?;
        Ok(())
    }

    /// Moves what the load left in the trigram index's pending list into the index proper (see
    /// `bulk_load_settings`): a query through that index reads the whole pending list, so left there it would
    /// slow every substring filter until autovacuum came by (without pg_trgm, migration 0011, there is none).
    /// Then refreshes the planner statistics, which a bulk load leaves to its end (`stats.rs`).
    async fn finish_bulk_load(&self) -> Result<(), StoreError> {
        // Maintenance, not a query: the query time bound does not apply.
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        sqlx::query("SET LOCAL statement_timeout = 0").execute(&mut *tx).await.map_err(store_error)?;
        sqlx::query(MERGE_TRIGRAM_PENDING).execute(&mut *tx).await.map_err(store_error)?;
        sqlx::query(stats::ANALYZE_USERS).execute(&mut *tx).await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }
}

/// Merges the trigram index's pending list into the index (none without pg_trgm, migration 0011).
pub(crate) const MERGE_TRIGRAM_PENDING: &str = "SELECT gin_clean_pending_list(c.oid) FROM pg_class c \
    WHERE c.relname = 'users_text_trgm_idx' AND c.relnamespace = current_schema()::regnamespace";

/// Settings of a bulk load's connections. The trigram index (GIN) takes new entries into a pending list and
/// merges the list into the index when it outgrows `gin_pending_list_limit`, sorting it in `work_mem`; at the
/// defaults (4 MB each) it merged about every 5,000 users, and the merges were a third of an import's time
/// (300,000 users: 11,200 users/s, 16,600 with 64 MB, 17,900 without the index). Larger merges share the index
/// pages among more users. Set in the startup packet, so no round trip; `Store::finish_bulk_load` merges the
/// rest at the end. The server's own connections keep the defaults: a single create never pays for a large merge.
fn bulk_load_settings(connect: PgConnectOptions) -> PgConnectOptions {
    connect
        .options([("gin_pending_list_limit", "64MB"), ("work_mem", "64MB")])
        .log_slow_statements(log::LevelFilter::Warn, Duration::from_secs(30))
}
