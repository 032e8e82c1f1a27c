//! The store interface the services run against. Two implementations live in `userbase-store`
//! (SQLite and PostgreSQL); both pass one conformance suite.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::address::{Address, AddressFields, AddressKey, AddressKind, AddressType};
use crate::api_key::{ApiKey, KeyId, SecretHash};
use crate::error::Conflict;
use crate::filter::Filter;
use crate::ids::{AddressId, HumanId, ObjectId, ProjectId, PublicUserId};
use crate::page::{Page, PageRequest, Total};
use crate::project::Project;
use crate::record::{RecordFilter, RecordKind, UserRecord};
use crate::user::{BuiltonExtras, Profile, User, UserKey, UserStatus};
use crate::values::email::normalize_email;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule of the database refused the write.
    #[error("unique constraint: {0:?}")]
    Conflict(Conflict),
    /// The row changed since it was read (optimistic concurrency), or is gone.
    #[error("version mismatch")]
    VersionMismatch,
    /// A row the write refers to (its user, its organization) was removed meanwhile, e.g. by an erase that
    /// ran between the service's read and this write; nothing was changed.
    #[error("the {0} the write refers to is gone")]
    Gone(&'static str),
    /// The query ran out of its time bound (or waited that long for a turn to run); nothing was changed.
    #[error("the query took longer than the time bound")]
    Timeout,
    /// Any other failure of the database; the message is for logs only.
    #[error("database: {0}")]
    Backend(String),
}

/// Which uniqueness rules a user row takes part in; decided by the services, enforced by the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueClaims {
    /// The email is unique among live users of the project.
    pub email: bool,
    /// External refs and the auth subject are held (the user is not deleted).
    pub live: bool,
}

/// Whether an update must rewrite the user's external-ref rows (their values or their `live` claim
/// changed). Most updates leave them alone, and then the update is a single statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefsChange {
    Unchanged,
    Rewrite,
}

/// One user of `UserStore::update_users`: the user as it should be stored (at the version read), and what it
/// claims and changes beside its row (`update_user`'s arguments).
#[derive(Debug, Clone)]
pub struct UserUpdate {
    pub user: User,
    pub claims: UniqueClaims,
    pub refs: RefsChange,
}

/// Everything needed to insert a user; the store assigns `numeric_id` and `version`.
#[derive(Debug, Clone)]
pub struct NewUserRecord {
    pub project_id: ProjectId,
    pub public_id: PublicUserId,
    pub object_id: ObjectId,
    pub human_id: HumanId,
    pub profile: Profile,
    pub builton: BuiltonExtras,
    pub status: UserStatus,
    pub created_at: OffsetDateTime,
    pub last_login_at: Option<OffsetDateTime>,
    pub claims: UniqueClaims,
}

/// Everything needed to insert an address; the store assigns `numeric_id` and `version`.
#[derive(Debug, Clone)]
pub struct NewAddressRecord {
    pub project_id: ProjectId,
    /// The owning user's integer id.
    pub user_id: i64,
    pub public_id: AddressId,
    pub fields: AddressFields,
    pub created_at: OffsetDateTime,
}

/// What happened to one record of a bulk insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Inserted; the user's integer id (`numeric_id`), so that a caller can write what belongs to it.
    Inserted(i64),
    /// Left out: it would break a uniqueness rule.
    Conflict(Conflict),
}

/// Which key an upsert matches existing users by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpsertKey {
    /// The public `usr_` id.
    Id,
    /// The email, case-insensitively.
    Email,
    /// The `source_id` of the external reference with this `source`.
    ExternalRef(String),
    /// The integer id (`numeric_id`), given in decimal; values that are not integers match nothing.
    NumericId,
    /// An external reference of any source: the store matches users holding a live ref whose `source_id` is
    /// one of the values; a bulk upsert matches each item's first ref, source and id (Propeller's
    /// `source` + `sourceId` lookup key).
    AnyExternalRef,
}

/// The result of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key was free (or its record had expired) and is now held for this request.
    Claimed,
    /// The key is held: by a request with this hash, whose response is stored once it finished.
    Existing { hash: Vec<u8>, response: Option<crate::idempotency::StoredResponse> },
}

