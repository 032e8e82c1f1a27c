//! API keys: issue, list, revoke, and verify a presented key.

use std::sync::Arc;

use crate::api_key::{ApiKey, GeneratedKey, KeyId, NewKey, PresentedKey};
use crate::error::DomainError;
use crate::ids::ProjectId;
use crate::store::{Store, StoredKey};
use crate::time_util::now_utc;

#[derive(Clone)]
pub struct KeyService {
    store: Arc<dyn Store>,
}

impl KeyService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Issues a key for an existing project; the plaintext in the result is never stored.
    pub async fn create(&self, new: NewKey) -> Result<GeneratedKey, DomainError> {
        if self.store.get_project(&new.project_id).await?.is_none() {
            return Err(DomainError::NotFound { resource: "project" });
        }
        let key = new.generate(now_utc());
        self.store.insert_key(&key.record, &key.hash).await?;
        Ok(key)
    }

    pub async fn list(&self, project: &ProjectId) -> Result<Vec<ApiKey>, DomainError> {
        if self.store.get_project(project).await?.is_none() {
            return Err(DomainError::NotFound { resource: "project" });
        }
        Ok(self.store.list_keys(project).await?)
    }

    /// Revokes a key; revoking twice keeps the first revocation time.
    pub async fn revoke(&self, id: &KeyId) -> Result<ApiKey, DomainError> {
        self.store.revoke_key(id, now_utc()).await?.ok_or(DomainError::NotFound { resource: "key" })
    }

    /// The key and project behind a presented key text, if it is a live key of ours. Unknown, malformed,
    /// revoked and expired keys all give `None`: the caller answers them alike.
    pub async fn verify(&self, text: &str) -> Result<Option<StoredKey>, DomainError> {
        let Some(presented) = PresentedKey::parse(text) else {
            return Ok(None);
        };
        let Some(stored) = self.store.find_key(&presented.id).await? else {
            return Ok(None);
        };
        let genuine = presented.hash.matches(&stored.hash) && presented.kind == stored.key.kind;
        Ok((genuine && stored.key.is_usable(now_utc())).then_some(stored))
    }
}
