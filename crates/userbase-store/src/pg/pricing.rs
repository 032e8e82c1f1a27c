//! User pricing on PostgreSQL. The SQL text and rows are `sql/pricing.rs`.

use userbase_core::ids::ProjectId;
use userbase_core::pricing::{PricingItem, PricingTarget};
use userbase_core::store::{PricingStore, StoreError};

use crate::pg::{store_error, PgStore};
use crate::sql::pricing as sql;
use crate::sql::pricing::PricingRow;

/// The PostgreSQL pricing store.
#[async_trait::async_trait]
impl PricingStore for PgStore {
    /// One statement for the whole batch (arrays through `UNNEST`), whatever its size.
    async fn put_pricing_of_users(
        &self,
        project: &ProjectId,
        users: &[(i64, Vec<PricingItem>)],
    ) -> Result<(), StoreError> {
        let kept = sql::last_per_target(users);
        if kept.is_empty() {
            return Ok(());
        }
        let mut columns = PricingColumns::default();
        for (user_id, item) in &kept {
            columns.push(*user_id, item);
        }
        sqlx::query(sql::REPLACE_MANY_PG)
            .bind(project.as_str())
            .bind(&columns.user_ids)
            .bind(&columns.kinds)
            .bind(&columns.ids)
            .bind(&columns.sources)
            .bind(&columns.source_ids)
            .bind(&columns.shop_ids)
            .bind(&columns.rules)
            .bind(&columns.at)
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn list_pricing(&self, project: &ProjectId, user_id: i64) -> Result<Vec<PricingItem>, StoreError> {
        let rows = sqlx::query_as::<_, PricingRow>(sql::LIST)
            .bind(project.as_str())
            .bind(user_id)
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn delete_pricing(&self, project: &ProjectId, user_id: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(sql::DELETE_ALL)
            .bind(project.as_str())
            .bind(user_id)
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected())
    }
}

/// A batch of pricing items as one array per column, for `UNNEST`.
#[derive(Default)]
struct PricingColumns {
    user_ids: Vec<i64>,
    kinds: Vec<&'static str>,
    ids: Vec<Option<i64>>,
    sources: Vec<Option<String>>,
    source_ids: Vec<Option<String>>,
    shop_ids: Vec<Option<i64>>,
    rules: Vec<sqlx::types::Json<serde_json::Value>>,
    at: Vec<time::OffsetDateTime>,
}

impl PricingColumns {
    fn push(&mut self, user_id: i64, item: &PricingItem) {
        let (id, source, source_id) = match &item.target {
            PricingTarget::Id(id) => (Some(*id), None, None),
            PricingTarget::External { source, source_id } => (None, Some(source.clone()), Some(source_id.clone())),
        };
        self.user_ids.push(user_id);
        self.kinds.push(item.target_kind.as_str());
        self.ids.push(id);
        self.sources.push(source);
        self.source_ids.push(source_id);
        self.shop_ids.push(item.shop_id);
        self.rules.push(sqlx::types::Json(item.rule.to_json()));
        self.at.push(item.updated_at);
    }
}
