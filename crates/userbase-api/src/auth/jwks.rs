//! JWKS URLs: fetched with timeouts and a size bound, cached per process for ten minutes, and fetched
//! again (at most once a second) when a token names a key the cached set lacks, so key rotation needs
//! no restart. The cache is an optimisation only: every process can fetch the same keys. Each URL has its
//! own lock, so one project's slow issuer never holds up another project's logins. Fetches go through the
//! outbound-address policy (`crate::outbound`); a refused address is an unavailable key set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use tokio::sync::Mutex;

use crate::outbound::{OutboundClient, OutboundPolicy, SendError};

const TTL: Duration = Duration::from_secs(600);
/// Unknown-kid refetches per URL; bounds what a flood of made-up kids can cost the issuer.
pub const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(1);
const MAX_BYTES: usize = 1024 * 1024;

struct Entry {
    set: Arc<JwkSet>,
    fetched: Instant,
}

/// One URL's cache: the last good set and when a fetch was last tried (failed ones included, so a down
/// issuer is not asked again on every request).
#[derive(Default)]
struct Cached {
    entry: Option<Entry>,
    attempted: Option<Instant>,
}

/// One URL's cache; its lock is held across a fetch.
type Slot = Arc<Mutex<Cached>>;

#[derive(Clone)]
pub struct JwksCache {
    http: OutboundClient,
    /// Held only to find or add a slot, never across an await.
    slots: Arc<SyncMutex<HashMap<String, Slot>>>,
}

impl Default for JwksCache {
    /// A cache that fetches from public addresses only.
    fn default() -> Self {
        Self::new(Arc::new(OutboundPolicy::public_only()))
    }
}

pub enum Lookup {
    Found(Arc<JwkSet>),
    Unavailable,
}

fn has_kid(set: &JwkSet, kid: Option<&str>) -> bool {
    kid.is_none_or(|kid| set.keys.iter().any(|k| k.common.key_id.as_deref() == Some(kid)))
}

impl JwksCache {
    /// A cache whose fetches follow `policy` (redirects included: each is checked like the first URL).
    pub fn new(policy: Arc<OutboundPolicy>) -> Self {
        let http = OutboundClient::new(policy, 3, |builder| {
            builder.connect_timeout(Duration::from_secs(3)).timeout(Duration::from_secs(5))
        });
        Self { http, slots: Arc::default() }
    }

    /// The key set at `url`, fresh enough, and holding `kid` if it can.
    pub async fn get(&self, url: &str, kid: Option<&str>) -> Lookup {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            slots.entry(url.to_owned()).or_default().clone()
        };
        // One fetch at a time per URL keeps a burst of new-kid tokens from stampeding the issuer.
        let mut cached = slot.lock().await;
        let current = |c: &Cached| match &c.entry {
            Some(e) => Lookup::Found(e.set.clone()),
            None => Lookup::Unavailable,
        };
        if let Some(e) = &cached.entry {
            if e.fetched.elapsed() < TTL && has_kid(&e.set, kid) {
                return Lookup::Found(e.set.clone());
            }
        }
        if cached.attempted.is_some_and(|t| t.elapsed() < REFRESH_AT_MOST_EVERY) {
            return current(&cached);
        }
        cached.attempted = Some(Instant::now());
        match self.fetch(url).await {
            Some(set) => {
                let set = Arc::new(set);
                cached.entry = Some(Entry { set: set.clone(), fetched: Instant::now() });
                Lookup::Found(set)
            }
            // A stale set beats none while the issuer is down.
            None => current(&cached),
        }
    }

    /// Logs a failure without the URL, which may carry credentials; a refused host is named (the operator needs
    /// it to decide whether to allow it).
    async fn fetch(&self, url: &str) -> Option<JwkSet> {
        let Ok(url) = reqwest::Url::parse(url) else {
            tracing::warn!("JWKS URL does not parse");
            return None;
        };
        let mut response = match self.http.get(url, "application/json").await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => {
                tracing::warn!(status = r.status().as_u16(), "JWKS fetch failed");
                return None;
            }
            Err(SendError::Refused(refused)) => {
                tracing::warn!(
                    outbound.host = refused.host(),
                    reason = %refused,
                    "JWKS fetch refused by the outbound-address policy (--outbound-allow)"
                );
                return None;
            }
            Err(e) => {
                tracing::warn!(error = ?e, "JWKS fetch failed");
                return None;
            }
        };
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BYTES {
                tracing::warn!("JWKS document too large");
                return None;
            }
        }
        serde_json::from_slice(&body).ok()
    }
}
