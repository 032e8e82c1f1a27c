//! Bulk create and upsert of users. Each item succeeds or fails on its own; a batch of valid items is
//! written in one store call (multi-row inserts), so importing is fast without giving up per-item results.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Conflict, DomainError, FieldError};
use crate::ids::PublicUserId;
use crate::project::Project;
use crate::store::{InsertOutcome, NewUserRecord, Store, StoreError, UpsertKey, UserUpdate};
use crate::time_util::now_utc;
use crate::user::{User, UserKey};
use crate::values::MetadataLimits;

use super::bulk_plan::KeptForRace;
use super::{BulkPlan, UserPatch, UserService};

/// Most items a caller should hand to one `apply` call; bigger inputs are cut into batches of this size.
pub const BULK_BATCH: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkMode {
    /// Every item creates a user.
    Create,
    /// An item whose key matches a live user updates it (patch semantics); the others create users.
    Upsert(UpsertKey),
}

/// One input item, already translated from its surface's format.
#[derive(Debug, Clone, Default)]
pub struct BulkItem {
    /// The `usr_` id an upsert by id matches on.
    pub id: Option<String>,
    pub fields: UserPatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Created,
    Updated,
    /// The item matched a user it would not change; nothing was written.
    Unchanged,
}

impl BulkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            BulkAction::Created => "created",
            BulkAction::Updated => "updated",
            BulkAction::Unchanged => "unchanged",
        }
    }
}

/// How many items of a bulk run ended each way (the API's answer and the CLI import's summary).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BulkCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

impl BulkCounts {
    pub fn add(&mut self, action: BulkAction) {
        match action {
            BulkAction::Created => self.created += 1,
            BulkAction::Updated => self.updated += 1,
            BulkAction::Unchanged => self.unchanged += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.created + self.updated + self.unchanged + self.failed
    }
}

/// What was done to which user, with both of its ids (`BulkService::apply_detailed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkDone {
    pub action: BulkAction,
    pub public_id: PublicUserId,
    pub numeric_id: i64,
}

/// The result for one item: what was done to which user, or why nothing was.
pub type BulkOutcome = Result<(BulkAction, PublicUserId), DomainError>;

#[derive(Clone)]
pub struct BulkService {
    store: Arc<dyn Store>,
    users: UserService,
}

