//! User attributes on PostgreSQL: multi-row upserts. The SQL text is `sql/attributes.rs`.

use sqlx::types::Json;
use userbase_core::ids::ProjectId;
use userbase_core::store::{AttributeStore, StoreError};

use crate::pg::{store_error, PgStore};
use crate::sql::attributes as sql;
use crate::sql::time::DbTime;

/// Rows per multi-row upsert.
const ROWS_PER_STATEMENT: usize = 1_000;

#[async_trait::async_trait]
impl AttributeStore for PgStore {
    async fn put_attributes(&self, project: &ProjectId, items: &[(i64, serde_json::Value)]) -> Result<(), StoreError> {
        // One statement may not touch a row twice: a user listed twice keeps its last document.
        let mut last: std::collections::HashMap<i64, &serde_json::Value> = std::collections::HashMap::new();
        let mut order = Vec::new();
        for (id, value) in items {
            if last.insert(*id, value).is_none() {
                order.push(*id);
            }
        }
        if order.is_empty() {
            return Ok(());
        }
        let now = DbTime(userbase_core::time_util::now_utc());
        let mut tx = self.begin_write().await.map_err(store_error)?;
        for chunk in order.chunks(ROWS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(sql::UPSERT_COLUMNS);
            qb.push_values(chunk, |mut b, id| {
                b.push_bind(*id).push_bind(project.as_str()).push_bind(Json(last[id])).push_bind(now);
            });
            qb.push(sql::UPSERT_CONFLICT);
            qb.build().persistent(false).execute(&mut *tx).await.map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn get_attributes(&self, project: &ProjectId, user_id: i64) -> Result<Option<serde_json::Value>, StoreError> {
        let row: Option<(Json<serde_json::Value>,)> = sqlx::query_as(sql::SELECT)
            .bind(project.as_str())
            .bind(user_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        Ok(row.map(|(j,)| j.0))
    }
}
