//! Idempotency-key records on SQLite (see `mod.rs`): every request that carries an `Idempotency-Key` claims
//! and completes one, so they take the same write path as the users they guard.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rusqlite::OptionalExtension;
use time::OffsetDateTime;
use userbase_core::idempotency::StoredResponse;
use userbase_core::ids::ProjectId;
use userbase_core::store::{IdempotencyClaim, IdempotencyStore, StoreError};

use super::{numbered, store_error};
use crate::sql::idempotency as sql;
use crate::sql::time::DbTime;
use crate::SqliteStore;

static DELETE_EXPIRED: LazyLock<String> = LazyLock::new(|| numbered(sql::DELETE_EXPIRED_IDEMPOTENCY_KEY));
static CLAIM: LazyLock<String> = LazyLock::new(|| numbered(sql::CLAIM_IDEMPOTENCY_KEY));
static FIND: LazyLock<String> = LazyLock::new(|| numbered(sql::IDEMPOTENCY_KEY));
static COMPLETE: LazyLock<String> = LazyLock::new(|| numbered(sql::COMPLETE_IDEMPOTENCY_KEY));
static RELEASE: LazyLock<String> = LazyLock::new(|| numbered(sql::RELEASE_IDEMPOTENCY_KEY));

type StoredRow = (Vec<u8>, Option<i64>, Option<Vec<u8>>, Option<String>);

#[async_trait::async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency_key(
        &self,
        project: &ProjectId,
        key: &str,
        hash: &[u8; 32],
        now: OffsetDateTime,
        expired_before: OffsetDateTime,
    ) -> Result<IdempotencyClaim, StoreError> {
        let (project, key, hash) = (project.clone(), key.to_owned(), *hash);
        // One write job: the expiry, the claim and the read of a held record see one state.
        self.lite
            .write(move |conn| {
                conn.prepare_cached(&DELETE_EXPIRED)
                    .and_then(|mut s| s.execute(rusqlite::params![project.as_str(), key, DbTime(expired_before)]))
                    .map_err(store_error)?;
                let claimed = conn
                    .prepare_cached(&CLAIM)
                    .and_then(|mut s| s.exists(rusqlite::params![project.as_str(), key, &hash[..], DbTime(now)]))
                    .map_err(store_error)?;
                if claimed {
                    return Ok(IdempotencyClaim::Claimed);
                }
                let row: Option<StoredRow> = conn
                    .prepare_cached(&FIND)
                    .and_then(|mut s| {
                        s.query_row(rusqlite::params![project.as_str(), key], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                        })
                        .optional()
                    })
                    .map_err(store_error)?;
                let (hash, status, body, headers) =
                    row.ok_or_else(|| StoreError::Backend("idempotency key vanished while claimed".into()))?;
                let headers: BTreeMap<String, String> = match headers {
                    Some(text) => serde_json::from_str(&text)
                        .map_err(|e| StoreError::Backend(format!("stored idempotency headers: {e}")))?,
                    None => BTreeMap::new(),
                };
                let response = status.map(|status| StoredResponse {
                    status: u16::try_from(status).unwrap_or(500),
                    body: body.unwrap_or_default(),
                    headers,
                });
                Ok(IdempotencyClaim::Existing { hash, response })
            })
            .await
    }

    async fn complete_idempotency_key(
        &self,
        project: &ProjectId,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let (project, key, response) = (project.clone(), key.to_owned(), response.clone());
        self.lite
            .write(move |conn| {
                conn.prepare_cached(&COMPLETE)
                    .and_then(|mut s| {
                        s.execute(rusqlite::params_from_iter(sql::complete_args(project.as_str(), &key, &response)))
                    })
                    .map_err(store_error)?;
                Ok(())
            })
            .await
    }

    async fn release_idempotency_key(&self, project: &ProjectId, key: &str) -> Result<(), StoreError> {
        let (project, key) = (project.clone(), key.to_owned());
        self.lite
            .write(move |conn| {
                conn.prepare_cached(&RELEASE)
                    .and_then(|mut s| s.execute(rusqlite::params![project.as_str(), key]))
                    .map_err(store_error)?;
                Ok(())
            })
            .await
    }
}
