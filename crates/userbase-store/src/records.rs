//! User record rows (orders, payment methods, subscriptions) and SQL (shared with `lite/records.rs`), and the
//! PostgreSQL store of them.

use std::sync::LazyLock;

use sqlx::types::Json;
use userbase_core::ids::ProjectId;
use userbase_core::record::{RecordDateField, RecordFilter, RecordKind, UserRecord};
use userbase_core::store::StoreError;

use crate::db_time::DbTime;
use crate::sink::SqlSink;

pub const RECORD_COLUMNS: &str = "id, project_id, user_id, public_id, kind, status, delivery_status, details, \
    created_at, updated_at, deleted_at, version";

pub static INSERT_RECORD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO user_records (project_id, user_id, public_id, kind, status, delivery_status, details, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {RECORD_COLUMNS}"
    )
});
pub static RECORD_BY_PUBLIC_ID: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {RECORD_COLUMNS} FROM user_records WHERE project_id = $1 AND user_id = $2 AND kind = $3 \
         AND public_id = $4"
    )
});
/// `$8` is the expected version.
pub static UPDATE_RECORD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE user_records SET status = $3, delivery_status = $4, details = $5, updated_at = $6, \
         deleted_at = $7, version = version + 1 WHERE project_id = $1 AND id = $2 AND version = $8 \
         RETURNING {RECORD_COLUMNS}"
    )
});

#[derive(sqlx::FromRow)]
pub struct RecordRow {
    pub id: i64,
    pub project_id: String,
    pub user_id: i64,
    pub public_id: String,
    pub kind: String,
    pub status: String,
    pub delivery_status: Option<String>,
    pub details: Json<serde_json::Map<String, serde_json::Value>>,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub deleted_at: Option<DbTime>,
    pub version: i64,
}

impl TryFrom<RecordRow> for UserRecord {
    type Error = StoreError;

    fn try_from(r: RecordRow) -> Result<Self, StoreError> {
        Ok(UserRecord {
            numeric_id: r.id,
            public_id: r.public_id,
            project_id: ProjectId::from_stored(r.project_id),
            user_id: r.user_id,
            kind: RecordKind::parse(&r.kind).ok_or_else(|| StoreError::Backend("stored record kind".into()))?,
            status: r.status,
            delivery_status: r.delivery_status,
            details: r.details.0,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            deleted_at: r.deleted_at.map(|t| t.0),
            version: r.version,
        })
    }
}

pub fn date_column(field: RecordDateField) -> &'static str {
    match field {
        RecordDateField::Created => "created_at",
        RecordDateField::Updated => "updated_at",
    }
}

/// Appends the list conditions of a record filter.
pub fn push_record_conditions<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    user_id: i64,
    kind: RecordKind,
    filter: &'a RecordFilter,
) {
    qb.push(" WHERE project_id = ").push_bind(project);
    qb.push(" AND user_id = ").push_bind(user_id);
    qb.push(" AND kind = ").push_bind(kind.as_str());
    if !filter.include_deleted {
        qb.push(" AND deleted_at IS NULL");
    }
    for (column, values) in [("status", &filter.statuses), ("delivery_status", &filter.delivery_statuses)] {
        if !values.is_empty() {
            qb.push(format!(" AND {column} IN ("));
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    qb.push(", ");
                }
                qb.push_bind(v.as_str());
            }
            qb.push(")");
        }
    }
    let column = date_column(filter.date_field.unwrap_or(RecordDateField::Created));
    if let Some(from) = filter.from {
        qb.push(format!(" AND {column} >= ")).push_bind(DbTime(from));
    }
    if let Some(to) = filter.to {
        qb.push(format!(" AND {column} <= ")).push_bind(DbTime(to));
    }
}

