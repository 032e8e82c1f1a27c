//! SQLite through rusqlite, on the calling task's thread. sqlx runs every SQLite connection on a thread of
//! its own and hands each statement and each row across; on two cores those thread switches were over half
//! of the CPU time of a read (bench/RESULTS.md). Here a read borrows an idle connection and runs at once; a
//! write waits (asynchronously) for the one writer connection and then runs the whole job at once, so no
//! transaction ever spans an `.await` and a cancelled request cannot leave one open.
//!
//! A thread of its own copies the WAL back into the database file (checkpoints), off the writer's path.
//!
//! This file holds the connections (one writer, idle readers) and the helpers every module uses; the store
//! itself is `store.rs`, and every resource has its module here. They share the SQL text, rows and write
//! values of `sql/` with the PostgreSQL store.

mod addresses;
mod attributes;
mod changes;
mod erasure;
mod idempotency;
mod keys;
mod organizations;
mod pricing;
mod projects;
mod records;
mod rows;
mod store;
mod trigrams;
pub(crate) mod users;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;
use userbase_core::store::StoreError;

use crate::sql::violation::{of_sqlite_message, Violation};
pub use store::SqliteStore;

/// Statements kept prepared per connection (the fixed ones and the common list shapes).
const STATEMENT_CACHE: usize = 64;

pub struct Lite {
    path: PathBuf,
    readers: Mutex<Vec<Reader>>,
    /// How long one read may run (`None`: without bound); see `Reader`.
    read_bound: Option<Duration>,
    /// The zero of the readers' deadlines.
    epoch: Instant,
    idle_readers: usize,
    writer: tokio::sync::Mutex<Connection>,
    /// Writes waiting for the writer; whoever gets it runs them all in one transaction (see `write`).
    queued: Mutex<Vec<Box<dyn QueuedWrite>>>,
    /// Commits so far, so that the checkpoint thread sleeps while nothing is written.
    commits: Arc<AtomicU64>,
    /// Dropped with the store, which ends the checkpoint thread.
    _stop_checkpoints: std::sync::mpsc::Sender<()>,
}

/// Virtual-machine steps between two looks at a read's deadline: a few tens of microseconds of work, so a look
/// (a clock read) costs nothing measurable and a read stops within a fraction of a millisecond of its deadline.
const STEPS_PER_DEADLINE_CHECK: i32 = 4_000;

/// A reader connection and the deadline of the read it runs (microseconds after `Lite::epoch`, 0 for none).
/// SQLite calls the connection's progress handler every `STEPS_PER_DEADLINE_CHECK` steps; once the deadline
/// has passed it answers true, which interrupts the statement (`SQLITE_INTERRUPT`, mapped to
/// `StoreError::Timeout`). The writer has no such bound: its jobs are single-row writes and imports whose
/// time grows with their size, not with a client's filter, and cutting one would fail the whole group commit.
struct Reader {
    conn: Connection,
    deadline: Arc<AtomicU64>,
}

fn micros_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// How often the checkpoint thread copies committed pages from the WAL back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(20);

/// Rows of each index an ANALYZE samples (`PRAGMA analysis_limit`).
const ANALYSIS_ROWS: i64 = 1000;

/// WAL size (pages) at which the writer checkpoints by itself (SQLite's default is 1,000).
const WRITER_CHECKPOINT_PAGES: u32 = 16_000;

/// Passive checkpoints (they never block readers or the writer) until the store is dropped. Done by the
/// writer at commit time, as SQLite does by default, they took a tenth of a write's time, and the writer is
/// the one thing SQLite cannot run twice.
fn checkpoint_until(conn: Connection, commits: &AtomicU64, stop: std::sync::mpsc::Receiver<()>) {
    let mut done = 0;
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        let now = commits.load(Ordering::Relaxed);
        if now == done {
            continue;
        }
        done = now;
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "checkpoint failed");
        }
    }
}

