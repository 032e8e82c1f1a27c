//! `GET /users/{id}/orders`, `/payment_methods`, `/subscriptions`: the user's real records (decisions.md,
//! "Related records"), each list with the parameters BuiltOn documents for it (000.4 rows 6 to 8), as
//! bare arrays with `X-Pagination-Total`.
//!
//! A record renders as BuiltOn's object: `_id: {"$oid": <record id>}` (userbase's `ord_`/`pm_`/`sub_` id, which
//! the SDKs read as the id), `user: {"$oid"}`, `created`/`modified` as `$date`, `deleted`, the status under
//! BuiltOn's name for the kind, and the record's free-form details beside them.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};
use userbase_core::page::{SortField, SortKey};
use userbase_core::record::{RecordDateField, RecordFilter, RecordKind, UserRecord};
use userbase_core::user::{User, UserKey};

use super::error::BuiltonError;
use super::extract::{BuiltonQuery, Target};
use super::pagination::{list_response, page_params, sort_order, unix_seconds};
use super::user_view::{date, oid};
use super::users::{boolean, named};
use crate::AppState;

/// The default date window of orders and payment methods: 15 days either side of now (SEED).
const DEFAULT_WINDOW: Duration = Duration::days(15);

/// Every parameter any of the three lists takes; `Lists::check` refuses those a list does not document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordQuery {
    size: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    from_date: Option<String>,
    to_date: Option<String>,
    date_filter: Option<String>,
    order_status: Option<String>,
    delivery_status: Option<String>,
    status: Option<String>,
    include_deleted: Option<String>,
}

fn not_documented(param: &str, list: &str) -> BuiltonError {
    BuiltonError::validation(param, format!("{param} is not a parameter of {list}."))
}

/// A comma list of statuses (`success, processing`), uppercased, each one of the kind's.
fn statuses(param: &str, text: Option<&str>, allowed: &[&str]) -> Result<Vec<String>, BuiltonError> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let list: Vec<String> = text.split(',').map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()).collect();
    match list.iter().find(|s| !allowed.contains(&s.as_str())) {
        Some(bad) => Err(BuiltonError::validation(param, format!("{bad} is not one of {}.", allowed.join(", ")))),
        None => Ok(list),
    }
}

fn record_sort(spec: &str) -> Result<Vec<SortKey>, BuiltonError> {
    let (descending, name) = sort_order(spec);
    let field = match name {
        "created" => SortField::CreatedAt,
        "modified" => SortField::UpdatedAt,
        _ => return Err(BuiltonError::validation("sort", "sort is created or modified (with - for descending).")),
    };
    Ok(vec![SortKey { field, descending }])
}

fn record_date_field(name: Option<&str>) -> Result<RecordDateField, BuiltonError> {
    match name.unwrap_or("created") {
        "created" => Ok(RecordDateField::Created),
        "modified" => Ok(RecordDateField::Updated),
        _ => Err(BuiltonError::validation("date_filter", "date_filter is created or modified.")),
    }
}

/// The date window: the parameters given, else (orders, payment methods) now ± 15 days.
fn window(q: &RecordQuery, defaults: bool) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), BuiltonError> {
    let now = OffsetDateTime::now_utc();
    let from = match q.from_date.as_deref() {
        Some(t) => Some(unix_seconds("from_date", t)?),
        None => defaults.then(|| now - DEFAULT_WINDOW),
    };
    let to = match q.to_date.as_deref() {
        Some(t) => Some(unix_seconds("to_date", t)?),
        None => defaults.then(|| now + DEFAULT_WINDOW),
    };
    Ok((from, to))
}

