//! Pricing rows and SQL.

use sqlx::types::Json;
use userbase_core::pricing::{PricingItem, PricingRule, PricingTarget, PricingTargetKind};
use userbase_core::store::StoreError;

use crate::sql::sink::Arg;
use crate::sql::time::DbTime;

pub const DELETE_BY_ID: &str =
    "DELETE FROM user_pricing WHERE project_id = $1 AND user_id = $2 AND target_kind = $3 AND target_id = $4";
pub const DELETE_BY_REF: &str = "DELETE FROM user_pricing WHERE project_id = $1 AND user_id = $2 AND target_kind = $3 \
    AND target_source = $4 AND target_source_id = $5";
pub const INSERT: &str = "INSERT INTO user_pricing (project_id, user_id, target_kind, target_id, target_source, \
    target_source_id, shop_id, pricing, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)";
pub const LIST: &str = "SELECT target_kind, target_id, target_source, target_source_id, shop_id, pricing, updated_at \
    FROM user_pricing WHERE project_id = $1 AND user_id = $2 ORDER BY id";
pub const DELETE_ALL: &str = "DELETE FROM user_pricing WHERE project_id = $1 AND user_id = $2";

/// PostgreSQL, many users at once, one statement: removes the items the new ones replace (same user, kind and
/// target) and inserts the new ones. `$2`..`$9`: arrays of the columns of `INSERT` after the project, in order
/// (`WITH ORDINALITY` keeps the items' order, which is the order they list in). Both parts see the table as it
/// was, so the items must be distinct per target (`last_per_target`).
pub const REPLACE_MANY_PG: &str = "WITH t AS (SELECT * FROM UNNEST($2::bigint[], $3::text[], $4::bigint[], \
    $5::text[], $6::text[], $7::bigint[], $8::jsonb[], $9::timestamptz[]) WITH ORDINALITY \
    AS t(user_id, kind, id, source, source_id, shop_id, pricing, at, n)), \
    replaced AS (DELETE FROM user_pricing p USING t \
    WHERE p.project_id = $1 AND p.user_id = t.user_id AND p.target_kind = t.kind \
    AND p.target_id IS NOT DISTINCT FROM t.id AND p.target_source IS NOT DISTINCT FROM t.source \
    AND p.target_source_id IS NOT DISTINCT FROM t.source_id) \
    INSERT INTO user_pricing (project_id, user_id, target_kind, target_id, target_source, target_source_id, \
    shop_id, pricing, created_at, updated_at) \
    SELECT $1, t.user_id, t.kind, t.id, t.source, t.source_id, t.shop_id, t.pricing, t.at, t.at FROM t ORDER BY t.n";

/// The items that stay of a batch, in order: where one user has two items for the same target, the later
/// replaces the earlier, as if they were stored one after the other.
pub fn last_per_target(users: &[(i64, Vec<PricingItem>)]) -> Vec<(i64, &PricingItem)> {
    let all: Vec<(i64, &PricingItem)> =
        users.iter().flat_map(|(user_id, items)| items.iter().map(move |item| (*user_id, item))).collect();
    let mut seen = std::collections::HashSet::new();
    let mut kept: Vec<(i64, &PricingItem)> = all
        .into_iter()
        .rev()
        .filter(|(user_id, item)| seen.insert((*user_id, item.target_kind, &item.target)))
        .collect();
    kept.reverse();
    kept
}

/// The values of `INSERT`, as both stores bind them (`rule`: the item's rule as JSON).
pub fn insert_args<'a>(
    project: &'a str,
    user_id: i64,
    item: &'a PricingItem,
    rule: &'a serde_json::Value,
) -> [Arg<'a>; 9] {
    let (id, source, source_id) = match &item.target {
        PricingTarget::Id(id) => (Some(*id), None, None),
        PricingTarget::External { source, source_id } => (None, Some(source.as_str()), Some(source_id.as_str())),
    };
    [
        project.into(),
        user_id.into(),
        item.target_kind.as_str().into(),
        id.into(),
        source.into(),
        source_id.into(),
        item.shop_id.into(),
        Arg::json(rule),
        DbTime(item.updated_at).into(),
    ]
}

#[derive(sqlx::FromRow)]
pub struct PricingRow {
    pub target_kind: String,
    pub target_id: Option<i64>,
    pub target_source: Option<String>,
    pub target_source_id: Option<String>,
    pub shop_id: Option<i64>,
    pub pricing: Json<serde_json::Value>,
    pub updated_at: DbTime,
}

impl TryFrom<PricingRow> for PricingItem {
    type Error = StoreError;

    fn try_from(r: PricingRow) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Backend("stored pricing is not valid".into());
        let target = match (r.target_id, r.target_source, r.target_source_id) {
            (Some(id), _, _) => PricingTarget::Id(id),
            (None, Some(source), Some(source_id)) => PricingTarget::External { source, source_id },
            _ => return Err(corrupt()),
        };
        Ok(PricingItem {
            target_kind: PricingTargetKind::parse(&r.target_kind).ok_or_else(corrupt)?,
            target,
            rule: PricingRule::from_json(&r.pricing.0).ok_or_else(corrupt)?,
            shop_id: r.shop_id,
            updated_at: r.updated_at.0,
        })
    }
}