/// Everything needed to insert an organization.
#[derive(Debug, Clone)]
pub struct NewOrganizationRecord {
    pub project_id: ProjectId,
    pub public_id: crate::ids::OrganizationId,
    pub fields: crate::organization::OrganizationFields,
    pub created_at: OffsetDateTime,
}

/// The canonical list filter, built by its constructors so that every surface normalises the same way.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    email_normalized: Option<String>,
    include_deleted: bool,
    expr: Option<Filter>,
}

impl UserFilter {
    /// Every live user.
    pub fn live() -> Self {
        Self::default()
    }

    /// Users with this email, compared case-insensitively (as the uniqueness rule does).
    pub fn by_email(email: &str) -> Self {
        Self::live().with_email(Some(email))
    }

    /// Narrows to users with this email (case-insensitively), when one is given.
    pub fn with_email(mut self, email: Option<&str>) -> Self {
        self.email_normalized = email.map(normalize_email);
        self
    }

    /// Soft-deleted users too, when `yes`.
    pub fn including_deleted(mut self, yes: bool) -> Self {
        self.include_deleted = yes;
        self
    }

    /// Narrows to users matching a parsed filter expression, when one is given.
    pub fn matching(mut self, expr: Option<Filter>) -> Self {
        self.expr = expr;
        self
    }

    /// The exact email asked for, in normalised (lowercase) form.
    pub fn email_normalized(&self) -> Option<&str> {
        self.email_normalized.as_deref()
    }

    /// Whether soft-deleted users are listed too.
    pub fn include_deleted(&self) -> bool {
        self.include_deleted
    }

    /// The filter expression, parsed and type-checked.
    pub fn expr(&self) -> Option<&Filter> {
        self.expr.as_ref()
    }
}

/// A key as listed: the key and the public id of the user it is bound to, if any.
#[derive(Debug, Clone)]
pub struct ListedKey {
    pub key: ApiKey,
    pub user: Option<PublicUserId>,
}

/// A key found by id, with the stored hash to compare and its project.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub key: ApiKey,
    pub hash: Vec<u8>,
    /// Shared: a verified key is cached and handed to every request that presents it.
    pub project: std::sync::Arc<Project>,
}

/// Projects (tenants) and their settings.
#[async_trait]
pub trait ProjectStore: Send + Sync {
    async fn insert_project(&self, project: &Project) -> Result<(), StoreError>;

    async fn get_project(&self, id: &ProjectId) -> Result<Option<Project>, StoreError>;

    async fn list_projects(&self) -> Result<Vec<Project>, StoreError>;

    /// Writes a project's name and settings. Processes following `KeyStore::key_changes` learn of it.
    async fn update_project(&self, project: &Project) -> Result<(), StoreError>;
}

/// API keys, found by id; only hashes of secrets are stored.
#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn insert_key(&self, key: &ApiKey, hash: &SecretHash) -> Result<(), StoreError>;

    async fn find_key(&self, id: &KeyId) -> Result<Option<StoredKey>, StoreError>;

    /// The project's keys, oldest first, each with the public id of the user it is bound to (one query).
    async fn list_keys(&self, project: &ProjectId) -> Result<Vec<ListedKey>, StoreError>;

    /// Sets `last_used_at` to `at` unless it is already newer than `stale_before`.
    async fn touch_key(&self, id: &KeyId, at: OffsetDateTime, stale_before: OffsetDateTime) -> Result<(), StoreError>;

    /// Sets `revoked_at` unless already set; `None` when there is no such key. Processes following
    /// `key_changes` learn of it.
    async fn revoke_key(&self, id: &KeyId, at: OffsetDateTime) -> Result<Option<ApiKey>, StoreError>;

    /// Starts following revocations and project changes committed by any process on this database (so that a
    /// process caching verified keys can drop stale ones); the changes arrive on the receiver until it is
    /// dropped. Must be called inside a Tokio runtime. A store that cannot say what changed, or may have missed
    /// changes, sends `KeyChange::All`.
    fn key_changes(&self) -> KeyChanges;
}

/// Something that makes cached verified keys stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    /// This key was revoked.
    Key(KeyId),
    /// This project's name or settings changed (every verified key carries its project).
    Project(ProjectId),
    /// Something changed, or changes may have been missed: nothing cached can be trusted.
    All,
}