impl Lite {
    /// Opens the writer on an existing, migrated database file; readers open on first use, and up to
    /// `idle_readers` stay open between reads (a read never waits for one: it opens another).
    pub fn open(
        path: &Path,
        idle_readers: usize,
        read_bound: Option<Duration>,
        writer_cache_mib: u32,
    ) -> rusqlite::Result<Self> {
        let writer = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&writer)?;
        // NORMAL is durable in WAL mode except for the last commits before a power loss.
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoints run on a thread of their own (below), off the writer's path; the writer checkpoints
        // only if that thread falls far behind.
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
        // The writer's page cache (SQLite's default is 2 MiB). Every user insert descends about a dozen indexes
        // at random places (ids, emails, names); once a project's indexes outgrow the cache each descent reads
        // its pages again through the WAL index and the file, and a million-user import slowed down to half its
        // speed (bench/RESULTS.md). Readers keep the default: a read touches few pages. A negative size is in
        // KiB; pages are cached as they are touched, so this bounds the writer's memory rather than reserving it.
        writer.pragma_update(None, "cache_size", -(i64::from(writer_cache_mib) * 1024))?;
        let checkpointer = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&checkpointer)?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let commits = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&commits);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_until(checkpointer, &seen, stopped))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Self {
            path: path.to_owned(),
            readers: Mutex::new(Vec::new()),
            read_bound,
            epoch: Instant::now(),
            idle_readers,
            writer: tokio::sync::Mutex::new(writer),
            queued: Mutex::new(Vec::new()),
            commits,
            _stop_checkpoints: stop,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_reader(&self) -> rusqlite::Result<Reader> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&conn)?;
        let deadline = Arc::new(AtomicU64::new(0));
        // Installed even without a read bound: a count budget (`read_budgeted`) bounds reads too.
        let (epoch, due) = (self.epoch, Arc::clone(&deadline));
        conn.progress_handler(
            STEPS_PER_DEADLINE_CHECK,
            Some(move || {
                let due = due.load(Ordering::Relaxed);
                due != 0 && micros_since(epoch) > due
            }),
        );
        Ok(Reader { conn, deadline })
    }

    /// Runs `job` on an idle reader (WAL: readers never wait for the writer or each other), within the read
    /// time bound.
    pub fn read<T>(&self, job: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.read_within(None, |conn, _| job(conn))
    }

    /// Like `read_long`, with the read bounded by `budget` at first (when that is shorter than the read bound);
    /// `job` may call the function it gets to extend the read to the whole read bound, counted from its start
    /// (to do something cheaper once the budget ran out).
    pub fn read_budgeted<T>(
        &self,
        budget: Duration,
        job: impl FnOnce(&Connection, &dyn Fn()) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if multi_threaded() {
            tokio::task::block_in_place(|| self.read_within(Some(budget), job))
        } else {
            self.read_within(Some(budget), job)
        }
    }

    fn read_within<T>(
        &self,
        budget: Option<Duration>,
        job: impl FnOnce(&Connection, &dyn Fn()) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = lock(&self.readers).pop();
        let reader = match idle {
            Some(reader) => reader,
            None => self.open_reader().map_err(store_error)?,
        };
        let start = micros_since(self.epoch);
        let due = |bound: Option<Duration>| match bound {
            Some(bound) => start.saturating_add(u64::try_from(bound.as_micros()).unwrap_or(u64::MAX)).max(1),
            None => 0,
        };
        let first = match (budget, self.read_bound) {
            (Some(budget), Some(bound)) => Some(budget.min(bound)),
            (budget, bound) => budget.or(bound),
        };
        reader.deadline.store(due(first), Ordering::Relaxed);
        let extend = || reader.deadline.store(due(self.read_bound), Ordering::Relaxed);
        let result = job(&reader.conn, &extend);
        reader.deadline.store(0, Ordering::Relaxed);
        let mut readers = lock(&self.readers);
        if readers.len() < self.idle_readers {
            readers.push(reader);
        }
        result
    }

    /// Like `read`, for a query that may scan (a count, an arbitrary filter): on a multi-threaded runtime the
    /// worker thread is handed over to other tasks meanwhile.
    pub fn read_long<T>(&self, job: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        if multi_threaded() {
            tokio::task::block_in_place(|| self.read(job))
        } else {
            self.read(job)
        }
    }

    /// Runs `job` atomically (in a savepoint) inside a transaction shared with the other writes waiting at the
    /// time (group commit): each commit appends every changed page to the WAL once, so a batch of inserts
    /// touching the same table and index pages costs little more than one. A job's error undoes only that
    /// job; a failed commit fails them all.
    pub async fn write<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, mut answer) = oneshot::channel();
        lock(&self.queued).push(Box::new(Queued { job, reply }));
        tokio::select! {
            biased;
            // Another writer already ran it.
            answer = &mut answer => return answer.unwrap_or_else(|_| Err(writer_gone())),
            conn = self.writer.lock() => self.run_queued(&conn),
        }
        answer.await.unwrap_or_else(|_| Err(writer_gone()))
    }

    /// Runs every queued write in one transaction (the caller holds the writer).
    fn run_queued(&self, conn: &Connection) {
        let jobs: Vec<Box<dyn QueuedWrite>> =
            std::mem::take(&mut *lock(&self.queued)).into_iter().filter(|job| job.wanted()).collect();
        if jobs.is_empty() {
            return;
        }
        if !conn.is_autocommit() {
            // Only a panic inside an earlier job can leave a transaction open; undo it.
            let _ = conn.execute_batch("ROLLBACK");
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let message = e.to_string();
            for job in jobs {
                job.fail(&message);
            }
            return;
        }
        let ran: Vec<Box<dyn RanWrite>> = jobs.into_iter().map(|job| job.run(conn)).collect();
        // The users these jobs created go into the trigram tables together (migration 0014).
        let committed = trigrams::flush(conn).and_then(|()| conn.execute_batch("COMMIT"));
        match committed {
            Ok(()) => {
                self.commits.fetch_add(1, Ordering::Relaxed);
                ran.into_iter().for_each(|job| job.finish(None));
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                let message = e.to_string();
                ran.into_iter().for_each(|job| job.finish(Some(&message)));
            }
        }
    }

    /// Runs `job` alone on the writer, for work that may take long and opens its own transaction (a bulk
    /// import): on a multi-threaded runtime the worker thread is handed over to other tasks meanwhile.
    pub async fn write_long<T>(
        &self,
        job: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.writer.lock().await;
        self.run_queued(&conn);
        let result = if multi_threaded() { tokio::task::block_in_place(|| job(&mut conn)) } else { job(&mut conn) };
        self.commits.fetch_add(1, Ordering::Relaxed);
        result
    }
}

