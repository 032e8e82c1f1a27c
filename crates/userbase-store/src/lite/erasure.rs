//! Permanent erase and retention purge on SQLite. The statements are `sql/erasure.rs`; here the user set is
//! a JSON array. SQLite has one writer, so concurrent purgers (other servers, the CLI) take turns: a batch
//! selects and removes its users in one write, and the next one no longer finds them.

use std::sync::LazyLock;

use rusqlite::Connection;
use time::OffsetDateTime;
use userbase_core::api_key::KeyId;
use userbase_core::erasure::{Erased, ErasedCounts, ErasureStore};
use userbase_core::ids::ProjectId;
use userbase_core::organization::Membership;
use userbase_core::store::StoreError;

use super::{execute, numbered, query_all, query_opt, rows, rows_of};
use crate::sql::erasure::{self as sql, Statements, UserSet};
use crate::sql::time::DbTime;
use crate::SqliteStore;

static STATEMENTS: LazyLock<Statements> = LazyLock::new(|| {
    let s = Statements::new(&UserSet {
        ids: "IN (SELECT value FROM json_each($2))",
        public_ids: "(SELECT value AS public_id FROM json_each($2)) AS p",
        contains: |text, bytes| format!("instr({bytes}, CAST({text} AS BLOB)) > 0"),
        lock: "",
        skip_locked: "",
    });
    let n = |sql: String| numbered(&sql);
    Statements {
        select_user: n(s.select_user),
        select_due: n(s.select_due),
        addresses: n(s.addresses),
        memberships: n(s.memberships),
        pricing: n(s.pricing),
        external_refs: n(s.external_refs),
        attributes: n(s.attributes),
        records: n(s.records),
        keys: n(s.keys),
        idempotency: n(s.idempotency),
        users: n(s.users),
        count_purgeable: n(s.count_purgeable),
    }
});

static MEMBERSHIPS_OF_USER: LazyLock<String> = LazyLock::new(|| numbered(sql::MEMBERSHIPS_OF_USER));
static PURGE_EXPIRED_IDEMPOTENCY: LazyLock<String> = LazyLock::new(|| numbered(sql::PURGE_EXPIRED_IDEMPOTENCY));

/// Removes the users `ids` (with public ids `public_ids`) of the project and every row that refers to them,
/// inside the current write.
fn remove(conn: &Connection, project: &str, ids: &[i64], public_ids: &[String]) -> Result<Erased, StoreError> {
    let s = &*STATEMENTS;
    let ids = serde_json::to_string(ids).map_err(|e| StoreError::Backend(e.to_string()))?;
    let public_ids = serde_json::to_string(public_ids).map_err(|e| StoreError::Backend(e.to_string()))?;
    let by_users = rusqlite::params![project, ids];
    let count = |sql: &str| execute(conn, sql, by_users).map(|n| n as u64);
    let mut counts = ErasedCounts {
        addresses: count(&s.addresses)?,
        memberships: count(&s.memberships)?,
        pricing: count(&s.pricing)?,
        external_refs: count(&s.external_refs)?,
        attributes: count(&s.attributes)?,
        ..ErasedCounts::default()
    };
    let kinds: Vec<String> = query_all(conn, &s.records, by_users, |row| row.get(0))?;
    kinds.iter().for_each(|kind| sql::count_record(&mut counts, kind));
    let keys: Vec<String> = query_all(conn, &s.keys, by_users, |row| row.get(0))?;
    counts.keys = keys.len() as u64;
    counts.idempotency_records = execute(conn, &s.idempotency, rusqlite::params![project, public_ids])? as u64;
    counts.users = count(&s.users)?;
    Ok(Erased { counts, keys: keys.into_iter().map(KeyId::from_stored).collect() })
}

#[async_trait::async_trait]
impl ErasureStore for SqliteStore {
    async fn erase_user(&self, project: &ProjectId, user_id: i64) -> Result<Option<Erased>, StoreError> {
        let project = project.clone();
        self.lite
            .write(move |conn| {
                let p = project.as_str();
                let found = query_opt(conn, &STATEMENTS.select_user, rusqlite::params![p, user_id], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })?;
                let Some((id, public_id)) = found else { return Ok(None) };
                remove(conn, p, &[id], &[public_id]).map(Some)
            })
            .await
    }

    async fn purge_deleted_users(
        &self,
        project: &ProjectId,
        deleted_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Erased, StoreError> {
        let project = project.clone();
        self.lite
            .write(move |conn| {
                let p = project.as_str();
                let params = rusqlite::params![p, DbTime(deleted_before), i64::from(limit)];
                let due: Vec<(i64, String)> =
                    query_all(conn, &STATEMENTS.select_due, params, |row| Ok((row.get(0)?, row.get(1)?)))?;
                if due.is_empty() {
                    return Ok(Erased::default());
                }
                let (ids, public_ids): (Vec<i64>, Vec<String>) = due.into_iter().unzip();
                remove(conn, p, &ids, &public_ids)
            })
            .await
    }

    async fn count_purgeable(
        &self,
        project: &ProjectId,
        deleted_before: OffsetDateTime,
        idempotency_expired_before: OffsetDateTime,
    ) -> Result<ErasedCounts, StoreError> {
        let params = rusqlite::params![project.as_str(), DbTime(deleted_before), DbTime(idempotency_expired_before)];
        let counts = self.lite.read_long(|conn| {
            query_opt(conn, &STATEMENTS.count_purgeable, params, |row| {
                let mut counts = [0i64; 11];
                for (i, count) in counts.iter_mut().enumerate() {
                    *count = row.get(i)?;
                }
                Ok(counts)
            })
        })?;
        Ok(counts.map(sql::purgeable_counts).unwrap_or_default())
    }

    async fn memberships_of_user(&self, project: &ProjectId, user_id: i64) -> Result<Vec<Membership>, StoreError> {
        let params = rusqlite::params![project.as_str(), user_id];
        rows_of(self.lite.read(|conn| query_all(conn, &MEMBERSHIPS_OF_USER, params, rows::membership))?)
    }

    async fn purge_expired_idempotency_records(
        &self,
        project: &ProjectId,
        expired_before: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let project = project.clone();
        let done = self
            .lite
            .write(move |conn| {
                let params = rusqlite::params![project.as_str(), DbTime(expired_before), i64::from(limit)];
                execute(conn, &PURGE_EXPIRED_IDEMPOTENCY, params)
            })
            .await?;
        Ok(done as u64)
    }
}
