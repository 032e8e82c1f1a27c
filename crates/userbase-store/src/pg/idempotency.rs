//! Idempotency-key records: claim, complete, release.

use userbase_core::idempotency::StoredResponse;
use userbase_core::ids::ProjectId;
use userbase_core::store::{IdempotencyClaim, IdempotencyStore, StoreError};

use crate::pg::{store_error, PgStore};
use crate::sql::idempotency as sql;
use crate::sql::time::DbTime;

/// The PostgreSQL idempotency store (SQLite: `lite/idempotency.rs`).
#[async_trait::async_trait]
impl IdempotencyStore for PgStore {
    async fn claim_idempotency_key(
        &self,
        project: &ProjectId,
        key: &str,
        hash: &[u8; 32],
        now: time::OffsetDateTime,
        expired_before: time::OffsetDateTime,
    ) -> Result<IdempotencyClaim, StoreError> {
        let mut tx = self.begin_write().await.map_err(store_error)?;
        sqlx::query(sql::DELETE_EXPIRED_IDEMPOTENCY_KEY)
            .bind(project.as_str())
            .bind(key)
            .bind(DbTime(expired_before))
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        let claimed = sqlx::query(sql::CLAIM_IDEMPOTENCY_KEY)
            .bind(project.as_str())
            .bind(key)
            .bind(&hash[..])
            .bind(DbTime(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?
            .is_some();
        let claim = if claimed {
            IdempotencyClaim::Claimed
        } else {
            let row: Option<(
                Vec<u8>,
                Option<i32>,
                Option<Vec<u8>>,
                Option<sqlx::types::Json<std::collections::BTreeMap<String, String>>>,
            )> = sqlx::query_as(sql::IDEMPOTENCY_KEY)
                .bind(project.as_str())
                .bind(key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?;
            let (hash, status, body, headers) =
                row.ok_or_else(|| StoreError::Backend("idempotency key vanished while claimed".into()))?;
            let response = status.map(|status| StoredResponse {
                status: u16::try_from(status).unwrap_or(500),
                body: body.unwrap_or_default(),
                headers: headers.map(|h| h.0).unwrap_or_default(),
            });
            IdempotencyClaim::Existing { hash, response }
        };
        tx.commit().await.map_err(store_error)?;
        Ok(claim)
    }

    async fn complete_idempotency_key(
        &self,
        project: &ProjectId,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        sql::complete_args(project.as_str(), key, response)
            .into_iter()
            .fold(sqlx::query(sql::COMPLETE_IDEMPOTENCY_KEY), |query, arg| query.bind(arg))
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn release_idempotency_key(&self, project: &ProjectId, key: &str) -> Result<(), StoreError> {
        sqlx::query(sql::RELEASE_IDEMPOTENCY_KEY)
            .bind(project.as_str())
            .bind(key)
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