/// Whether `block_in_place` may be used (it panics on a current-thread runtime).
fn multi_threaded() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn writer_gone() -> StoreError {
    StoreError::Backend("the write was dropped before it ran".into())
}

/// A write waiting in the queue, with the channel its caller waits on.
struct Queued<F, T> {
    job: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

trait QueuedWrite: Send {
    /// Whether its caller still waits (a cancelled request's write is not run).
    fn wanted(&self) -> bool;
    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn RanWrite>;
    fn fail(self: Box<Self>, message: &str);
}

/// A write that ran inside the open transaction; its answer goes out once the commit is known.
trait RanWrite {
    fn finish(self: Box<Self>, commit_error: Option<&str>);
}

impl<F, T> QueuedWrite for Queued<F, T>
where
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    fn wanted(&self) -> bool {
        !self.reply.is_closed()
    }

    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn RanWrite> {
        let result = match conn.execute_batch("SAVEPOINT job") {
            Ok(()) => {
                let result = (self.job)(conn);
                let end = if result.is_ok() { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
                match conn.execute_batch(end) {
                    Ok(()) => result,
                    Err(e) => Err(store_error(e)),
                }
            }
            Err(e) => Err(store_error(e)),
        };
        Box::new(Ran { result, reply: self.reply })
    }

    fn fail(self: Box<Self>, message: &str) {
        let _ = self.reply.send(Err(StoreError::Backend(message.to_owned())));
    }
}

/// Runs `f` in a savepoint inside the current transaction (a job of many items, each of which may fail alone):
/// an error undoes what `f` wrote and is returned.
pub(crate) fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch("SAVEPOINT item").map_err(store_error)?;
    let result = f(conn);
    let end = if result.is_ok() { "RELEASE item" } else { "ROLLBACK TO item; RELEASE item" };
    conn.execute_batch(end).map_err(store_error)?;
    result
}

