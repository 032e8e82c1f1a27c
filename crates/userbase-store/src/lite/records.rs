//! User records (orders, payment methods, subscriptions) on SQLite (see `mod.rs`).

use std::sync::LazyLock;

use userbase_core::ids::ProjectId;
use userbase_core::page::{Page, PageRequest};
use userbase_core::record::{RecordFilter, RecordKind, UserRecord};
use userbase_core::store::{RecordStore, StoreError};

use super::rows;
use super::{numbered, query_opt, store_error};
use crate::sql::records::{
    self as sql, push_record_conditions, push_record_page, record_page, INSERT_RECORD, RECORD_BY_PUBLIC_ID,
    UPDATE_RECORD,
};
use crate::sql::sink::LiteQuery;
use crate::SqliteStore;

static INSERT: LazyLock<String> = LazyLock::new(|| numbered(&INSERT_RECORD));
static BY_PUBLIC_ID: LazyLock<String> = LazyLock::new(|| numbered(&RECORD_BY_PUBLIC_ID));
static UPDATE: LazyLock<String> = LazyLock::new(|| numbered(&UPDATE_RECORD));

#[async_trait::async_trait]
impl RecordStore for SqliteStore {
    async fn insert_record(&self, r: &UserRecord) -> Result<UserRecord, StoreError> {
        let r = r.clone();
        let row = self
            .lite
            .write(move |conn| {
                let params = rusqlite::params_from_iter(sql::insert_args(&r));
                query_opt(conn, &INSERT, params, rows::record)?
                    .ok_or_else(|| StoreError::Backend("an inserted record was not returned".into()))
            })
            .await?;
        row.try_into()
    }

    async fn find_record(
        &self,
        project: &ProjectId,
        user_id: i64,
        kind: RecordKind,
        public_id: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let params = rusqlite::params![project.as_str(), user_id, kind.as_str(), public_id];
        let row = self.lite.read(|conn| query_opt(conn, &BY_PUBLIC_ID, params, rows::record))?;
        row.map(TryInto::try_into).transpose()
    }

    async fn update_record(&self, r: &UserRecord) -> Result<UserRecord, StoreError> {
        let r = r.clone();
        let row = self
            .lite
            .write(move |conn| {
                let params = rusqlite::params_from_iter(sql::update_args(&r));
                query_opt(conn, &UPDATE, params, rows::record)?.ok_or(StoreError::VersionMismatch)
            })
            .await?;
        row.try_into()
    }

    async fn list_records(
        &self,
        project: &ProjectId,
        user_id: i64,
        kind: RecordKind,
        filter: &RecordFilter,
        page: &PageRequest,
    ) -> Result<Page<UserRecord>, StoreError> {
        let mut query = LiteQuery::new("SELECT ");
        push_record_page(&mut query, project.as_str(), user_id, kind, filter, page);
        let rows = self.lite.read(|conn| {
            let mut stmt = conn.prepare_cached(&query.sql).map_err(store_error)?;
            stmt.query_map(rusqlite::params_from_iter(query.args.iter()), rows::record)
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(store_error)
        })?;
        record_page(page, rows)
    }

    async fn count_records(
        &self,
        project: &ProjectId,
        user_id: i64,
        kind: RecordKind,
        filter: &RecordFilter,
    ) -> Result<u64, StoreError> {
        let mut count = LiteQuery::new("SELECT COUNT(*) FROM user_records");
        push_record_conditions(&mut count, project.as_str(), user_id, kind, filter);
        let total: i64 = self.lite.read(|conn| {
            conn.prepare_cached(&count.sql)
                .and_then(|mut s| s.query_row(rusqlite::params_from_iter(count.args.iter()), |r| r.get(0)))
                .map_err(store_error)
        })?;
        Ok(total.max(0) as u64)
    }
}
