//! Idempotency keys: a retried POST with the same key and body gets the first response again instead of
//! acting twice; the same key with another body is refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::error::DomainError;
use crate::ids::ProjectId;
use crate::store::{IdempotencyClaim, Store};
use crate::time_util::now_utc;

/// How long a stored response is replayed.
pub const REPLAY_WINDOW: Duration = Duration::hours(24);

/// A response as stored for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Vec<u8>,
    /// The headers that describe the result (e.g. `Location`, `ETag`, `Content-Type`).
    pub headers: BTreeMap<String, String>,
}

/// What to do with a request that carries an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// First use: run it, then `complete` (or `release` if it failed on our side).
    Proceed,
    /// Seen before with the same request: answer this.
    Replay(StoredResponse),
    /// The first request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// SHA-256 over the parts that make two requests "the same".
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().into()
}

/// Checks a client-chosen key: 1 to 255 visible ASCII characters.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic())
}

#[derive(Clone)]
pub struct IdempotencyService {
    store: Arc<dyn Store>,
}

impl IdempotencyService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub async fn admit(&self, project: &ProjectId, key: &str, hash: &[u8; 32]) -> Result<Admission, DomainError> {
        let now = now_utc();
        let expired_before: OffsetDateTime = now - REPLAY_WINDOW;
        Ok(match self.store.claim_idempotency_key(project, key, hash, now, expired_before).await? {
            IdempotencyClaim::Claimed => Admission::Proceed,
            IdempotencyClaim::Existing { hash: stored, response } => match response {
                _ if stored.as_slice() != hash.as_slice() => Admission::Mismatch,
                Some(r) => Admission::Replay(r),
                None => Admission::InProgress,
            },
        })
    }

    pub async fn complete(&self, project: &ProjectId, key: &str, response: &StoredResponse) -> Result<(), DomainError> {
        Ok(self.store.complete_idempotency_key(project, key, response).await?)
    }

    /// Forgets a claim whose request failed on our side, so that a retry runs again.
    pub async fn release(&self, project: &ProjectId, key: &str) -> Result<(), DomainError> {
        Ok(self.store.release_idempotency_key(project, key).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_tell_requests_apart() {
        assert_eq!(request_hash("POST", "/v1/users", b"{}"), request_hash("POST", "/v1/users", b"{}"));
        assert_ne!(request_hash("POST", "/v1/users", b"{}"), request_hash("POST", "/v1/users", b"{ }"));
        assert_ne!(request_hash("POST", "/v1/users", b""), request_hash("POST", "/v1/user", b"s"));
    }

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid_key("3f1c-42"));
        assert!(!valid_key(""));
        assert!(!valid_key("with space"));
        assert!(!valid_key(&"k".repeat(256)));
    }
}