impl BulkService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { users: UserService::new(store.clone()), store }
    }

    /// Applies a batch; one outcome per item, in order. Only a failure of the store itself fails the call.
    pub async fn apply(
        &self,
        project: &Project,
        mode: &BulkMode,
        items: Vec<BulkItem>,
        limits: MetadataLimits,
    ) -> Result<Vec<BulkOutcome>, DomainError> {
        let done = self.apply_detailed(project, mode, items, limits).await?;
        Ok(done.into_iter().map(|o| o.map(|d| (d.action, d.public_id))).collect())
    }

    /// `apply`, answering each user's integer id too, so that a caller can write what the items carry beside
    /// the user (addresses, attributes).
    pub async fn apply_detailed(
        &self,
        project: &Project,
        mode: &BulkMode,
        items: Vec<BulkItem>,
        limits: MetadataLimits,
    ) -> Result<Vec<Result<BulkDone, DomainError>>, DomainError> {
        let plan = self.plan(project, mode, items, limits).await?;
        self.write(project, mode, plan, limits).await
    }

    /// Looks up the users a batch matches and checks every item, writing nothing: an item that would change
    /// nothing, or is invalid, is settled here.
    pub async fn plan(
        &self,
        project: &Project,
        mode: &BulkMode,
        items: Vec<BulkItem>,
        limits: MetadataLimits,
    ) -> Result<BulkPlan, DomainError> {
        let mut plan = BulkPlan {
            outcomes: (0..items.len()).map(|_| None).collect(),
            updates: Vec::new(),
            creates: Vec::with_capacity(items.len()),
        };
        // Items to insert: position, the upsert key's value, the fields.
        let mut to_create: Vec<(usize, Option<String>, UserPatch)> = Vec::new();
        match mode {
            BulkMode::Create => to_create = items.into_iter().enumerate().map(|(n, i)| (n, None, i.fields)).collect(),
            BulkMode::Upsert(key) => {
                let keys: Vec<Result<String, DomainError>> = items.iter().map(|i| key_of(key, i)).collect();
                let values: Vec<String> =
                    keys.iter().filter_map(|k| k.as_ref().ok().map(|k| store_value(key, k).to_owned())).collect();
                let existing = self.store.find_users_by(&project.id, key, &values).await?;
                let found = index_by_key(key, &existing);
                for (n, (item, k)) in items.into_iter().zip(keys).enumerate() {
                    let k = match k {
                        Ok(k) => k,
                        Err(e) => {
                            plan.outcomes[n] = Some(Err(e));
                            continue;
                        }
                    };
                    match found.get(&k) {
                        Some(user) => match changed(user, &item.fields, limits) {
                            Ok(Some(to)) => plan.updates.push((n, (*user).clone(), to, item.fields)),
                            Ok(None) => plan.outcomes[n] = Some(Ok(done(BulkAction::Unchanged, user))),
                            Err(e) => plan.outcomes[n] = Some(Err(e)),
                        },
                        None if *key == UpsertKey::Id => plan.outcomes[n] = Some(Err(DomainError::user_not_found())),
                        // An unknown integer id creates a user, with an id of the store's choosing.
                        None if *key == UpsertKey::NumericId => to_create.push((n, None, item.fields)),
                        None => to_create.push((n, Some(k), item.fields)),
                    }
                }
            }
        }
        for (n, key_value, fields) in to_create {
            // An upsert keeps the fields, in case the insert loses a race and becomes an update.
            let kept = key_value.map(|v| (v, fields.clone()));
            match UserService::new_record(project, fields, limits) {
                Ok(r) => plan.creates.push((n, r, kept)),
                Err(e) => plan.outcomes[n] = Some(Err(e)),
            }
        }
        Ok(plan)
    }

    /// Writes a plan: the changed users one by one, the new ones in one store call. One outcome per item, in
    /// order; only a failure of the store itself fails the call.
    pub async fn write(
        &self,
        project: &Project,
        mode: &BulkMode,
        plan: BulkPlan,
        limits: MetadataLimits,
    ) -> Result<Vec<Result<BulkDone, DomainError>>, DomainError> {
        let BulkPlan { mut outcomes, updates, creates } = plan;
        // The changed users in one store call; one that changed since it was read gets the item's fields
        // applied to what is stored now (`write_update`'s fallback).
        let mut changes = Vec::with_capacity(updates.len());
        let mut items = Vec::with_capacity(updates.len());
        for (n, user, to, fields) in updates {
            changes.push(change(project, &user, to));
            items.push((n, user.numeric_id, fields));
        }
        let written = self.store.update_users(&changes).await?;
        for ((n, numeric_id, fields), result) in items.into_iter().zip(written) {
            outcomes[n] = Some(self.settle_update(project, numeric_id, fields, limits, result).await);
        }
        let (records, kept): (Vec<NewUserRecord>, Vec<(usize, Option<KeptForRace>)>) =
            creates.into_iter().map(|(n, r, k)| (r, (n, k))).unzip();
        let inserted = self.store.insert_users(&records).await?;
        // Items whose insert lost a race on the upsert key itself: another request created that user since
        // it was looked up. An upsert then updates the winner instead.
        let mut lost: Vec<(usize, String, UserPatch)> = Vec::new();
        for (((n, kept), record), outcome) in kept.into_iter().zip(records).zip(inserted) {
            outcomes[n] = Some(match (outcome, kept) {
                (InsertOutcome::Inserted(numeric_id), _) => {
                    Ok(BulkDone { action: BulkAction::Created, public_id: record.public_id, numeric_id })
                }
                (InsertOutcome::Conflict(c), Some((value, fields))) if lost_on_key(mode, c) => {
                    lost.push((n, value, fields));
                    continue;
                }
                (InsertOutcome::Conflict(c), _) => Err(DomainError::Conflict(c)),
            });
        }
        if let (BulkMode::Upsert(key), false) = (mode, lost.is_empty()) {
            let values: Vec<String> = lost.iter().map(|(_, v, _)| store_value(key, v).to_owned()).collect();
            let winners = self.store.find_users_by(&project.id, key, &values).await?;
            let found = index_by_key(key, &winners);
            for (n, value, fields) in lost {
                outcomes[n] = Some(match found.get(&value) {
                    Some(user) => self.upsert_existing(project, user, fields, limits).await,
                    // The winner is gone again (deleted meanwhile): the conflict stands.
                    None => Err(DomainError::Conflict(if *key == UpsertKey::Email {
                        Conflict::Email
                    } else {
                        Conflict::ExternalRef
                    })),
                });
            }
        }
        Ok(settled(outcomes))
    }
}

fn done(action: BulkAction, u: &User) -> BulkDone {
    BulkDone { action, public_id: u.public_id.clone(), numeric_id: u.numeric_id }
}

/// The user as the item would leave it, or `None` if the item changes nothing.
fn changed(user: &User, fields: &UserPatch, limits: MetadataLimits) -> Result<Option<User>, DomainError> {
    let mut to = user.clone();
    fields.clone().apply(&mut to.profile, &mut to.status, limits)?;
    if to.profile == user.profile && to.status == user.status {
        return Ok(None);
    }
    to.updated_at = now_utc();
    Ok(Some(to))
}

impl BulkService {
    /// Applies an item to the user it matched, writing only if something changes.
    async fn upsert_existing(
        &self,
        project: &Project,
        user: &User,
        fields: UserPatch,
        limits: MetadataLimits,
    ) -> Result<BulkDone, DomainError> {
        match changed(user, &fields, limits)? {
            None => Ok(done(BulkAction::Unchanged, user)),
            Some(to) => self.write_update(project, user, to, fields, limits).await,
        }
    }

