//! Permanent removal of personal data: what an erase or a retention purge removed, by kind, and the store
//! interface that removes it. The rules (who may, when a deleted user is due) are `services::ErasureService`.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::api_key::KeyId;
use crate::ids::ProjectId;
use crate::organization::Membership;
use crate::store::StoreError;

/// How many rows of each kind an erase or a purge removed (a dry run: would remove). Counts only: what is
/// logged and counted in metrics never names a person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ErasedCounts {
    pub users: u64,
    pub addresses: u64,
    pub memberships: u64,
    pub orders: u64,
    pub payment_methods: u64,
    pub subscriptions: u64,
    pub pricing: u64,
    pub external_refs: u64,
    /// Opaque attribute documents (Propeller's bulk `attributes`).
    pub attributes: u64,
    /// Keys bound to the removed users.
    pub keys: u64,
    /// Stored answers of `Idempotency-Key` requests that named a removed user.
    pub idempotency_records: u64,
}

impl ErasedCounts {
    /// Each kind with its count, in a fixed order (for metrics and logs).
    pub fn kinds(&self) -> [(&'static str, u64); 11] {
        [
            ("users", self.users),
            ("addresses", self.addresses),
            ("memberships", self.memberships),
            ("orders", self.orders),
            ("payment_methods", self.payment_methods),
            ("subscriptions", self.subscriptions),
            ("pricing", self.pricing),
            ("external_refs", self.external_refs),
            ("attributes", self.attributes),
            ("keys", self.keys),
            ("idempotency_records", self.idempotency_records),
        ]
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &ErasedCounts) {
        self.users += other.users;
        self.addresses += other.addresses;
        self.memberships += other.memberships;
        self.orders += other.orders;
        self.payment_methods += other.payment_methods;
        self.subscriptions += other.subscriptions;
        self.pricing += other.pricing;
        self.external_refs += other.external_refs;
        self.attributes += other.attributes;
        self.keys += other.keys;
        self.idempotency_records += other.idempotency_records;
    }
}

/// What one erase or purge batch removed: the counts, and the ids of the removed keys (so that this process
/// drops them from its key cache at once; other processes hear of it from the database).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    pub counts: ErasedCounts,
    pub keys: Vec<KeyId>,
}

/// Permanent removal of users and of every row that refers to them.
#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// Removes the user of the project with integer id `user_id`, live or deleted, with its addresses,
    /// memberships, records, pricing, external refs, bound keys and the idempotency records whose stored
    /// answer names its public id; one transaction. `None` when the project has no such user (never was, or
    /// another erase or purge removed it first).
    async fn erase_user(&self, project: &ProjectId, user_id: i64) -> Result<Option<Erased>, StoreError>;

    /// Removes, as `erase_user` does, up to `limit` users of the project deleted before `deleted_before`, in
    /// one transaction. Users another purger is removing at the same moment are skipped (PostgreSQL: `FOR
    /// UPDATE SKIP LOCKED`; SQLite has one writer), so concurrent purgers never wait on each other's rows and
    /// remove each user once. Fewer than `limit` users removed means none were left (or the rest are held).
    async fn purge_deleted_users(
        &self,
        project: &ProjectId,
        deleted_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Erased, StoreError>;

    /// What `purge_deleted_users` (until none were left) and `purge_expired_idempotency_records` would
    /// remove, without removing anything.
    async fn count_purgeable(
        &self,
        project: &ProjectId,
        deleted_before: OffsetDateTime,
        idempotency_expired_before: OffsetDateTime,
    ) -> Result<ErasedCounts, StoreError>;

    /// Every membership of the user, deleted or not, oldest first (for its export; `list_memberships` shows
    /// live users only).
    async fn memberships_of_user(&self, project: &ProjectId, user_id: i64) -> Result<Vec<Membership>, StoreError>;

    /// Removes up to `limit` of the project's idempotency records created before `expired_before` (past their
    /// replay window, so never replayed again, but still holding the answers they stored); how many.
    async fn purge_expired_idempotency_records(
        &self,
        project: &ProjectId,
        expired_before: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError>;
}
