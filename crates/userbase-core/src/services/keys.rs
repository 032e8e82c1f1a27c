//! API keys: issue, list, revoke, and verify a presented key.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api_key::{
    mint_access_token, ApiKey, GeneratedKey, KeyId, KeyKind, NewKey, PresentedAccessToken, PresentedKey,
    ACCESS_TOKEN_SECONDS, LAST_USED_RESOLUTION,
};
use crate::error::DomainError;
use crate::ids::{ProjectId, PublicUserId};
use crate::server_secret::{HashScheme, ServerSecrets};
use crate::store::{KeyChange, KeyChanges, ListedKey, Store, StoredKey};
use crate::time_util::now_utc;
use crate::user::UserKey;

/// What an unknown id's secret is compared with.
const UNKNOWN_KEY_HASH: [u8; 32] = [0; 32];

/// How long a verified key is reused without asking the database again, unless set otherwise.
pub const DEFAULT_KEY_CACHE_TTL: Duration = Duration::from_secs(2);

/// Keys this process verified lately (by id), so that a request costs no key lookup. Revoking a key or
/// changing a project through this process takes effect here at once; changes made by another process
/// (another replica, the CLI) take effect as soon as the store reports them (`KeyService::follow_changes`,
/// well under a second), or else within the time to live.
struct KeyCache {
    entries: quick_cache::sync::Cache<KeyId, (Instant, Arc<StoredKey>)>,
    ttl: Duration,
    /// When this process last recorded each key's use: cached keys show an old `last_used_at`, and this
    /// keeps their use to one write a minute all the same.
    touched: quick_cache::sync::Cache<KeyId, Instant>,
    /// Bumped by every change applied; a key read from the database before a change is not cached after it
    /// (it may be the revoked key, read a moment before the revocation).
    generation: AtomicU64,
    /// Ids recently looked up and found to be no key, so that a client repeating a bogus key costs no
    /// query and is answered as fast as a wrong secret for a known id (no timing hint that an id exists).
    unknown: quick_cache::sync::Cache<KeyId, Instant>,
    /// Lookups that reached the store, for `/metrics`.
    store_lookups: AtomicU64,
    /// Dropped with the cache, which ends the task following changes.
    stop: tokio::sync::watch::Sender<()>,
}

impl KeyCache {
    fn apply(&self, change: KeyChange) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        match change {
            KeyChange::Key(id) => {
                self.entries.remove(&id);
                // A key refused a moment ago may be good again (its user was restored).
                self.unknown.remove(&id);
            }
            KeyChange::Project(project) => self.entries.retain(|_, (_, stored)| stored.key.project_id != project),
            KeyChange::All => {
                self.entries.clear();
                self.unknown.clear();
            }
        }
    }
}

#[derive(Clone)]
pub struct KeyService {
    store: Arc<dyn Store>,
    cache: Arc<KeyCache>,
    /// The server secrets (none unless the operator set one): they hash new keys and sign access tokens.
    secrets: Arc<ServerSecrets>,
}

