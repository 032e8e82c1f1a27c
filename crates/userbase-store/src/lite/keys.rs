//! The key store on SQLite (see `mod.rs`).

use std::sync::LazyLock;

use rusqlite::OptionalExtension;
use time::OffsetDateTime;
use userbase_core::api_key::{ApiKey, KeyId, SecretHash};
use userbase_core::ids::ProjectId;
use userbase_core::store::{KeyChanges, KeyStore, ListedKey, StoreError, StoredKey};

use super::rows;
use super::{numbered, store_error};
use crate::sql::keys as sql;
use crate::sql::time::DbTime;
use crate::SqliteStore;

static INSERT_KEY: LazyLock<String> = LazyLock::new(|| numbered(sql::INSERT_KEY));
static KEY_WITH_PROJECT: LazyLock<String> = LazyLock::new(|| numbered(sql::KEY_WITH_PROJECT));
static KEYS_OF_PROJECT: LazyLock<String> = LazyLock::new(|| numbered(sql::KEYS_OF_PROJECT));
static TOUCH_KEY: LazyLock<String> = LazyLock::new(|| numbered(sql::TOUCH_KEY));
static REVOKE_KEY: LazyLock<String> = LazyLock::new(|| numbered(&sql::REVOKE_KEY));

#[async_trait::async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, key: &ApiKey, hash: &SecretHash) -> Result<(), StoreError> {
        let (key, hash) = (key.clone(), SecretHash(hash.0));
        self.lite
            .write(move |conn| {
                conn.prepare_cached(&INSERT_KEY)
                    .and_then(|mut stmt| {
                        let scheme = key.hash_scheme.to_stored();
                        stmt.execute(rusqlite::params_from_iter(sql::insert_args(&key, &hash, &scheme)))
                    })
                    .map_err(store_error)?;
                Ok(())
            })
            .await
    }

    async fn find_key(&self, id: &KeyId) -> Result<Option<StoredKey>, StoreError> {
        let row = self.lite.read(|conn| {
            conn.prepare_cached(&KEY_WITH_PROJECT)
                .and_then(|mut stmt| stmt.query_row([id.as_str()], rows::stored_key).optional())
                .map_err(store_error)
        })?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_keys(&self, project: &ProjectId) -> Result<Vec<ListedKey>, StoreError> {
        let rows = self.lite.read(|conn| {
            conn.prepare_cached(&KEYS_OF_PROJECT)
                .and_then(|mut stmt| {
                    stmt.query_map([project.as_str()], |row| Ok((rows::key(row)?, row.get::<_, Option<String>>(12)?)))?
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(store_error)
        })?;
        rows.into_iter().map(|(key, user)| sql::listed_key(key, user)).collect()
    }

    async fn touch_key(&self, id: &KeyId, at: OffsetDateTime, stale_before: OffsetDateTime) -> Result<(), StoreError> {
        let id = id.clone();
        self.lite
            .write(move |conn| {
                conn.prepare_cached(&TOUCH_KEY)
                    .and_then(|mut stmt| stmt.execute(rusqlite::params![id.as_str(), DbTime(at), DbTime(stale_before)]))
                    .map_err(store_error)?;
                Ok(())
            })
            .await
    }

    async fn revoke_key(&self, id: &KeyId, at: OffsetDateTime) -> Result<Option<ApiKey>, StoreError> {
        let id = id.clone();
        let row = self
            .lite
            .write(move |conn| {
                conn.prepare_cached(&REVOKE_KEY)
                    .and_then(|mut stmt| {
                        stmt.query_row(rusqlite::params![id.as_str(), DbTime(at)], rows::key).optional()
                    })
                    .map_err(store_error)
            })
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    fn key_changes(&self) -> KeyChanges {
        super::changes::follow(self.lite.path().to_owned())
    }
}