    /// Writes `to` over `user` as read; if someone else wrote the user since, applies the item's fields to the
    /// current version instead.
    async fn write_update(
        &self,
        project: &Project,
        user: &User,
        to: User,
        fields: UserPatch,
        limits: MetadataLimits,
    ) -> Result<BulkDone, DomainError> {
        let c = change(project, user, to);
        let written = self.store.update_user(&c.user, c.claims, c.refs).await;
        self.settle_update(project, user.numeric_id, fields, limits, written).await
    }

    /// An item's outcome from the write of its user: if someone else wrote the user since it was read
    /// (`VersionMismatch`), the item's fields are applied to the current version instead.
    async fn settle_update(
        &self,
        project: &Project,
        numeric_id: i64,
        fields: UserPatch,
        limits: MetadataLimits,
        written: Result<User, StoreError>,
    ) -> Result<BulkDone, DomainError> {
        match written {
            Ok(u) => Ok(done(BulkAction::Updated, &u)),
            Err(StoreError::VersionMismatch) => {
                let u = self.users.update(project, &UserKey::Numeric(numeric_id), fields, limits, None).await?;
                Ok(done(BulkAction::Updated, &u))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The store's update of `user`, as read, to `to`: what its row claims and whether its refs change.
fn change(project: &Project, user: &User, to: User) -> UserUpdate {
    let refs = super::users::RefRows::of(project, user).change_to(project, &to);
    UserUpdate { claims: super::users::claims_of(project, &to), refs, user: to }
}

/// One outcome per item from outcomes filled in by position; a hole is an internal error, not a panic.
pub(super) fn settled<T>(outcomes: Vec<Option<Result<T, DomainError>>>) -> Vec<Result<T, DomainError>> {
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(DomainError::Internal("bulk item without an outcome".into()))))
        .collect()
}

/// Whether an insert's conflict is on the upsert key itself (another writer created that user first).
fn lost_on_key(mode: &BulkMode, conflict: Conflict) -> bool {
    matches!(
        (mode, conflict),
        (BulkMode::Upsert(UpsertKey::Email), Conflict::Email)
            | (BulkMode::Upsert(UpsertKey::ExternalRef(_) | UpsertKey::AnyExternalRef), Conflict::ExternalRef)
    )
}

/// The value an item is matched on.
pub(super) fn key_of(key: &UpsertKey, item: &BulkItem) -> Result<String, DomainError> {
    let missing = |field: &str, what: &str| DomainError::Invalid(vec![FieldError::new(field, "required", what)]);
    match key {
        UpsertKey::Id | UpsertKey::NumericId => {
            item.id.clone().ok_or_else(|| missing("id", "An upsert by id needs the user's id."))
        }
        UpsertKey::AnyExternalRef => item
            .fields
            .external_refs
            .as_ref()
            .and_then(|refs| refs.first())
            .map(|r| pair_key(r.source(), r.source_id()))
            .ok_or_else(|| missing("external_refs", "An upsert by external ref needs a ref.")),
        UpsertKey::Email => match &item.fields.email {
            crate::patch::Patch::Set(e) => Ok(e.normalized()),
            _ => Err(missing("email", "An upsert by email needs an email.")),
        },
        UpsertKey::ExternalRef(source) => item
            .fields
            .external_refs
            .as_ref()
            .and_then(|refs| refs.iter().find(|r| r.source() == source))
            .map(|r| r.source_id().to_owned())
            .ok_or_else(|| missing("external_refs", "An upsert by external ref needs a ref with that source.")),
    }
}

/// The key of an item upserted by its (source, source id) pair; NUL cannot occur in either part.
fn pair_key(source: &str, source_id: &str) -> String {
    format!("{source}\u{0}{source_id}")
}

/// What the store matches an item's key value on: the source id of a pair, else the value itself.
fn store_value<'a>(key: &UpsertKey, value: &'a str) -> &'a str {
    match key {
        UpsertKey::AnyExternalRef => value.split_once('\u{0}').map_or(value, |(_, id)| id),
        _ => value,
    }
}

/// Existing users by the key value they match; with duplicates (possible where emails are not unique),
/// the oldest wins.
fn index_by_key<'a>(key: &UpsertKey, users: &'a [User]) -> HashMap<String, &'a User> {
    let mut map = HashMap::new();
    for u in users {
        let values: Vec<String> = match key {
            UpsertKey::Id => vec![u.public_id.as_str().to_owned()],
            UpsertKey::NumericId => vec![u.numeric_id.to_string()],
            UpsertKey::AnyExternalRef => {
                u.profile.external_refs.iter().map(|r| pair_key(r.source(), r.source_id())).collect()
            }
            UpsertKey::Email => u.profile.email.iter().map(|e| e.normalized()).collect(),
            UpsertKey::ExternalRef(source) => u
                .profile
                .external_refs
                .iter()
                .filter(|r| r.source() == source)
                .map(|r| r.source_id().to_owned())
                .collect(),
        };
        for v in values {
            map.entry(v).or_insert(u);
        }
    }
    map
}

impl From<Conflict> for DomainError {
    fn from(c: Conflict) -> Self {
        DomainError::Conflict(c)
    }
}