/// Where a store sends the `KeyChange`s it learns of.
pub type KeyChanges = tokio::sync::mpsc::Receiver<KeyChange>;

/// Users, their external refs and the uniqueness rules on them.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user and its external refs in one transaction. A human-id collision is retried with a
    /// fresh one; other uniqueness violations give `Conflict`.
    async fn insert_user(&self, user: &NewUserRecord) -> Result<User, StoreError>;

    /// Inserts many users in one transaction, each on its own terms: a record that would break a
    /// uniqueness rule is left out (its outcome says which), the others are inserted (their outcome carries
    /// the integer id). Human-id collisions are retried. Outcomes are in record order.
    async fn insert_users(&self, records: &[NewUserRecord]) -> Result<Vec<InsertOutcome>, StoreError>;

    /// The live users of the project whose `key` is one of `values`.
    async fn find_users_by(
        &self,
        project: &ProjectId,
        key: &UpsertKey,
        values: &[String],
    ) -> Result<Vec<User>, StoreError>;

    /// Finds a user of the project by any of its ids, deleted or not.
    async fn find_user(&self, project: &ProjectId, key: &UserKey) -> Result<Option<User>, StoreError>;

    /// Writes every mutable field of `user` if the stored version is still `user.version`; the stored
    /// version becomes `user.version + 1`. External refs are replaced in the same transaction.
    async fn update_user(&self, user: &User, claims: UniqueClaims, refs: RefsChange) -> Result<User, StoreError>;

    /// `update_user` for many users, each on its own: a stale version or a broken uniqueness rule fails that
    /// item only. One outcome per item, in order; only a failure of the store itself fails the call. Backends
    /// write them together (one transaction, not a commit per user); this default writes them one by one.
    async fn update_users(&self, updates: &[UserUpdate]) -> Result<Vec<Result<User, StoreError>>, StoreError> {
        let mut done = Vec::with_capacity(updates.len());
        for u in updates {
            done.push(self.update_user(&u.user, u.claims, u.refs).await);
        }
        Ok(done)
    }

    /// How many users match the filter, exactly, however long that takes (within the query time bound).
    async fn count_users(&self, project: &ProjectId, filter: &UserFilter) -> Result<u64, StoreError>;

    /// The total of a list (`include=total`): exact in O(1) without a filter (a maintained count), exact with
    /// one when counting finishes within the store's count budget, else an estimate flagged as such. Never
    /// slower than the query time bound.
    async fn total_users(&self, project: &ProjectId, filter: &UserFilter) -> Result<Total, StoreError> {
        Ok(Total::exact(self.count_users(project, filter).await?))
    }

    /// A page of users: newest first, or in `page.sort` order; from a place (keyset) or an offset. One query
    /// (plus a `LIMIT 1` look at the other side of a keyset page).
    async fn list_users(
        &self,
        project: &ProjectId,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, StoreError>;
}

/// Addresses of users.
#[async_trait]
pub trait AddressStore: Send + Sync {
    /// Inserts an address; when it is the default of its type, the user's other addresses of that type stop
    /// being default, in the same transaction.
    async fn insert_address(&self, address: &NewAddressRecord) -> Result<Address, StoreError>;

    /// Replaces a user's addresses of one kind: deletes them and inserts `records` (all of that user and
    /// kind), in order, each with the default-per-type rule of `insert_address`, in one transaction. On any
    /// failure nothing changes.
    async fn replace_addresses(
        &self,
        project: &ProjectId,
        user_id: i64,
        kind: AddressKind,
        records: &[NewAddressRecord],
    ) -> Result<Vec<Address>, StoreError>;

    /// Writes addresses of many users in one transaction (multi-row inserts where the backend gains from
    /// them): `inserts`, then `updates`, each only at its stored version (else `VersionMismatch`, and nothing
    /// is written); then every address written as the default of its type takes the flag from its user's
    /// other addresses of that type. The written addresses: the inserts in order, then the updates in order.
    async fn write_addresses(
        &self,
        project: &ProjectId,
        inserts: &[NewAddressRecord],
        updates: &[Address],
    ) -> Result<Vec<Address>, StoreError>;

