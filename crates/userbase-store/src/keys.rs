//! API keys: insert, find by id (with the project), list, touch, revoke.

/// The PostgreSQL key store (SQLite: `lite/keys.rs`).
#[async_trait::async_trait]
impl userbase_core::store::KeyStore for crate::postgres::PgStore {
    async fn insert_key(
        &self,
        key: &userbase_core::api_key::ApiKey,
        hash: &userbase_core::api_key::SecretHash,
    ) -> Result<(), userbase_core::store::StoreError> {
        sqlx::query(crate::sql::INSERT_KEY)
            .bind(key.id.as_str())
            .bind(key.project_id.as_str())
            .bind(key.kind.as_str())
            .bind(key.name.as_deref())
            .bind(key.prefix.as_str())
            .bind(&hash.0[..])
            .bind(key.user_id)
            .bind(sqlx::types::Json(&key.scopes))
            .bind(crate::db_time::DbTime(key.created_at))
            .bind(key.expires_at.map(crate::db_time::DbTime))
            .execute(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        Ok(())
    }

    async fn find_key(
        &self,
        id: &userbase_core::api_key::KeyId,
    ) -> Result<Option<userbase_core::store::StoredKey>, userbase_core::store::StoreError> {
        let row = sqlx::query_as::<_, crate::rows::StoredKeyRow>(crate::sql::KEY_WITH_PROJECT)
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(crate::sql_store::store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_keys(
        &self,
        project: &userbase_core::ids::ProjectId,
    ) -> Result<Vec<userbase_core::api_key::ApiKey>, userbase_core::store::StoreError> {
        let rows = sqlx::query_as::<_, crate::rows::KeyRow>(&crate::sql::KEYS_OF_PROJECT)
            .bind(project.as_str())
            .fetch_all(&self.reader)
            .await
            .map_err(crate::sql_store::store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn touch_key(
        &self,
        id: &userbase_core::api_key::KeyId,
        at: time::OffsetDateTime,
        stale_before: time::OffsetDateTime,
    ) -> Result<(), userbase_core::store::StoreError> {
        sqlx::query(crate::sql::TOUCH_KEY)
            .bind(id.as_str())
            .bind(crate::db_time::DbTime(at))
            .bind(crate::db_time::DbTime(stale_before))
            .execute(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        Ok(())
    }

    async fn revoke_key(
        &self,
        id: &userbase_core::api_key::KeyId,
        at: time::OffsetDateTime,
    ) -> Result<Option<userbase_core::api_key::ApiKey>, userbase_core::store::StoreError> {
        let row = sqlx::query_as::<_, crate::rows::KeyRow>(&crate::sql::REVOKE_KEY)
            .bind(id.as_str())
            .bind(crate::db_time::DbTime(at))
            .fetch_optional(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        row.map(TryInto::try_into).transpose()
    }
}