fn json<T: serde::Serialize>(v: T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// One record as BuiltOn shows it.
fn render(r: &UserRecord, user: &User) -> Value {
    let mut object: Map<String, Value> = r.details.clone();
    let mut put = |k: &str, v: Value| {
        object.insert(k.to_owned(), v);
    };
    put("_id", json(oid(&r.public_id)));
    put("user", json(oid(user.object_id.as_str())));
    put("created", json(date(r.created_at)));
    put("modified", json(date(r.updated_at)));
    put("deleted", Value::Bool(r.deleted_at.is_some()));
    match r.kind {
        RecordKind::Order => {
            put("order_status", Value::String(r.status.clone()));
            put("delivery_status", r.delivery_status.clone().map_or(Value::Null, Value::String));
        }
        RecordKind::PaymentMethod => {
            put("status", Value::String(r.status.clone()));
            put("active", Value::Bool(r.status == "ACTIVE"));
        }
        RecordKind::Subscription => put("status", Value::String(r.status.clone())),
    }
    Value::Object(object)
}

async fn list(
    state: &AppState,
    target: &Target,
    kind: RecordKind,
    q: RecordQuery,
    filter: RecordFilter,
    default_sort: &str,
) -> Result<Response, BuiltonError> {
    let user = state.users.get(&target.project, &target.user).await.map_err(|e| named(e, target))?;
    let params = page_params(q.size.as_deref(), q.page.as_deref())?
        .sorted(record_sort(q.sort.as_deref().unwrap_or(default_sort))?);
    let page = state
        .records
        .list(&target.project, &UserKey::Numeric(user.numeric_id), kind, &filter, params)
        .await
        .map_err(|e| named(e, target))?;
    Ok(list_response(page.items.iter().map(|r| render(r, &user)).collect(), page.total))
}

/// Orders: `size, page, sort` (default `created`), the date window (default now ± 15 days) on `date_filter`,
/// `order_status` and `delivery_status` lists.
pub async fn list_orders(
    State(state): State<AppState>,
    target: Target,
    BuiltonQuery(q): BuiltonQuery<RecordQuery>,
) -> Result<Response, BuiltonError> {
    for (given, param) in [(q.status.is_some(), "status"), (q.include_deleted.is_some(), "include_deleted")] {
        if given {
            return Err(not_documented(param, "orders"));
        }
    }
    let (from, to) = window(&q, true)?;
    let filter = RecordFilter {
        statuses: statuses("order_status", q.order_status.as_deref(), RecordKind::Order.statuses())?,
        delivery_statuses: statuses("delivery_status", q.delivery_status.as_deref(), RecordKind::delivery_statuses())?,
        from,
        to,
        date_field: Some(record_date_field(q.date_filter.as_deref())?),
        include_deleted: false,
    };
    list(&state, &target, RecordKind::Order, q, filter, "created").await
}

/// Payment methods: `size, page, sort` (default `created`), the date window (default now ± 15 days) on
/// `date_filter`, `include_deleted`.
pub async fn list_payment_methods(
    State(state): State<AppState>,
    target: Target,
    BuiltonQuery(q): BuiltonQuery<RecordQuery>,
) -> Result<Response, BuiltonError> {
    for (given, param) in [
        (q.status.is_some(), "status"),
        (q.order_status.is_some(), "order_status"),
        (q.delivery_status.is_some(), "delivery_status"),
    ] {
        if given {
            return Err(not_documented(param, "payment_methods"));
        }
    }
    let (from, to) = window(&q, true)?;
    let filter = RecordFilter {
        from,
        to,
        date_field: Some(record_date_field(q.date_filter.as_deref())?),
        include_deleted: boolean("include_deleted", q.include_deleted.as_deref())?,
        ..RecordFilter::default()
    };
    list(&state, &target, RecordKind::PaymentMethod, q, filter, "created").await
}

/// Subscriptions: `include_deleted`, `size` (default 10), `page`, `sort` (default `-modified`), `status`
/// (default `ACTIVE`; a comma list). No date window.
pub async fn list_subscriptions(
    State(state): State<AppState>,
    target: Target,
    BuiltonQuery(q): BuiltonQuery<RecordQuery>,
) -> Result<Response, BuiltonError> {
    for (given, param) in [
        (q.from_date.is_some(), "from_date"),
        (q.to_date.is_some(), "to_date"),
        (q.date_filter.is_some(), "date_filter"),
        (q.order_status.is_some(), "order_status"),
        (q.delivery_status.is_some(), "delivery_status"),
    ] {
        if given {
            return Err(not_documented(param, "subscriptions"));
        }
    }
    let filter = RecordFilter {
        statuses: statuses(
            "status",
            Some(q.status.as_deref().unwrap_or("ACTIVE")),
            RecordKind::Subscription.statuses(),
        )?,
        include_deleted: boolean("include_deleted", q.include_deleted.as_deref())?,
        ..RecordFilter::default()
    };
    list(&state, &target, RecordKind::Subscription, q, filter, "-modified").await
}
