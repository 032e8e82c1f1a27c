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
    async fn put_pricing(&self, project: &ProjectId, user_id: i64, items: &[PricingItem]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await.map_err(store_error)?;
        for item in items {
            let kind = item.target_kind.as_str();
            match &item.target {
                PricingTarget::Id(id) => {
                    sqlx::query(sql::DELETE_BY_ID)
                        .bind(project.as_str())
                        .bind(user_id)
                        .bind(kind)
                        .bind(*id)
                        .execute(&mut *tx)
                        .await
                        .map_err(store_error)?;
                }
                PricingTarget::External { source, source_id } => {
                    sqlx::query(sql::DELETE_BY_REF)
                        .bind(project.as_str())
                        .bind(user_id)
                        .bind(kind)
                        .bind(source.as_str())
                        .bind(source_id.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(store_error)?;
                }
            };
            let rule = item.rule.to_json();
            sql::insert_args(project.as_str(), user_id, item, &rule)
                .into_iter()
                .fold(sqlx::query(sql::INSERT), |query, arg| query.bind(arg))
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
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