impl crate::postgres::PgStore {
    async fn record_list(
        &self,
        project: &userbase_core::ids::ProjectId,
        user_id: i64,
        kind: userbase_core::record::RecordKind,
        filter: &userbase_core::record::RecordFilter,
        window: userbase_core::record::RecordWindow,
    ) -> Result<(Vec<userbase_core::record::UserRecord>, u64), userbase_core::store::StoreError> {
        use crate::sql_store::store_error;
        let mut count = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT COUNT(*) FROM user_records");
        crate::records::push_record_conditions(&mut count, project.as_str(), user_id, kind, filter);
        let (total,): (i64,) = count.build_query_as().fetch_one(&self.reader).await.map_err(store_error)?;
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT ");
        qb.push(crate::records::RECORD_COLUMNS).push(" FROM user_records");
        crate::records::push_record_conditions(&mut qb, project.as_str(), user_id, kind, filter);
        let dir = if window.descending { " DESC" } else { " ASC" };
        qb.push(format!(" ORDER BY {}{dir}, id{dir}", crate::records::date_column(window.sort)));
        qb.push(" LIMIT ").push_bind(i64::from(window.limit));
        qb.push(" OFFSET ").push_bind(i64::try_from(window.offset).unwrap_or(i64::MAX));
        let rows =
            qb.build_query_as::<crate::records::RecordRow>().fetch_all(&self.reader).await.map_err(store_error)?;
        let records = rows.into_iter().map(TryInto::try_into).collect::<Result<Vec<_>, _>>()?;
        Ok((records, total.max(0) as u64))
    }
}

#[async_trait::async_trait]
impl userbase_core::store::RecordStore for crate::postgres::PgStore {
    async fn insert_record(
        &self,
        r: &userbase_core::record::UserRecord,
    ) -> Result<userbase_core::record::UserRecord, userbase_core::store::StoreError> {
        let row = sqlx::query_as::<_, crate::records::RecordRow>(&crate::records::INSERT_RECORD)
            .bind(r.project_id.as_str())
            .bind(r.user_id)
            .bind(r.public_id.as_str())
            .bind(r.kind.as_str())
            .bind(r.status.as_str())
            .bind(r.delivery_status.as_deref())
            .bind(sqlx::types::Json(&r.details))
            .bind(crate::db_time::DbTime(r.created_at))
            .bind(crate::db_time::DbTime(r.updated_at))
            .fetch_one(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        row.try_into()
    }

    async fn find_record(
        &self,
        project: &userbase_core::ids::ProjectId,
        user_id: i64,
        kind: userbase_core::record::RecordKind,
        public_id: &str,
    ) -> Result<Option<userbase_core::record::UserRecord>, userbase_core::store::StoreError> {
        let row = sqlx::query_as::<_, crate::records::RecordRow>(&crate::records::RECORD_BY_PUBLIC_ID)
            .bind(project.as_str())
            .bind(user_id)
            .bind(kind.as_str())
            .bind(public_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(crate::sql_store::store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn update_record(
        &self,
        r: &userbase_core::record::UserRecord,
    ) -> Result<userbase_core::record::UserRecord, userbase_core::store::StoreError> {
        let row = sqlx::query_as::<_, crate::records::RecordRow>(&crate::records::UPDATE_RECORD)
            .bind(r.project_id.as_str())
            .bind(r.numeric_id)
            .bind(r.status.as_str())
            .bind(r.delivery_status.as_deref())
            .bind(sqlx::types::Json(&r.details))
            .bind(crate::db_time::DbTime(r.updated_at))
            .bind(r.deleted_at.map(crate::db_time::DbTime))
            .bind(r.version)
            .fetch_optional(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?
            .ok_or(userbase_core::store::StoreError::VersionMismatch)?;
        row.try_into()
    }

    async fn list_records(
        &self,
        project: &userbase_core::ids::ProjectId,
        user_id: i64,
        kind: userbase_core::record::RecordKind,
        filter: &userbase_core::record::RecordFilter,
        window: userbase_core::record::RecordWindow,
    ) -> Result<(Vec<userbase_core::record::UserRecord>, u64), userbase_core::store::StoreError> {
        self.record_list(project, user_id, kind, filter, window).await
    }
}