impl KeyService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_cache_ttl(store, DEFAULT_KEY_CACHE_TTL)
    }

    /// `ttl` zero turns the cache off: every request reads its key from the database.
    pub fn with_cache_ttl(store: Arc<dyn Store>, ttl: Duration) -> Self {
        let cache = KeyCache {
            entries: quick_cache::sync::Cache::new(10_000),
            ttl,
            touched: quick_cache::sync::Cache::new(10_000),
            generation: AtomicU64::new(0),
            unknown: quick_cache::sync::Cache::new(10_000),
            store_lookups: AtomicU64::new(0),
            stop: tokio::sync::watch::channel(()).0,
        };
        Self { store, cache: Arc::new(cache), secrets: Arc::default() }
    }

    /// New keys are hashed under the current server secret and access tokens signed with it; keys hashed
    /// under the previous one, and its tokens, still verify.
    pub fn with_server_secrets(mut self, secrets: ServerSecrets) -> Self {
        self.secrets = Arc::new(secrets);
        self
    }

    /// Keeps the cache in step with revocations and project changes made by any process on the database
    /// (another server, the CLI), as the store reports them (`KeyStore::key_changes`): a server that caches
    /// keys for minutes still stops honouring a revoked key within moments. The following task ends with the
    /// last clone of this service. Without a cache, or outside a Tokio runtime, there is nothing to follow.
    pub fn follow_changes(self) -> Self {
        if self.cache.ttl.is_zero() || tokio::runtime::Handle::try_current().is_err() {
            return self;
        }
        let changes = self.store.key_changes();
        let stopped = self.cache.stop.subscribe();
        tokio::spawn(apply_changes(Arc::downgrade(&self.cache), changes, stopped));
        self
    }

    /// The key with this id: from the cache while fresh, else from the database.
    async fn find(&self, id: &KeyId) -> Result<Option<Arc<StoredKey>>, DomainError> {
        if self.cache.ttl.is_zero() {
            self.cache.store_lookups.fetch_add(1, Ordering::Relaxed);
            return Ok(self.store.find_key(id).await?.map(Arc::new));
        }
        if let Some((at, stored)) = self.cache.entries.get(id) {
            if at.elapsed() < self.cache.ttl {
                return Ok(Some(stored));
            }
        }
        if self.cache.unknown.get(id).is_some_and(|at| at.elapsed() < self.cache.ttl) {
            return Ok(None);
        }
        let fetched_at = Instant::now();
        let generation = self.cache.generation.load(Ordering::SeqCst);
        self.cache.store_lookups.fetch_add(1, Ordering::Relaxed);
        let Some(stored) = self.store.find_key(id).await? else {
            self.cache.entries.remove(id);
            self.cache.unknown.insert(id.clone(), fetched_at);
            return Ok(None);
        };
        let stored = Arc::new(stored);
        if self.cache.generation.load(Ordering::SeqCst) == generation {
            self.cache.entries.insert(id.clone(), (fetched_at, stored.clone()));
        }
        Ok(Some(stored))
    }

    /// How many key lookups reached the store (the rest were answered from the cache).
    pub fn store_lookups(&self) -> u64 {
        self.cache.store_lookups.load(Ordering::Relaxed)
    }

    /// Drops these keys from the cache (after they were removed with their user).
    pub fn forget_keys(&self, ids: &[KeyId]) {
        for id in ids {
            self.cache.apply(KeyChange::Key(id.clone()));
        }
    }

    /// Drops every cached key of a project (after its settings changed).
    pub fn forget_project(&self, project: &ProjectId) {
        self.cache.apply(KeyChange::Project(project.clone()));
    }

    /// Drops every cached key bound to this user (after it was deleted or restored), and forgets that such
    /// keys were refused.
    pub fn forget_user(&self, project: &ProjectId, user_id: i64) {
        let cache = &self.cache;
        cache.generation.fetch_add(1, Ordering::SeqCst);
        let bound = |stored: &StoredKey| &stored.key.project_id == project && stored.key.user_id == Some(user_id);
        cache.entries.retain(|_, (_, stored)| !bound(stored));
        // Keys of a restored user were refused while it was deleted; refusals are not kept by user.
        cache.unknown.clear();
    }

    /// Issues a key for an existing project; the plaintext in the result is never stored. A user key
    /// must name a live user of the project and carry at least one scope.
    pub async fn create(&self, new: NewKey) -> Result<GeneratedKey, DomainError> {
        if self.store.get_project(&new.project_id).await?.is_none() {
            return Err(DomainError::NotFound { resource: "project" });
        }
        match (new.kind, new.user_id) {
            (KeyKind::User, None) => {
                return Err(DomainError::invalid("user", "required", "A user key names its user."))
            }
            (KeyKind::User, Some(id)) => {
                let user = self.store.find_user(&new.project_id, &UserKey::Numeric(id)).await?;
                if user.is_none_or(|u| u.is_deleted()) {
                    return Err(DomainError::user_not_found());
                }
                if new.scopes.is_empty() {
                    return Err(DomainError::invalid("scopes", "required", "A user key needs at least one scope."));
                }
            }
            (_, Some(_)) => return Err(DomainError::invalid("user", "not_allowed", "Only user keys name a user.")),
            _ => {}
        }
        for scope in &new.scopes {
            if !crate::api_key::SCOPES.contains(&scope.as_str()) {
                return Err(DomainError::invalid(
                    "scopes",
                    "invalid_scope",
                    format!("'{scope}' is not a scope (read, create, update, delete, manage)"),
                ));
            }
        }
        let key = new.generate_with(now_utc(), self.secrets.current());
        self.store.insert_key(&key.record, &key.hash).await?;
        self.cache.unknown.remove(&key.record.id);
        Ok(key)
    }

    /// The project's keys, each with the public id of the user it is bound to.
    pub async fn list(&self, project: &ProjectId) -> Result<Vec<ListedKey>, DomainError> {
        if self.store.get_project(project).await?.is_none() {
            return Err(DomainError::NotFound { resource: "project" });
        }
        Ok(self.store.list_keys(project).await?)
    }

    /// The public id of the user a key is bound to, if it is bound to one.
    pub async fn user_of(&self, key: &ApiKey) -> Result<Option<PublicUserId>, DomainError> {
        let Some(id) = key.user_id else { return Ok(None) };
        Ok(self.store.find_user(&key.project_id, &UserKey::Numeric(id)).await?.map(|u| u.public_id))
    }

    /// Revokes a key of `project`; another project's key is not found.
    pub async fn revoke_in_project(&self, project: &ProjectId, id: &KeyId) -> Result<ApiKey, DomainError> {
        match self.store.find_key(id).await? {
            Some(stored) if &stored.key.project_id == project => self.revoke(id).await,
            _ => Err(DomainError::NotFound { resource: "key" }),
        }
    }

    /// Revokes a key; revoking twice keeps the first revocation time.
    pub async fn revoke(&self, id: &KeyId) -> Result<ApiKey, DomainError> {
        let revoked = self.store.revoke_key(id, now_utc()).await;
        self.cache.apply(KeyChange::Key(id.clone()));
        revoked?.ok_or(DomainError::NotFound { resource: "key" })
    }

    /// Buys an access token with a secret key's id and plaintext (OAuth2 client credentials). `None` when
    /// they do not make a live secret key.
    pub async fn issue_access_token(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Option<(String, i64)>, DomainError> {
        let Some(stored) = self.verify(client_secret).await? else { return Ok(None) };
        if stored.key.kind != KeyKind::Secret || stored.key.id.as_str() != client_id {
            return Ok(None);
        }
        let expires = now_utc().unix_timestamp() + ACCESS_TOKEN_SECONDS;
        let token = mint_access_token(&stored.key.id, &stored.hash, expires, &self.secrets)
            .ok_or_else(|| DomainError::Internal("could not sign an access token".into()))?;
        Ok(Some((token, ACCESS_TOKEN_SECONDS)))
    }

    /// The secret key behind a live access token; revoked or expired keys, and expired or forged tokens,
    /// give `None`.
    pub async fn verify_access_token(&self, text: &str) -> Result<Option<Arc<StoredKey>>, DomainError> {
        let Some(token) = PresentedAccessToken::parse(text) else { return Ok(None) };
        let Some(stored) = self.find(&token.key_id).await? else { return Ok(None) };
        let now = now_utc();
        let ok = stored.key.kind == KeyKind::Secret
            && stored.key.is_usable(now)
            && token.verify(&stored.hash, now.unix_timestamp(), &self.secrets);
        Ok(ok.then_some(stored))
    }

    /// Whether this request should record the key's use (see `touch`); true at most once a minute per key
    /// in this process.
    pub fn claim_touch(&self, key: &ApiKey) -> bool {
        if !key.needs_touch(now_utc()) {
            return false;
        }
        let now = Instant::now();
        let recent = self.cache.touched.get(&key.id).is_some_and(|at| now.duration_since(at) < LAST_USED_RESOLUTION);
        if !recent {
            self.cache.touched.insert(key.id.clone(), now);
        }
        !recent
    }

    /// Records that a key was used, at most once a minute per key (see `ApiKey::needs_touch`).
    pub async fn touch(&self, key: &ApiKey) -> Result<(), DomainError> {
        let now = now_utc();
        if key.needs_touch(now) {
            self.store.touch_key(&key.id, now, now - LAST_USED_RESOLUTION).await?;
        }
        Ok(())
    }

    /// The key and project behind a presented key text, if it is a live key of ours. Unknown, malformed,
    /// revoked and expired keys all give `None`: the caller answers them alike.
    pub async fn verify(&self, text: &str) -> Result<Option<Arc<StoredKey>>, DomainError> {
        let Some(presented) = PresentedKey::parse(text) else {
            return Ok(None);
        };
        let Some(stored) = self.find(&presented.id).await? else {
            // The same comparison a known id costs, so that time does not tell ids apart.
            let _ = presented.matches(&UNKNOWN_KEY_HASH, &HashScheme::Sha256, &self.secrets);
            return Ok(None);
        };
        let genuine = presented.matches(&stored.hash, &stored.key.hash_scheme, &self.secrets)
            && presented.kind == stored.key.kind;
        Ok((genuine && stored.key.is_usable(now_utc())).then_some(stored))
    }
}

/// Applies the store's key changes to the cache until the cache is dropped (or the store stops reporting).
async fn apply_changes(
    cache: std::sync::Weak<KeyCache>,
    mut changes: KeyChanges,
    mut stopped: tokio::sync::watch::Receiver<()>,
) {
    loop {
        let change = tokio::select! {
            _ = stopped.changed() => return,
            change = changes.recv() => change,
        };
        match (change, cache.upgrade()) {
            (Some(change), Some(cache)) => cache.apply(change),
            _ => return,
        }
    }
}
