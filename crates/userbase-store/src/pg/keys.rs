//! API keys: insert, find by id (with the project), list, touch, revoke.

use userbase_core::api_key::{ApiKey, KeyId, SecretHash};
use userbase_core::ids::ProjectId;
use userbase_core::store::{KeyChanges, KeyStore, ListedKey, StoreError, StoredKey};

use crate::pg::{store_error, PgStore};
use crate::sql::keys as sql;
use crate::sql::rows::{KeyRow, StoredKeyRow};
use crate::sql::time::DbTime;

/// The PostgreSQL key store (SQLite: `lite/keys.rs`).
#[async_trait::async_trait]
impl KeyStore for PgStore {
    async fn insert_key(&self, key: &ApiKey, hash: &SecretHash) -> Result<(), StoreError> {
        let scheme = key.hash_scheme.to_stored();
        sql::insert_args(key, hash, &scheme)
            .into_iter()
            .fold(sqlx::query(sql::INSERT_KEY), |query, arg| query.bind(arg))
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn find_key(&self, id: &KeyId) -> Result<Option<StoredKey>, StoreError> {
        let row = sqlx::query_as::<_, StoredKeyRow>(sql::KEY_WITH_PROJECT)
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_keys(&self, project: &ProjectId) -> Result<Vec<ListedKey>, StoreError> {
        use sqlx::{FromRow, Row};
        let rows = sqlx::query(sql::KEYS_OF_PROJECT)
            .bind(project.as_str())
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let key = KeyRow::from_row(row).map_err(store_error)?;
                sql::listed_key(key, row.try_get("user_public_id").map_err(store_error)?)
            })
            .collect()
    }

    async fn touch_key(
        &self,
        id: &KeyId,
        at: time::OffsetDateTime,
        stale_before: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::TOUCH_KEY)
            .bind(id.as_str())
            .bind(DbTime(at))
            .bind(DbTime(stale_before))
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn revoke_key(&self, id: &KeyId, at: time::OffsetDateTime) -> Result<Option<ApiKey>, StoreError> {
        let row = sqlx::query_as::<_, KeyRow>(&sql::REVOKE_KEY)
            .bind(id.as_str())
            .bind(DbTime(at))
            .fetch_optional(&self.writer)
            .await
            .map_err(store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    fn key_changes(&self) -> KeyChanges {
        super::changes::follow(&self.reader)
    }
}