    /// The addresses of many users of a project in one query, by user id then oldest first. Ids of another
    /// project's users give nothing.
    async fn addresses_of_users(&self, project: &ProjectId, user_ids: &[i64]) -> Result<Vec<Address>, StoreError>;

    /// A page of a user's addresses, newest first, from an address (`After`/`Before` its integer id) or an
    /// offset. Sort keys do not apply.
    async fn page_addresses(
        &self,
        project: &ProjectId,
        user_id: i64,
        page: &PageRequest,
    ) -> Result<Page<Address>, StoreError>;

    /// How many addresses a user has.
    async fn count_addresses(&self, project: &ProjectId, user_id: i64) -> Result<u64, StoreError>;

    /// A user's addresses, oldest first, optionally of one type.
    async fn list_addresses(
        &self,
        project: &ProjectId,
        user_id: i64,
        of_type: Option<AddressType>,
    ) -> Result<Vec<Address>, StoreError>;

    async fn find_address(
        &self,
        project: &ProjectId,
        user_id: i64,
        key: &AddressKey,
    ) -> Result<Option<Address>, StoreError>;

    /// Writes every field if the stored version is still `address.version` (else `VersionMismatch`), with
    /// the same default-per-type rule as `insert_address`.
    async fn update_address(&self, address: &Address) -> Result<Address, StoreError>;

    /// Deletes an address (only at `version`, when given); false when there was none to delete.
    async fn delete_address(
        &self,
        project: &ProjectId,
        user_id: i64,
        address_id: i64,
        version: Option<i64>,
    ) -> Result<bool, StoreError>;
}

/// Organizations and memberships.
#[async_trait]
pub trait OrganizationStore: Send + Sync {
    async fn insert_organization(
        &self,
        org: &NewOrganizationRecord,
    ) -> Result<crate::organization::Organization, StoreError>;

    async fn find_organization(
        &self,
        project: &ProjectId,
        key: &crate::organization::OrganizationKey,
    ) -> Result<Option<crate::organization::Organization>, StoreError>;

    /// Writes the fields if the stored version is still `org.version`.
    async fn update_organization(
        &self,
        org: &crate::organization::Organization,
    ) -> Result<crate::organization::Organization, StoreError>;

    /// Deletes an organization (memberships go with it; children and users keep no reference).
    async fn delete_organization(&self, project: &ProjectId, id: i64, version: Option<i64>)
        -> Result<bool, StoreError>;

    /// Newest first, after the organization with integer id `after`; whether more follow.
    async fn list_organizations(
        &self,
        project: &ProjectId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<crate::organization::Organization>, bool), StoreError>;

    /// Adds a membership or changes its role.
    async fn put_membership(
        &self,
        project: &ProjectId,
        organization_id: i64,
        user_id: i64,
        role: &str,
        now: OffsetDateTime,
    ) -> Result<crate::organization::Membership, StoreError>;

    /// Makes each user of `pairs` (organization id, user id) a member of its organization with `role` where it is
    /// not one already (an existing membership keeps its role); one transaction, not a statement per pair where
    /// the backend has round trips. The ids are of the project's organizations and users (the caller read them).
    async fn add_memberships(
        &self,
        project: &ProjectId,
        pairs: &[(i64, i64)],
        role: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    async fn delete_membership(
        &self,
        project: &ProjectId,
        organization_id: i64,
        user_id: i64,
    ) -> Result<bool, StoreError>;

    /// Inserts a user, an organization and the user's membership of it with `role`, and makes that
    /// organization the user's default (`profile.default_organization_id` of `user` is ignored), all in one
    /// transaction: on any failure (a uniqueness rule of the user) nothing is inserted.
    async fn insert_user_with_organization(
        &self,
        user: &NewUserRecord,
        org: &NewOrganizationRecord,
        role: &str,
    ) -> Result<(User, crate::organization::Membership), StoreError>;

    /// Memberships of an organization or of a user (or both), oldest first.
    async fn list_memberships(
        &self,
        project: &ProjectId,
        organization_id: Option<i64>,
        user_id: Option<i64>,
    ) -> Result<Vec<crate::organization::Membership>, StoreError>;
}

/// Orders, payment methods and subscriptions of users.
#[async_trait]
pub trait RecordStore: Send + Sync {
    async fn insert_record(&self, record: &crate::record::UserRecord) -> Result<crate::record::UserRecord, StoreError>;

