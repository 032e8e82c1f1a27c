//! `/v1/users/{id}/pricing`: a user's pricing per category or product (Propeller's payload, in v1 spelling).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use userbase_core::error::FieldErrors;
use userbase_core::pricing::{PricingItem, PricingRule, PricingTarget, PricingTargetKind};
use userbase_core::time_util::now_utc;
use userbase_core::DomainError;
use userbase_core::FieldError;

use super::extract::{Admin, V1Json};
use super::users::user_key;
use super::Problem;
use crate::AppState;

/// How a price is made: `type` names the rule; `amount` (a discount or markup) or `price` (a fixed price).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PricingRule)]
struct RuleInput {
    /// `CP` (cost plus `amount` percent), `SP` (sales price minus `amount` percent) or `net` (fixed `price`).
    #[serde(rename = "type")]
    kind: String,
    amount: Option<f64>,
    price: Option<f64>,
}

/// A target by `id`, or by `source` and `source_id`, with its rule.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PricingItemInput)]
struct ItemInput {
    id: Option<i64>,
    source: Option<String>,
    source_id: Option<String>,
    pricing: RuleInput,
}

/// Pricing items to add; an item for a target that already has one replaces it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PricingInput {
    #[serde(default)]
    categories: Vec<ItemInput>,
    #[serde(default)]
    products: Vec<ItemInput>,
    shop_id: Option<i64>,
}

/// A user's pricing: every item.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PricingList)]
struct PricingListView<'a> {
    object: &'static str,
    #[schema(value_type = Vec<ItemView>)]
    data: Vec<ItemView<'a>>,
    has_more: bool,
}

/// One pricing item: a rule for a category or product.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PricingItem)]
pub(super) struct ItemView<'a> {
    object: &'static str,
    /// `category` or `product`.
    target: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<&'a str>,
    #[schema(value_type = RuleInput)]
    pricing: serde_json::Value,
    shop_id: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

pub(super) fn view(i: &PricingItem) -> ItemView<'_> {
    let (id, source, source_id) = match &i.target {
        PricingTarget::Id(id) => (Some(*id), None, None),
        PricingTarget::External { source, source_id } => (None, Some(source.as_str()), Some(source_id.as_str())),
    };
    ItemView {
        object: "pricing",
        target: i.target_kind.as_str(),
        id,
        source,
        source_id,
        pricing: i.rule.to_json(),
        shop_id: i.shop_id,
        updated_at: i.updated_at,
    }
}

fn list(items: &[PricingItem]) -> Response {
    axum::Json(PricingListView { object: "list", data: items.iter().map(view).collect(), has_more: false })
        .into_response()
}

impl PricingInput {
    fn into_items(self) -> Result<Vec<PricingItem>, Vec<FieldError>> {
        let mut e = FieldErrors::new();
        let now = now_utc();
        let mut items = Vec::new();
        for (kind, name, inputs) in [
            (PricingTargetKind::Category, "categories", self.categories),
            (PricingTargetKind::Product, "products", self.products),
        ] {
            for (i, item) in inputs.into_iter().enumerate() {
                let field = format!("{name}[{i}]");
                let target = match (item.id, item.source, item.source_id) {
                    (Some(id), None, None) => Some(PricingTarget::Id(id)),
                    (None, Some(source), Some(source_id)) if !source.is_empty() && !source_id.is_empty() => {
                        Some(PricingTarget::External { source, source_id })
                    }
                    _ => {
                        e.push(FieldError::new(
                            field.clone(),
                            "invalid_target",
                            "Name the target by id, or by source and source_id.",
                        ));
                        None
                    }
                };
                let rule = e.take(PricingRule::parse(
                    &format!("{field}.pricing"),
                    &item.pricing.kind,
                    item.pricing.amount,
                    item.pricing.price,
                ));
                if let (Some(target), Some(rule)) = (target, rule) {
                    items.push(PricingItem { target_kind: kind, target, rule, shop_id: self.shop_id, updated_at: now });
                }
            }
        }
        e.finish()?;
        Ok(items)
    }
}

/// Get a user's pricing.
#[utoipa::path(get, path = "/users/{id}/pricing", tag = "pricing", params(("id" = String, Path, description = "The user's id (`usr_...`)")),
    responses((status = 200, description = "Every pricing item of the user", body = PricingListView)))]
pub async fn list_pricing(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path(user_id): Path<String>,
) -> Result<Response, Problem> {
    Ok(list(&state.pricing.list(&p.project, &user_key(&user_id)?).await?))
}

/// Add or replace pricing items of a user.
///
/// An item for a target that already has one replaces it. The answer is the user's whole pricing.
#[utoipa::path(post, path = "/users/{id}/pricing", tag = "pricing", params(("id" = String, Path, description = "The user's id (`usr_...`)")), request_body = PricingInput,
    responses((status = 200, description = "Every pricing item of the user", body = PricingListView)))]
pub async fn put_pricing(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path(user_id): Path<String>,
    V1Json(input): V1Json<PricingInput>,
) -> Result<Response, Problem> {
    let user = user_key(&user_id)?;
    let items = input.into_items().map_err(DomainError::Invalid)?;
    Ok(list(&state.pricing.put(&p.project, &user, items).await?))
}

/// Remove all of a user's pricing.
#[utoipa::path(delete, path = "/users/{id}/pricing", tag = "pricing", params(("id" = String, Path, description = "The user's id (`usr_...`)")),
    responses((status = 204, description = "Removed")))]
pub async fn delete_pricing(
    State(state): State<AppState>,
    Admin(p): Admin,
    Path(user_id): Path<String>,
) -> Result<Response, Problem> {
    state.pricing.clear(&p.project, &user_key(&user_id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
