//! User record rows (orders, payment methods, subscriptions), their SQL and their list query, shared by both
//! stores.

use std::sync::LazyLock;

use sqlx::types::Json;
use userbase_core::ids::ProjectId;
use userbase_core::page::{Page, PageRequest, Position, SortField, SortKey};
use userbase_core::record::{RecordDateField, RecordFilter, RecordKind, UserRecord};
use userbase_core::store::StoreError;

use crate::sql::paging::push_offset;
use crate::sql::sink::{Arg, SqlSink};
use crate::sql::time::DbTime;

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

/// The values of `INSERT_RECORD`, as both stores bind them.
pub fn insert_args(r: &UserRecord) -> [Arg<'_>; 9] {
    [
        r.project_id.as_str().into(),
        r.user_id.into(),
        r.public_id.as_str().into(),
        r.kind.as_str().into(),
        r.status.as_str().into(),
        r.delivery_status.as_deref().into(),
        Arg::json(&r.details),
        DbTime(r.created_at).into(),
        DbTime(r.updated_at).into(),
    ]
}

/// The values of `UPDATE_RECORD`, as both stores bind them.
pub fn update_args(r: &UserRecord) -> [Arg<'_>; 8] {
    [
        r.project_id.as_str().into(),
        r.numeric_id.into(),
        r.status.as_str().into(),
        r.delivery_status.as_deref().into(),
        Arg::json(&r.details),
        DbTime(r.updated_at).into(),
        r.deleted_at.map(DbTime).into(),
        r.version.into(),
    ]
}

/// `SELECT <columns> FROM user_records WHERE ... ORDER BY ... LIMIT ... OFFSET ...` after `SELECT `.
/// A page of records after `SELECT `, in the order of the page's one timestamp sort key (newest first without
/// one), from its offset, with one row more than the limit (to learn whether more follow).
pub fn push_record_page<'a, S: SqlSink<'a>>(
    qb: &mut S,
    project: &'a str,
    user_id: i64,
    kind: RecordKind,
    filter: &'a RecordFilter,
    page: &PageRequest,
) {
    qb.push(RECORD_COLUMNS).push(" FROM user_records");
    push_record_conditions(qb, project, user_id, kind, filter);
    let (column, descending) = match page.sort.first() {
        Some(SortKey { field: SortField::UpdatedAt, descending }) => ("updated_at", *descending),
        Some(SortKey { descending, .. }) => ("created_at", *descending),
        None => ("created_at", true),
    };
    let dir = if descending { " DESC" } else { " ASC" };
    qb.push(format!(" ORDER BY {column}{dir}, id{dir}"));
    qb.push(" LIMIT ").push_bind(i64::from(page.limit) + 1);
    push_offset(qb, &page.position);
}

/// The page of `rows` (read by `push_record_page`, one more than the limit).
pub fn record_page(page: &PageRequest, mut rows: Vec<RecordRow>) -> Result<Page<UserRecord>, StoreError> {
    let more_after = rows.len() > page.limit as usize;
    rows.truncate(page.limit as usize);
    let records = rows.into_iter().map(TryInto::try_into).collect::<Result<Vec<_>, _>>()?;
    let offset = match page.position {
        Position::Offset(n) => n,
        _ => 0,
    };
    Ok(Page::at_offset(records, offset, more_after))
}

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
