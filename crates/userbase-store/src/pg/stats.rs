//! Planner statistics for `users` and their external refs. A table filled by single creates has none until autovacuum's first pass
//! (a minute or more), and without them PostgreSQL guesses that a project has a handful of live users, so a page
//! of 20 was planned as a sort of every row of the project (60–90 ms on 130,000 rows instead of 0.1 ms). So the
//! store refreshes them itself: once the rows it inserted since its last refresh reach `ANALYZE_MIN_ROWS`, at
//! most every `ANALYZE_EVERY_SECONDS` (the first time at once), and at start-up when a filled table has none.
//! `ANALYZE` samples a bounded number of rows, so it costs milliseconds; it runs in a task of its own, off the
//! insert's path.
//!
//! Migration 0006 also tells the planner to expect many projects (`n_distinct` of `project_id`), so that a
//! generic plan (sqlx keeps statements prepared, and PostgreSQL switches to one plan for every project after five
//! runs) walks the project's own index instead of every project's rows by id.

use std::sync::atomic::Ordering;

use crate::pg::PgStore;
use crate::sql::{ANALYZE_EVERY_SECONDS, ANALYZE_MIN_ROWS};

/// The tables whose statistics the store refreshes: the users, and their external refs, which the refs'
/// lookups and filters search (a table without statistics is planned from guesses).
pub(crate) const ANALYZE_USERS: &str = "ANALYZE users, user_external_refs";

impl PgStore {
    /// Counts `rows` just inserted and starts a refresh when one is due. Not during a bulk load: a refresh a
    /// minute took 5% of the server's time at a million users, and `finish_bulk_load` refreshes once at the end.
    pub(crate) fn note_inserted(&self, rows: usize) {
        if self.bulk_load {
            return;
        }
        let pending = self.inserted_since_analyze.fetch_add(rows as u64, Ordering::Relaxed) + rows as u64;
        if pending < ANALYZE_MIN_ROWS as u64 {
            return;
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let last = self.analyzed_at.load(Ordering::Relaxed);
        if now - last < ANALYZE_EVERY_SECONDS
            || self.analyzed_at.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return;
        }
        self.inserted_since_analyze.store(0, Ordering::Relaxed);
        self.analyze_in_background();
    }

    /// At start-up: a table with rows but no statistics (never analyzed) gets them now.
    pub(crate) async fn analyze_if_never_analyzed(&self) {
        let unanalyzed = sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM users) AND NOT EXISTS \
             (SELECT 1 FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'users')",
        )
        .fetch_one(&self.reader)
        .await;
        if let Ok(true) = unanalyzed {
            self.analyze_in_background();
        }
    }

    fn analyze_in_background(&self) {
        let pool = self.reader.clone();
        tokio::spawn(async move {
            if let Err(e) = sqlx::query(ANALYZE_USERS).execute(&pool).await {
                tracing::warn!(error = %e, "could not refresh planner statistics");
            }
        });
    }
}
