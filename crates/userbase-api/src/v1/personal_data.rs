//! `/v1/users/{id}/erase` and `/v1/users/{id}/export`: data-protection requests about one user. Erase
//! removes the user and everything related at once (not restorable); export answers everything stored about
//! them as one document. Both take live and deleted users, and a secret key only.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;
use userbase_core::erasure::ErasedCounts;
use userbase_core::record::RecordKind;
use userbase_core::time_util::now_utc;
use utoipa::openapi::{ArrayBuilder, Ref, RefOr, Schema};

use super::address_view::AddressView;
use super::extract::Admin;
use super::keys::{view as key_view, KeyView};
use super::organizations::{membership_view, MembershipView};
use super::pricing::{view as pricing_view, ItemView};
use super::records::{view as record_view, RecordView};
use super::user_view::UserView;
use super::users::user_key;
use super::Problem;
use crate::AppState;

/// How many rows of each kind an erase removed.
#[derive(utoipa::ToSchema)]
#[schema(as = ErasedCounts)]
#[allow(dead_code)] // documentation of `userbase_core::erasure::ErasedCounts`
pub struct ErasedCountsSchema {
    users: u64,
    addresses: u64,
    memberships: u64,
    orders: u64,
    payment_methods: u64,
    subscriptions: u64,
    pricing: u64,
    external_refs: u64,
    /// Opaque attribute documents sent through Propeller's bulk `attributes`.
    attributes: u64,
    /// Keys bound to the user.
    keys: u64,
    /// Stored answers of `Idempotency-Key` requests that named the user.
    idempotency_records: u64,
}

/// What an erase removed.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Erasure)]
pub struct ErasureView<'a> {
    /// `erasure`.
    object: &'static str,
    /// The erased user's id; it names no user any more.
    id: &'a str,
    #[schema(value_type = ErasedCountsSchema)]
    erased: ErasedCounts,
}

fn records_of(name: &str) -> RefOr<Schema> {
    ArrayBuilder::new().items(Ref::from_schema_name(name)).build().into()
}

fn orders_schema() -> RefOr<Schema> {
    records_of("Order")
}

fn payment_methods_schema() -> RefOr<Schema> {
    records_of("PaymentMethod")
}

fn subscriptions_schema() -> RefOr<Schema> {
    records_of("Subscription")
}

/// Everything stored about one user, for access and portability requests. Keys are listed without
/// secrets (only their hashes are stored).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = UserExport)]
pub struct ExportView<'a> {
    /// `user_export`.
    object: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    exported_at: OffsetDateTime,
    /// The user as `GET /v1/users/{id}` shows it (with its external refs), deleted or not.
    #[schema(value_type = UserView)]
    user: UserView<'a>,
    /// Oldest first.
    #[schema(value_type = Vec<AddressView>)]
    addresses: Vec<AddressView<'a>>,
    /// The user's memberships, with each organization's id, name and the role; `is_default` marks the default.
    #[schema(value_type = Vec<MembershipView>)]
    organizations: Vec<MembershipView<'a>>,
    /// Deleted ones too, oldest first.
    #[schema(schema_with = orders_schema)]
    orders: Vec<RecordView<'a>>,
    #[schema(schema_with = payment_methods_schema)]
    payment_methods: Vec<RecordView<'a>>,
    #[schema(schema_with = subscriptions_schema)]
    subscriptions: Vec<RecordView<'a>>,
    #[schema(value_type = Vec<ItemView>)]
    pricing: Vec<ItemView<'a>>,
    /// Opaque attributes sent through Propeller's bulk `attributes`, as given; `null` when none.
    #[schema(value_type = Option<Object>)]
    attributes: Option<&'a serde_json::Value>,
    /// Keys bound to the user, revoked ones too.
    #[schema(value_type = Vec<KeyView>)]
    keys: Vec<KeyView<'a>>,
}

/// Erase a user permanently.
///
/// Removes the user (live or deleted) at once, in one transaction, with its addresses, memberships, orders,
/// payment methods, subscriptions, pricing, external refs, attributes, the keys bound to it (they stop working at once)
/// and the stored answers of `Idempotency-Key` requests that named it. Its email and external refs become
/// free. Unlike a delete it cannot be undone: the id answers 404 from then on, and so does a repeated erase
/// (send an `Idempotency-Key` to have a retry replay this answer instead).
#[utoipa::path(post, path = "/users/{id}/erase", tag = "users", params(("id" = String, Path, description = "The user's id (`usr_...`)")),
    responses((status = 200, description = "What was erased, by kind", body = ErasureView)))]
pub async fn erase_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let erasure = state.personal_data.erase(&principal.project, &user_key(&id)?).await?;
    // Ids and counts only: the erased person's data is not written anywhere, logs included.
    tracing::info!(project.id = %principal.project.id, user.id = %erasure.user_id, counts = ?erasure.counts, "user erased");
    let view = ErasureView { object: "erasure", id: erasure.user_id.as_str(), erased: erasure.counts };
    Ok(axum::Json(view).into_response())
}

/// Export everything stored about a user.
///
/// One JSON document with the user (live or deleted), its addresses, organizations and roles, orders,
/// payment methods and subscriptions (deleted ones too), pricing, attributes, and the keys bound to it (never their
/// secrets), for access and portability requests.
#[utoipa::path(get, path = "/users/{id}/export", tag = "users", params(("id" = String, Path, description = "The user's id (`usr_...`)")),
    responses((status = 200, description = "Everything stored about the user", body = ExportView)))]
pub async fn export_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let data = state.personal_data.export(&principal.project, &user_key(&id)?).await?;
    let user_id = data.user.public_id.as_str();
    let default = data.user.profile.default_organization_id;
    let records = |kind: RecordKind| {
        data.records.iter().filter(|r| r.kind == kind).map(|r| record_view(r, user_id)).collect::<Vec<_>>()
    };
    let view = ExportView {
        object: "user_export",
        exported_at: now_utc(),
        user: UserView::from(&data.user),
        addresses: data.addresses.iter().map(|a| AddressView::new(a, user_id)).collect(),
        organizations: data
            .memberships
            .iter()
            .map(|m| membership_view(m, Some(default == Some(m.organization_id))))
            .collect(),
        orders: records(RecordKind::Order),
        payment_methods: records(RecordKind::PaymentMethod),
        subscriptions: records(RecordKind::Subscription),
        pricing: data.pricing.iter().map(pricing_view).collect(),
        attributes: data.attributes.as_ref(),
        keys: data.keys.iter().map(|k| key_view(k, Some(user_id), None)).collect(),
    };
    Ok(axum::Json(view).into_response())
}
