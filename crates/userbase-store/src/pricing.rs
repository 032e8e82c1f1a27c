//! Pricing rows and SQL.

use sqlx::types::Json;
use userbase_core::pricing::{PricingItem, PricingRule, PricingTarget, PricingTargetKind};
use userbase_core::store::StoreError;

use crate::db_time::DbTime;

pub const DELETE_BY_ID: &str =
    "DELETE FROM user_pricing WHERE project_id = $1 AND user_id = $2 AND target_kind = $3 AND target_id = $4";
pub const DELETE_BY_REF: &str = "DELETE FROM user_pricing WHERE project_id = $1 AND user_id = $2 AND target_kind = $3 \
    AND target_source = $4 AND target_source_id = $5";
pub const INSERT: &str = "INSERT INTO user_pricing (project_id, user_id, target_kind, target_id, target_source, \
    target_source_id, shop_id, pricing, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)";
pub const LIST: &str = "SELECT target_kind, target_id, target_source, target_source_id, shop_id, pricing, updated_at \
    FROM user_pricing WHERE project_id = $1 AND user_id = $2 ORDER BY id";
pub const DELETE_ALL: &str = "DELETE FROM user_pricing WHERE project_id = $1 AND user_id = $2";

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

/// The PostgreSQL pricing store.
#[async_trait::async_trait]
impl userbase_core::store::PricingStore for crate::postgres::PgStore {
    async fn put_pricing(
        &self,
        project: &userbase_core::ids::ProjectId,
        user_id: i64,
        items: &[userbase_core::pricing::PricingItem],
    ) -> Result<(), userbase_core::store::StoreError> {
        use crate::sql_store::store_error;
        use userbase_core::pricing::PricingTarget;
        let mut tx = self.begin_write().await.map_err(store_error)?;
        for item in items {
            let kind = item.target_kind.as_str();
            let (id, source, source_id) = match &item.target {
                PricingTarget::Id(id) => {
                    sqlx::query(crate::pricing::DELETE_BY_ID)
                        .bind(project.as_str())
                        .bind(user_id)
                        .bind(kind)
                        .bind(*id)
                        .execute(&mut *tx)
                        .await
                        .map_err(store_error)?;
                    (Some(*id), None, None)
                }
                PricingTarget::External { source, source_id } => {
                    sqlx::query(crate::pricing::DELETE_BY_REF)
                        .bind(project.as_str())
                        .bind(user_id)
                        .bind(kind)
                        .bind(source.as_str())
                        .bind(source_id.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(store_error)?;
                    (None, Some(source.as_str()), Some(source_id.as_str()))
                }
            };
            sqlx::query(crate::pricing::INSERT)
                .bind(project.as_str())
                .bind(user_id)
                .bind(kind)
                .bind(id)
                .bind(source)
                .bind(source_id)
                .bind(item.shop_id)
                .bind(sqlx::types::Json(item.rule.to_json()))
                .bind(crate::db_time::DbTime(item.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn list_pricing(
        &self,
        project: &userbase_core::ids::ProjectId,
        user_id: i64,
    ) -> Result<Vec<userbase_core::pricing::PricingItem>, userbase_core::store::StoreError> {
        let rows = sqlx::query_as::<_, crate::pricing::PricingRow>(crate::pricing::LIST)
            .bind(project.as_str())
            .bind(user_id)
            .fetch_all(&self.reader)
            .await
            .map_err(crate::sql_store::store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn delete_pricing(
        &self,
        project: &userbase_core::ids::ProjectId,
        user_id: i64,
    ) -> Result<u64, userbase_core::store::StoreError> {
        let done = sqlx::query(crate::pricing::DELETE_ALL)
            .bind(project.as_str())
            .bind(user_id)
            .execute(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        Ok(done.rows_affected())
    }
}
