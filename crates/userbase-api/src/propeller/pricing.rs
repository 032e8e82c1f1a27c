//! `/users/{lookupKey}/{lookupValue}/pricing`: add pricing per category or product (by `id`, or `sourceId`
//! with `source`), and remove it all. Stored as given (decisions.md: no catalogue), readable through v1.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use userbase_core::patch::Patch;
use userbase_core::pricing::{PricingItem, PricingRule, PricingTarget, PricingTargetKind};
use userbase_core::time_util::now_utc;
use userbase_core::user::UserKey;

use super::error::PropellerError;
use super::extract::{Admin, JsonMap, PropellerJson, PropellerQuery, UserPath};
use super::schema::{Obj, Violations};
use super::user_input::{verdict, PayloadErrors};
use super::users::{envelope, find_user, LookupQuery};
use crate::AppState;

/// Reads a pricing payload at `o`: the items in order (categories, then products), each with the key it
/// was named by. At least one of `categories` and `products` is required (10017).
pub fn read_pricing(o: &Obj<'_>, v: &mut Violations, e: &mut PayloadErrors) -> Vec<(PricingItem, Value, &'static str)> {
    o.allow(&["categories", "products", "shopId"], v);
    let shop_id = o.integer("shopId", v);
    if !o.has("categories") && !o.has("products") {
        e.0.push(format!("{}: provide either categories or products or both", o.at));
    }
    let mut out = Vec::new();
    for (key, kind) in [("categories", PricingTargetKind::Category), ("products", PricingTargetKind::Product)] {
        for item in o.objects(key, v).unwrap_or_default() {
            item.allow(&["id", "sourceId", "source", "pricing"], v);
            item.require(&["pricing"], v);
            let id = item.integer("id", v);
            let source = item.text("source", v);
            let source_id = item.text_or_number("sourceId", v);
            let (target, shown, lookup) = match (id, source, source_id) {
                (Some(id), Patch::Keep, Patch::Keep) => (PricingTarget::Id(id), json!(id), "id"),
                (None, Patch::Set(source), Patch::Set(source_id)) => {
                    let shown = json!(source_id);
                    (PricingTarget::External { source, source_id }, shown, "sourceId")
                }
                _ => {
                    e.0.push(format!("{}: an item is named by id, or by sourceId with source", item.at));
                    continue;
                }
            };
            let Some(rule) = item.object("pricing", v) else { continue };
            rule.allow(&["type", "amount", "price"], v);
            let kind_text = match rule.text("type", v) {
                Patch::Set(t) => t,
                _ => {
                    v.push(&rule.at, "required key [type] not found");
                    continue;
                }
            };
            let (amount, price) = (rule.number("amount", v), rule.number("price", v));
            match PricingRule::parse(&rule.at, &kind_text, amount, price) {
                Ok(rule) => out.push((
                    PricingItem { target_kind: kind, target, rule, shop_id, updated_at: now_utc() },
                    shown,
                    lookup,
                )),
                Err(f) => e.0.push(format!("{}: {}", f.field, f.message)),
            }
        }
    }
    out
}

pub async fn create_pricing(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: UserPath,
    PropellerQuery(q): PropellerQuery<LookupQuery>,
    PropellerJson(body): JsonMap,
) -> Result<Response, PropellerError> {
    let project = &principal.project;
    let user = find_user(&state, project, &path, q.source(), true).await?;
    let (mut v, mut e) = (Violations::default(), PayloadErrors::default());
    let items = read_pricing(&Obj::new("#", &body), &mut v, &mut e);
    verdict(v, e)?;
    let key = UserKey::Numeric(user.numeric_id);
    let before = state.pricing.list(project, &key).await?;
    let data: Vec<Value> = items
        .iter()
        .map(|(item, shown, lookup)| {
            let held = before.iter().any(|b| b.target_kind == item.target_kind && b.target == item.target);
            let action = if held { "update" } else { "create" };
            json!({"action": action, "key": shown, "lookupKey": lookup, "success": true})
        })
        .collect();
    state.pricing.put(project, &key, items.into_iter().map(|(item, _, _)| item).collect()).await?;
    let total = data.len();
    Ok(envelope(StatusCode::OK, Value::Array(data), "completed", Some(total)))
}

pub async fn delete_pricing(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: UserPath,
    PropellerQuery(q): PropellerQuery<LookupQuery>,
) -> Result<Response, PropellerError> {
    let project = &principal.project;
    let user = find_user(&state, project, &path, q.source(), true).await?;
    state.pricing.clear(project, &UserKey::Numeric(user.numeric_id)).await?;
    Ok(envelope(StatusCode::OK, json!({}), "completed", None))
}
