//! User records (orders, payment methods, subscriptions) on PostgreSQL. The SQL text, rows and filter are
//! `sql/records.rs`.

use userbase_core::ids::ProjectId;
use userbase_core::page::{Page, PageRequest};
use userbase_core::record::{RecordFilter, RecordKind, UserRecord};
use userbase_core::store::{RecordStore, StoreError};

use crate::pg::{store_error, PgStore};
use crate::sql::records as sql;
use crate::sql::records::RecordRow;
#[async_trait::async_trait]
impl RecordStore for PgStore {
    async fn insert_record(&self, r: &UserRecord) -> Result<UserRecord, StoreError> {
        let row = sql::insert_args(r)
            .into_iter()
            .fold(sqlx::query_as::<_, RecordRow>(&sql::INSERT_RECORD), |query, arg| query.bind(arg))
            .fetch_one(&self.writer)
            .await
            .map_err(store_error)?;
        row.try_into()
    }

    async fn find_record(
        &self,
        project: &ProjectId,
        user_id: i64,
        kind: RecordKind,
        public_id: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query_as::<_, RecordRow>(&sql::RECORD_BY_PUBLIC_ID)
            .bind(project.as_str())
            .bind(user_id)
            .bind(kind.as_str())
            .bind(public_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn update_record(&self, r: &UserRecord) -> Result<UserRecord, StoreError> {
        let row = sql::update_args(r)
            .into_iter()
            .fold(sqlx::query_as::<_, RecordRow>(&sql::UPDATE_RECORD), |query, arg| query.bind(arg))
            .fetch_optional(&self.writer)
            .await
            .map_err(store_error)?
            .ok_or(StoreError::VersionMismatch)?;
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
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT ");
        sql::push_record_page(&mut qb, project.as_str(), user_id, kind, filter, page);
        let rows = qb.build_query_as::<RecordRow>().fetch_all(&self.reader).await.map_err(store_error)?;
        sql::record_page(page, rows)
    }

    async fn count_records(
        &self,
        project: &ProjectId,
        user_id: i64,
        kind: RecordKind,
        filter: &RecordFilter,
    ) -> Result<u64, StoreError> {
        let mut count = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT COUNT(*) FROM user_records");
        sql::push_record_conditions(&mut count, project.as_str(), user_id, kind, filter);
        let (total,): (i64,) = count.build_query_as().fetch_one(&self.reader).await.map_err(store_error)?;
        Ok(total.max(0) as u64)
    }
}
