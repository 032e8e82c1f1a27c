//! The trigram tables (migration 0013) for inserted users: an insert lists its user as pending, and the end of the
//! transaction writes every pending user to the three tables together (migration 0014 says why). The writer
//! calls `flush` before every commit of a transaction that may have inserted users.

use std::sync::LazyLock;

use rusqlite::Connection;

use crate::sql::substring::TRIGRAM_TABLES;

/// Per trigram table, the statement that adds the pending users that still exist. CROSS JOIN fixes the order:
/// the few pending ids first, each user by its id. The planner, without statistics for the pending list, walked
/// `users` instead (a create took four times as long).
static FLUSH: LazyLock<[String; 3]> = LazyLock::new(|| {
    TRIGRAM_TABLES.map(|(table, column)| {
        format!(
            "INSERT INTO {table} (rowid, {column}) \
             SELECT u.id, u.{column} FROM users_trigrams_pending p CROSS JOIN users u ON u.id = p.user_id"
        )
    })
});

/// Lists the users of this transaction from `first_id` on (every row from it is this transaction's: one writer,
/// ids ascending) as pending.
pub(crate) fn list_from(conn: &Connection, first_id: i64) -> rusqlite::Result<()> {
    const SQL: &str = "INSERT OR IGNORE INTO users_trigrams_pending (user_id) SELECT id FROM users WHERE id >= ?1";
    conn.prepare_cached(SQL)?.execute([first_id]).map(drop)
}

/// Writes the pending users that still exist to the trigram tables, with their values as they are now, and
/// empties the list. One statement per table whatever the number of users; nothing when none is pending.
pub(crate) fn flush(conn: &Connection) -> rusqlite::Result<()> {
    let pending: bool =
        conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM users_trigrams_pending)")?.query_row([], |r| r.get(0))?;
    if !pending {
        return Ok(());
    }
    for sql in FLUSH.iter() {
        conn.prepare_cached(sql)?.execute([])?;
    }
    conn.prepare_cached("DELETE FROM users_trigrams_pending")?.execute([]).map(drop)
}
