//! `/v1/users/{id}/orders`, `/payment_methods`, `/subscriptions`: records a user owns, with status filters,
//! a date window, soft deletion and offset pages (these collections are small per user). The handlers here
//! serve all three; `collections` gives each collection its own documented operations and schemas.

mod collections;

pub use collections::{orders, payment_methods, subscriptions};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use userbase_core::page::{PageParams, PageStart, SortField, SortKey};
use userbase_core::patch::Patch;
use userbase_core::record::{RecordDateField, RecordFilter, RecordKind, UserRecord};
use userbase_core::services::RecordPatch;

use super::extract::{if_match, json_with_etag, Admin};
use super::users::user_key;
use super::Problem;
use crate::AppState;

/// An order, payment method or subscription of a user, as answered (each collection documents its own
/// schema in `collections`).
#[derive(Serialize)]
pub(super) struct RecordView<'a> {
    /// `order`, `payment_method` or `subscription`.
    object: &'static str,
    id: &'a str,
    user_id: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_status: Option<&'a str>,
    details: &'a serde_json::Map<String, serde_json::Value>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    deleted_at: Option<OffsetDateTime>,
}

pub(super) fn view<'a>(r: &'a UserRecord, user_id: &'a str) -> RecordView<'a> {
    RecordView {
        object: r.kind.as_str(),
        id: &r.public_id,
        user_id,
        status: &r.status,
        delivery_status: r.delivery_status.as_deref(),
        details: &r.details,
        created_at: r.created_at,
        updated_at: r.updated_at,
        deleted_at: r.deleted_at,
    }
}

/// The fields of a record to create or change (each collection documents its own schema in
/// `collections`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    status: Option<String>,
    #[serde(default)]
    delivery_status: Patch<String>,
    #[serde(default)]
    details: Option<serde_json::Map<String, serde_json::Value>>,
}

impl From<RecordInput> for RecordPatch {
    fn from(i: RecordInput) -> Self {
        RecordPatch { status: i.status, delivery_status: i.delivery_status, details: i.details.unwrap_or_default() }
    }
}

/// The list parameters of every record collection.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// Only these statuses (comma-separated).
    status: Option<String>,
    /// Orders only: these delivery statuses (comma-separated).
    delivery_status: Option<String>,
    /// RFC 3339: at or after this time (of `date_field`).
    from: Option<String>,
    /// RFC 3339: before this time (of `date_field`).
    to: Option<String>,
    /// `created_at` (default) or `updated_at`.
    date_field: Option<String>,
    /// Also list deleted records.
    include_deleted: Option<bool>,
    /// `created_at`, `updated_at`, with `-` for descending (default `-created_at`).
    sort: Option<String>,
    /// Page size, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// Records to skip.
    offset: Option<u64>,
}

/// A page of records.
#[derive(Serialize)]
struct RecordListView<'a> {
    object: &'static str,
    data: Vec<RecordView<'a>>,
    /// How many records match.
    total: u64,
    has_more: bool,
}

fn time_param(name: &str, value: &Option<String>) -> Result<Option<OffsetDateTime>, Problem> {
    value
        .as_deref()
        .map(|v| OffsetDateTime::parse(v, &Rfc3339))
        .transpose()
        .map_err(|_| Problem::invalid_param(name, "invalid_time", "An RFC 3339 timestamp."))
}

/// A sort on `created_at` or `updated_at`.
fn sort_key(value: &str, descending: bool) -> Result<SortKey, Problem> {
    let field = match date_field("sort", value)? {
        RecordDateField::Created => SortField::CreatedAt,
        RecordDateField::Updated => SortField::UpdatedAt,
    };
    Ok(SortKey { field, descending })
}

fn date_field(name: &str, value: &str) -> Result<RecordDateField, Problem> {
    match value {
        "created_at" => Ok(RecordDateField::Created),
        "updated_at" => Ok(RecordDateField::Updated),
        _ => Err(Problem::invalid_param(name, "invalid_field", "created_at or updated_at.")),
    }
}

fn statuses(kind: RecordKind, name: &str, value: &Option<String>, delivery: bool) -> Result<Vec<String>, Problem> {
    let Some(value) = value else { return Ok(Vec::new()) };
    value
        .split(',')
        .map(|s| {
            let s = s.trim();
            let check = if delivery { kind.check_delivery_status(s) } else { kind.check_status(name, s) };
            check.map(|_| s.to_owned()).map_err(|e| Problem::invalid_param(name, e.code, e.message))
        })
        .collect()
}

async fn list(
    state: AppState,
    Admin(p): Admin,
    kind: RecordKind,
    user_id: String,
    q: RecordQuery,
) -> Result<Response, Problem> {
    let user = user_key(&user_id)?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=200).contains(&limit) {
        return Err(Problem::invalid_param("limit", "out_of_range", "limit is 1 to 200."));
    }
    let sort = match q.sort.as_deref().unwrap_or("-created_at") {
        s if s.starts_with('-') => sort_key(&s[1..], true)?,
        s => sort_key(s, false)?,
    };
    let filter = RecordFilter {
        statuses: statuses(kind, "status", &q.status, false)?,
        delivery_statuses: statuses(kind, "delivery_status", &q.delivery_status, true)?,
        from: time_param("from", &q.from)?,
        to: time_param("to", &q.to)?,
        date_field: q.date_field.as_deref().map(|f| date_field("date_field", f)).transpose()?,
        include_deleted: q.include_deleted.unwrap_or(false),
    };
    let start = q.offset.map_or(PageStart::First, PageStart::Offset);
    let params = PageParams::first(limit).starting(start).sorted(vec![sort]).with_total(true);
    let page = state.records.list(&p.project, &user, kind, &filter, params).await?;
    let data: Vec<RecordView> = page.items.iter().map(|r| view(r, &user_id)).collect();
    let (total, has_more) = (page.total.unwrap_or_default(), page.more_after);
    Ok(axum::Json(RecordListView { object: "list", data, total, has_more }).into_response())
}

async fn create(
    state: AppState,
    Admin(p): Admin,
    kind: RecordKind,
    user_id: String,
    input: RecordInput,
) -> Result<Response, Problem> {
    let user = user_key(&user_id)?;
    let record = state.records.create(&p.project, &user, kind, input.into()).await?;
    Ok(json_with_etag(StatusCode::CREATED, &view(&record, &user_id), record.version))
}

async fn get(
    state: AppState,
    Admin(p): Admin,
    kind: RecordKind,
    (user_id, id): (String, String),
) -> Result<Response, Problem> {
    let user = user_key(&user_id)?;
    let record = state.records.get(&p.project, &user, kind, &id).await?;
    Ok(json_with_etag(StatusCode::OK, &view(&record, &user_id), record.version))
}

async fn update(
    state: AppState,
    Admin(p): Admin,
    kind: RecordKind,
    (user_id, id): (String, String),
    headers: HeaderMap,
    input: RecordInput,
) -> Result<Response, Problem> {
    let user = user_key(&user_id)?;
    let expected = if_match(&headers)?;
    let record = state.records.update(&p.project, &user, kind, &id, input.into(), expected).await?;
    Ok(json_with_etag(StatusCode::OK, &view(&record, &user_id), record.version))
}

async fn delete(
    state: AppState,
    Admin(p): Admin,
    kind: RecordKind,
    (user_id, id): (String, String),
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let user = user_key(&user_id)?;
    let expected = if_match(&headers)?;
    let record = state.records.delete(&p.project, &user, kind, &id, expected).await?;
    Ok(json_with_etag(StatusCode::OK, &view(&record, &user_id), record.version))
}
