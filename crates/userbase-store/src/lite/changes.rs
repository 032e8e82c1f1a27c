//! Key changes on SQLite, which has no LISTEN/NOTIFY: the triggers of migration 0005 bump the one-row
//! `change_marks` counter in the transaction of every revocation and project change; a task per following
//! process reads it every 100 ms (one row, on a read-only connection of its own) and reports `KeyChange::All`
//! when it moved.

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::mpsc;
use userbase_core::store::{KeyChange, KeyChanges};

/// How often the counter is read: a change reaches every process within this time (and a little more).
const POLL_EVERY: Duration = Duration::from_millis(100);

/// Starts the watching task on the database file at `path`.
pub fn follow(path: PathBuf) -> KeyChanges {
    let (changes, received) = mpsc::channel(16);
    tokio::spawn(watch(path, changes));
    received
}

/// Reads the counter until the receiver is dropped.
async fn watch(path: PathBuf, changes: mpsc::Sender<KeyChange>) {
    let mut conn: Option<Connection> = None;
    let mut seen: Option<i64> = None;
    let mut failing = false;
    let mut ticks = tokio::time::interval(POLL_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = changes.closed() => return,
            _ = ticks.tick() => {}
        }
        match read_counter(&mut conn, &path) {
            Ok(counter) => {
                failing = false;
                if seen.is_some_and(|seen| seen != counter) && changes.send(KeyChange::All).await.is_err() {
                    return;
                }
                seen = Some(counter);
            }
            Err(e) => {
                conn = None;
                if !failing {
                    tracing::warn!(error = %e, "cannot read the key change counter; retrying");
                }
                failing = true;
            }
        }
    }
}

fn read_counter(conn: &mut Option<Connection>, path: &PathBuf) -> rusqlite::Result<i64> {
    let conn = match conn {
        Some(conn) => conn,
        None => conn.insert(Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?),
    };
    conn.prepare_cached("SELECT counter FROM change_marks WHERE id = 1")?.query_row([], |row| row.get(0))
}