struct Ran<T> {
    result: Result<T, StoreError>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T> RanWrite for Ran<T> {
    fn finish(self: Box<Self>, commit_error: Option<&str>) {
        let answer = match (commit_error, self.result) {
            (Some(message), Ok(_)) => Err(StoreError::Backend(message.to_owned())),
            (_, result) => result,
        };
        let _ = self.reply.send(answer);
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // ANALYZE reads a sample of each index rather than all of it: statistics as good for the planner's choices,
    // without holding the writer for seconds on a project of millions of users.
    conn.pragma_update(None, "analysis_limit", ANALYSIS_ROWS)?;
    // Each connection reads the trigram tables (migration 0013) once here, at the top level. A connection that
    // first met them inside the users triggers, while preparing again after another connection changed the
    // schema (an `ANALYZE` by `userbase import`, a migration), failed with "no such table: users".
    for (table, _) in crate::sql::substring::TRIGRAM_TABLES {
        conn.query_row(&format!("SELECT count(*) FROM {table} WHERE rowid = 0"), [], |_| Ok(()))?;
    }
    Ok(())
}

/// Stored rows as domain values.
pub fn rows_of<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}

/// Every row of a query, decoded.
pub fn query_all<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(store_error)?;
    let rows = stmt.query_map(params, decode).map_err(store_error)?;
    rows.collect::<Result<Vec<T>, _>>().map_err(store_error)
}

/// The first row of a query, decoded, if there is one.
pub fn query_opt<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>, StoreError> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(sql).and_then(|mut stmt| stmt.query_row(params, decode).optional()).map_err(store_error)
}

/// Runs a statement; the number of rows it changed.
pub fn execute(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
    conn.prepare_cached(sql).and_then(|mut stmt| stmt.execute(params)).map_err(store_error)
}

/// The uniqueness rule an error broke, if any.
pub fn violation(e: &rusqlite::Error) -> Option<Violation> {
    match e {
        rusqlite::Error::SqliteFailure(err, Some(message)) if err.code == rusqlite::ErrorCode::ConstraintViolation => {
            of_sqlite_message(message)
        }
        _ => None,
    }
}

/// Maps a database error to the store's error: known uniqueness violations become conflicts.
pub fn store_error(e: rusqlite::Error) -> StoreError {
    // Only a reader's progress handler interrupts statements (`Reader`).
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) {
        return StoreError::Timeout;
    }
    // SQLite does not say which foreign key failed; nearly every row here hangs off a user, which an erase
    // between the service's read and this write removes.
    if let rusqlite::Error::SqliteFailure(failure, _) = &e {
        if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY {
            return StoreError::Gone("user");
        }
    }
    match violation(&e) {
        Some(Violation::Conflict(c)) => StoreError::Conflict(c),
        _ => StoreError::Backend(e.to_string()),
    }
}

/// SQL written with PostgreSQL's `$N` placeholders, as SQLite's numbered `?N` (SQLite reads `$N` as a name,
/// numbered by first appearance, which would bind out of order).
pub fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn dollar_placeholders_become_numbered_question_marks() {
        assert_eq!(super::numbered("a = $12 AND b = $1, '$'"), "a = ?12 AND b = ?1, '$'");
    }
}