    /// A record of a user, deleted or not.
    async fn find_record(
        &self,
        project: &ProjectId,
        user_id: i64,
        kind: crate::record::RecordKind,
        public_id: &str,
    ) -> Result<Option<crate::record::UserRecord>, StoreError>;

    /// Writes status, delivery status, details, timestamps if the version is unchanged.
    async fn update_record(&self, record: &crate::record::UserRecord) -> Result<crate::record::UserRecord, StoreError>;

    /// A page of a user's records of a kind matching the filter, from an offset (`First` or `Offset`), sorted
    /// by the one timestamp key of `page.sort`.
    async fn list_records(
        &self,
        project: &ProjectId,
        user_id: i64,
        kind: RecordKind,
        filter: &RecordFilter,
        page: &PageRequest,
    ) -> Result<Page<UserRecord>, StoreError>;

    /// How many of a user's records of a kind match the filter.
    async fn count_records(
        &self,
        project: &ProjectId,
        user_id: i64,
        kind: RecordKind,
        filter: &RecordFilter,
    ) -> Result<u64, StoreError>;
}

/// Pricing of users.
#[async_trait]
pub trait PricingStore: Send + Sync {
    /// Stores pricing items of a user; an item for a target that already has one replaces it. One
    /// transaction.
    async fn put_pricing(
        &self,
        project: &ProjectId,
        user_id: i64,
        items: &[crate::pricing::PricingItem],
    ) -> Result<(), StoreError> {
        self.put_pricing_of_users(project, &[(user_id, items.to_vec())]).await
    }

    /// `put_pricing` for many users (user id, items) in one transaction, with a statement per kind of row
    /// rather than per item where the backend has round trips. The ids are of the project's users.
    async fn put_pricing_of_users(
        &self,
        project: &ProjectId,
        users: &[(i64, Vec<crate::pricing::PricingItem>)],
    ) -> Result<(), StoreError>;

    async fn list_pricing(
        &self,
        project: &ProjectId,
        user_id: i64,
    ) -> Result<Vec<crate::pricing::PricingItem>, StoreError>;

    /// Removes all pricing of a user; how many items there were.
    async fn delete_pricing(&self, project: &ProjectId, user_id: i64) -> Result<u64, StoreError>;
}

/// Opaque attributes of users (Propeller's bulk `attributes`): one JSON document per user, kept as given.
#[async_trait]
pub trait AttributeStore: Send + Sync {
    /// Sets the attributes of many users of the project in one transaction (a user listed twice keeps the
    /// last). The ids are of the project's users (the caller read them); reads are scoped by project.
    async fn put_attributes(&self, project: &ProjectId, items: &[(i64, serde_json::Value)]) -> Result<(), StoreError>;

    async fn get_attributes(&self, project: &ProjectId, user_id: i64) -> Result<Option<serde_json::Value>, StoreError>;
}

/// Idempotency-key records.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request with `hash` unless a record newer than `expired_before` holds it (an
    /// older one is replaced). Atomic: of concurrent claims, one wins.
    async fn claim_idempotency_key(
        &self,
        project: &ProjectId,
        key: &str,
        hash: &[u8; 32],
        now: OffsetDateTime,
        expired_before: OffsetDateTime,
    ) -> Result<IdempotencyClaim, StoreError>;

    async fn complete_idempotency_key(
        &self,
        project: &ProjectId,
        key: &str,
        response: &crate::idempotency::StoredResponse,
    ) -> Result<(), StoreError>;

    async fn release_idempotency_key(&self, project: &ProjectId, key: &str) -> Result<(), StoreError>;
}

/// The whole store: every resource on one database. Both backends implement all of it.
#[async_trait]
pub trait Store:
    ProjectStore
    + KeyStore
    + UserStore
    + AddressStore
    + OrganizationStore
    + RecordStore
    + PricingStore
    + AttributeStore
    + IdempotencyStore
    + crate::erasure::ErasureStore
    + Send
    + Sync
    + 'static
{
    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Ends a bulk load (`userbase import`): leaves the indexes as queries expect them after one, e.g. work
    /// a store deferred during the load done now. Nothing to do by default.
    async fn finish_bulk_load(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
