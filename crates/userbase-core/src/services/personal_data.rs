//! Personal data: permanent erase of one user, the retention purge of users deleted longer ago than their
//! project keeps them (`deleted_retention_days`), and the export of everything stored about one user. Erase and
//! purge remove the same rows (`ErasureStore`); what they removed is counted (`RemovedTotals`) and answered as
//! counts, for callers to log (counts and ids, never personal data).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::address::Address;
use crate::api_key::ApiKey;
use crate::erasure::{Erased, ErasedCounts};
use crate::error::DomainError;
use crate::idempotency::REPLAY_WINDOW;
use crate::ids::{ProjectId, PublicUserId};
use crate::organization::Membership;
use crate::page::{PageRequest, Position, SortField, SortKey};
use crate::pricing::PricingItem;
use crate::project::Project;
use crate::record::{RecordFilter, RecordKind, UserRecord};
use crate::store::Store;
use crate::user::{User, UserKey};

use super::KeyService;

/// Users removed per purge transaction: enough to purge quickly, few enough that no transaction holds
/// rows or the SQLite writer for long.
pub const PURGE_BATCH: u32 = 500;

/// Records read per page when exporting (the store's page limit).
const EXPORT_PAGE: u32 = 200;

/// What an erase removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub user_id: PublicUserId,
    pub counts: ErasedCounts,
}

/// Everything stored about one user (for access and portability requests).
#[derive(Debug, Clone)]
pub struct SubjectData {
    pub user: User,
    /// Oldest first.
    pub addresses: Vec<Address>,
    /// Oldest first.
    pub memberships: Vec<Membership>,
    /// Orders, payment methods and subscriptions, deleted ones too, each kind oldest first.
    pub records: Vec<UserRecord>,
    pub pricing: Vec<PricingItem>,
    /// Opaque attributes sent through Propeller's bulk, as given.
    pub attributes: Option<serde_json::Value>,
    /// Keys bound to the user (the store keeps only their hashes).
    pub keys: Vec<ApiKey>,
}

/// Rows removed by erases and by purges since the process started, by kind (for `/metrics`).
#[derive(Debug, Default)]
pub struct RemovedTotals {
    erased: [AtomicU64; 10],
    purged: [AtomicU64; 10],
}

impl RemovedTotals {
    fn add(totals: &[AtomicU64; 10], counts: &ErasedCounts) {
        for (total, (_, n)) in totals.iter().zip(counts.kinds()) {
            total.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// `(cause, kind, rows)` for every cause (`erase`, `purge`) and kind.
    pub fn snapshot(&self) -> Vec<(&'static str, &'static str, u64)> {
        let kinds = ErasedCounts::default().kinds();
        let mut out = Vec::with_capacity(20);
        for (cause, totals) in [("erase", &self.erased), ("purge", &self.purged)] {
            for (total, (kind, _)) in totals.iter().zip(kinds) {
                out.push((cause, kind, total.load(Ordering::Relaxed)));
            }
        }
        out
    }
}

#[derive(Clone)]
pub struct PersonalDataService {
    store: Arc<dyn Store>,
    keys: Option<KeyService>,
    totals: Arc<RemovedTotals>,
}

impl PersonalDataService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, keys: None, totals: Arc::default() }
    }

    /// Keys removed with their users leave this cache at once (other processes hear of it from the database).
    pub fn with_key_cache(mut self, keys: KeyService) -> Self {
        self.keys = Some(keys);
        self
    }

    /// What erases and purges of this service removed so far.
    pub fn totals(&self) -> Arc<RemovedTotals> {
        self.totals.clone()
    }

    fn removed(&self, erased: &Erased) {
        if let Some(keys) = &self.keys {
            keys.forget_keys(&erased.keys);
        }
    }

    /// The user of the project, live or deleted.
    async fn find(&self, project: &Project, key: &UserKey) -> Result<User, DomainError> {
        self.store.find_user(&project.id, key).await?.ok_or_else(DomainError::user_not_found)
    }

    /// Permanently removes a user, live or deleted, and everything that refers to it, in one transaction.
    /// Its email and external refs become free; it cannot be restored. A user that is gone (erased, purged,
    /// never was) is `NotFound`.
    pub async fn erase(&self, project: &Project, key: &UserKey) -> Result<Erasure, DomainError> {
        let user = self.find(project, key).await?;
        let erased =
            self.store.erase_user(&project.id, user.numeric_id).await?.ok_or_else(DomainError::user_not_found)?;
        self.removed(&erased);
        RemovedTotals::add(&self.totals.erased, &erased.counts);
        Ok(Erasure { user_id: user.public_id, counts: erased.counts })
    }

    /// When users deleted before it are due for the purge.
    fn cutoff(project: &Project, now: OffsetDateTime) -> OffsetDateTime {
        now - Duration::days(i64::from(project.settings.deleted_retention_days))
    }

    /// Permanently removes the project's users deleted longer ago than its retention, with everything that
    /// refers to them, `PURGE_BATCH` users per transaction; and its idempotency records past their replay
    /// window (they keep the answers they stored). Safe to run in several processes at once: each user is
    /// removed by one of them.
    pub async fn purge(&self, project: &Project, now: OffsetDateTime) -> Result<ErasedCounts, DomainError> {
        let mut counts = ErasedCounts::default();
        let cutoff = Self::cutoff(project, now);
        loop {
            let batch = self.store.purge_deleted_users(&project.id, cutoff, PURGE_BATCH).await?;
            self.removed(&batch);
            RemovedTotals::add(&self.totals.purged, &batch.counts);
            counts.add(&batch.counts);
            if batch.counts.users < u64::from(PURGE_BATCH) {
                break;
            }
        }
        loop {
            let removed =
                self.store.purge_expired_idempotency_records(&project.id, now - REPLAY_WINDOW, PURGE_BATCH).await?;
            let batch = ErasedCounts { idempotency_records: removed, ..ErasedCounts::default() };
            RemovedTotals::add(&self.totals.purged, &batch);
            counts.add(&batch);
            if removed < u64::from(PURGE_BATCH) {
                break;
            }
        }
        Ok(counts)
    }

    /// What `purge` would remove now, removing nothing.
    pub async fn purgeable(&self, project: &Project, now: OffsetDateTime) -> Result<ErasedCounts, DomainError> {
        Ok(self.store.count_purgeable(&project.id, Self::cutoff(project, now), now - REPLAY_WINDOW).await?)
    }

    /// Purges every project, one after the other; a project that fails does not stop the others. What each
    /// project's purge removed, or why it failed.
    pub async fn purge_all(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<(ProjectId, Result<ErasedCounts, DomainError>)>, DomainError> {
        let mut results = Vec::new();
        for project in self.store.list_projects().await? {
            let result = self.purge(&project, now).await;
            results.push((project.id, result));
        }
        Ok(results)
    }

    /// Everything stored about a user, live or deleted (an operator exports before erasing).
    pub async fn export(&self, project: &Project, key: &UserKey) -> Result<SubjectData, DomainError> {
        let user = self.find(project, key).await?;
        let (p, id) = (&project.id, user.numeric_id);
        let addresses = self.store.list_addresses(p, id, None).await?;
        let memberships = self.store.memberships_of_user(p, id).await?;
        let mut records = Vec::new();
        let every = RecordFilter { include_deleted: true, ..RecordFilter::default() };
        let oldest_first = vec![SortKey { field: SortField::CreatedAt, descending: false }];
        for kind in [RecordKind::Order, RecordKind::PaymentMethod, RecordKind::Subscription] {
            let mut offset = 0;
            loop {
                let request = PageRequest::at(Position::Offset(offset), EXPORT_PAGE).sorted(oldest_first.clone());
                let page = self.store.list_records(p, id, kind, &every, &request).await?;
                offset += page.items.len() as u64;
                records.extend(page.items);
                if !page.more_after {
                    break;
                }
            }
        }
        let pricing = self.store.list_pricing(p, id).await?;
        let attributes = self.store.get_attributes(p, id).await?;
        let keys = self
            .store
            .list_keys(p)
            .await?
            .into_iter()
            .map(|listed| listed.key)
            .filter(|key| key.user_id == Some(id))
            .collect();
        Ok(SubjectData { user, addresses, memberships, records, pricing, attributes, keys })
    }
}
