//! Bulk upserts of users with what each item carries beside the user (Propeller's bulk endpoints): a parent
//! group, addresses upserted by code, opaque attributes and pricing. A batch is planned whole first (the
//! users it matches and their addresses read, every item checked), so that an item that must fail fails
//! before anything of it is written; then the users are written as `BulkService::apply` writes them, their
//! addresses in one more store write, their attributes in one more.

use std::collections::HashMap;
use std::sync::Arc;

use crate::address::Address;
use crate::error::{DomainError, FieldError};
use crate::patch::Patch;
use crate::pricing::PricingItem;
use crate::project::Project;
use crate::store::{Store, StoreError};
use crate::time_util::now_utc;
use crate::values::{GroupRef, MetadataLimits};

use super::addresses::UpsertedAddresses;
use super::bulk::{key_of, settled};
use super::{
    AddressAction, AddressBatch, AddressPatch, AddressPlan, AddressService, BulkAction, BulkDone, BulkItem, BulkMode,
    BulkService, OrganizationService, PlannedUser, MAX_ADDRESSES_PER_USER, MEMBER_ROLE,
};

/// One item: the user and what it carries.
#[derive(Debug, Clone, Default)]
pub struct NestedItem {
    pub item: BulkItem,
    /// The parent group: the user's `parent_group` becomes the organization's integer id, and the user a
    /// member of it (`OrganizationService::resolve_group`).
    pub parent: Option<GroupRef>,
    /// Upserted by code (`AddressService::upsert_by_code`); `None` leaves the user's addresses alone.
    pub addresses: Option<Vec<AddressPatch>>,
    /// Replaces the user's attributes document.
    pub attributes: Option<serde_json::Value>,
    /// Added to the user's pricing (`PricingService::put` semantics).
    pub pricing: Vec<PricingItem>,
}

/// What one item did: to the user, and to each of its addresses in order.
#[derive(Debug, Clone)]
pub struct NestedDone {
    pub user: BulkDone,
    pub addresses: Vec<(AddressAction, i64)>,
}

#[derive(Clone)]
pub struct NestedBulkService {
    store: Arc<dyn Store>,
    bulk: BulkService,
    addresses: AddressService,
    organizations: OrganizationService,
}

impl NestedBulkService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            bulk: BulkService::new(store.clone()),
            addresses: AddressService::new(store.clone()),
            organizations: OrganizationService::new(store.clone()),
            store,
        }
    }

    /// Applies a batch of any size; one outcome per item, in order. From `TWO_LANES_FROM` items on, the batch
    /// is written as two halves at once (`apply_one` each): on PostgreSQL each half has a connection, so the
    /// database works on two cores, and on SQLite one half is planned while the other is written. Items are
    /// split by their upsert key, so that items naming the same user stay in one half, in input order.
    pub async fn apply(
        &self,
        project: &Project,
        mode: &BulkMode,
        items: Vec<NestedItem>,
        limits: MetadataLimits,
    ) -> Result<Vec<Result<NestedDone, DomainError>>, DomainError> {
        if items.len() < TWO_LANES_FROM {
            return self.apply_one(project, mode, items, limits).await;
        }
        let mut lanes: [(Vec<usize>, Vec<NestedItem>); 2] = Default::default();
        for (n, item) in items.into_iter().enumerate() {
            let lane = match mode {
                BulkMode::Upsert(key) => key_of(key, &item.item).map_or(0, |k| lane_of(&k)),
                BulkMode::Create => n % 2,
            };
            lanes[lane].0.push(n);
            lanes[lane].1.push(item);
        }
        let [(first_at, first), (second_at, second)] = lanes;
        // Tasks of their own, so that both lanes' work in this process (planning, and SQLite's writes, which
        // run on the task that holds the writer) can run on two threads.
        let lane = |items: Vec<NestedItem>| {
            let (this, project, mode) = (self.clone(), project.clone(), mode.clone());
            tokio::spawn(async move { this.apply_one(&project, &mode, items, limits).await })
        };
        let (first, second) = (lane(first), lane(second));
        let joined = |r: Result<_, tokio::task::JoinError>| {
            r.unwrap_or_else(|e| Err(DomainError::Internal(format!("a bulk lane failed: {e}"))))
        };
        let (first, second) = (joined(first.await), joined(second.await));
        let mut outcomes: Vec<Option<Result<NestedDone, DomainError>>> =
            (0..first_at.len() + second_at.len()).map(|_| None).collect();
        for (at, done) in first_at.into_iter().zip(first?).chain(second_at.into_iter().zip(second?)) {
            outcomes[at] = Some(done);
        }
        Ok(settled(outcomes))
    }

    /// Applies a batch in one lane; one outcome per item, in order. Each item is all or
    /// nothing: everything that can refuse it (a parent that names no organization, a field, an address
    /// without a type, more addresses than a user may have) is checked against the users and addresses as read
    /// before anything of the batch is written. Only a failure of the store itself fails the call.
    async fn apply_one(
        &self,
        project: &Project,
        mode: &BulkMode,
        items: Vec<NestedItem>,
        limits: MetadataLimits,
    ) -> Result<Vec<Result<NestedDone, DomainError>>, DomainError> {
        let mut outcomes: Vec<Option<Result<NestedDone, DomainError>>> = (0..items.len()).map(|_| None).collect();
        // Parents are resolved once per distinct reference.
        let mut parents: Vec<(GroupRef, Result<i64, Vec<FieldError>>)> = Vec::new();
        let mut valid = Vec::with_capacity(items.len());
        let mut rest = Vec::with_capacity(items.len());
        for (n, mut nested) in items.into_iter().enumerate() {
            if nested.addresses.as_ref().is_some_and(|a| a.len() > MAX_ADDRESSES_PER_USER) {
                outcomes[n] = Some(Err(DomainError::invalid(
                    "addresses",
                    "too_many_addresses",
                    format!("A user has at most {MAX_ADDRESSES_PER_USER} addresses."),
                )));
                continue;
            }
            let mut org_id = None;
            if let Some(group) = &nested.parent {
                let known = parents.iter().find(|(g, _)| g == group).map(|(_, r)| r.clone());
                let resolved = match known {
                    Some(r) => r,
                    None => {
                        // A parent that names nothing fails its items; anything else fails the batch.
                        let r = match self.organizations.resolve_group(project, group).await {
                            Ok(org) => Ok(org.numeric_id),
                            Err(DomainError::Invalid(errors)) => Err(errors),
                            Err(e) => return Err(e),
                        };
                        parents.push((group.clone(), r.clone()));
                        r
                    }
                };
                match resolved {
                    Ok(id) => {
                        nested.item.fields.parent_group = Patch::Set(GroupRef::Id { id });
                        org_id = Some(id);
                    }
                    Err(errors) => {
                        outcomes[n] = Some(Err(DomainError::Invalid(errors)));
                        continue;
                    }
                }
            }
            valid.push(nested.item);
            let addresses = nested.addresses.filter(|a| !a.is_empty());
            rest.push(Rest { n, org_id, addresses, attributes: nested.attributes, pricing: nested.pricing });
        }
        let mut plan = self.bulk.plan(project, mode, valid, limits).await?;
        let targets = plan.targets();
        let address_plans = self.plan_addresses(project, &targets, &rest).await?;
        let mut planned = Vec::with_capacity(rest.len());
        for (k, address_plan) in address_plans.into_iter().enumerate() {
            match address_plan {
                Ok(p) => planned.push(p),
                Err(e) => {
                    plan.refuse(k, e);
                    planned.push(None);
                }
            }
        }
        let users = self.bulk.write(project, mode, plan, limits).await?;
        let mut batch = AddressBatch::default();
        // The same addresses as (user, patches): upserted again if an address changed since it was read.
        let mut again: Vec<(i64, Vec<AddressPatch>)> = Vec::new();
        // Items whose insert lost a race and updated the user another request had just created: their
        // addresses are upserted against that user's, as read then.
        let mut late: Vec<(i64, Vec<AddressPatch>)> = Vec::new();
        let mut attributes = Vec::new();
        let mut memberships = Vec::new();
        let mut pricing = Vec::new();
        let mut written: Vec<(usize, BulkDone, Place)> = Vec::with_capacity(users.len());
        for (((outcome, r), address_plan), target) in users.into_iter().zip(rest).zip(planned).zip(targets) {
            let done = match outcome {
                Ok(done) => done,
                Err(e) => {
                    outcomes[r.n] = Some(Err(e));
                    continue;
                }
            };
            if let Some(org_id) = r.org_id {
                memberships.push((org_id, done.numeric_id));
            }
            if !r.pricing.is_empty() {
                pricing.push((done.numeric_id, r.pricing));
            }
            if let Some(attrs) = r.attributes {
                attributes.push((done.numeric_id, attrs));
            }
            let place = match (r.addresses, address_plan) {
                (Some(patches), _) if target == PlannedUser::New && done.action != BulkAction::Created => {
                    late.push((done.numeric_id, patches));
                    Place::Late(late.len() - 1)
                }
                (Some(patches), Some(p)) => {
                    batch.add(project, done.numeric_id, p);
                    again.push((done.numeric_id, patches));
                    Place::Batch(again.len() - 1)
                }
                _ => Place::None,
            };
            written.push((r.n, done, place));
        }
        // What the items carry beside the user, a store call per kind for the whole batch.
        self.store.add_memberships(&project.id, &memberships, MEMBER_ROLE, now_utc()).await?;
        self.store.put_pricing_of_users(&project.id, &pricing).await?;
        self.store.put_attributes(&project.id, &attributes).await?;
        let mut in_batch = self.write_batch(project, batch, again).await?;
        let mut in_late: Vec<Option<UpsertedAddresses>> = match late.is_empty() {
            true => Vec::new(),
            false => self.addresses.upsert_by_code(project, late).await?.into_iter().map(Some).collect(),
        };
        for (n, user, place) in written {
            let result = match place {
                Place::None => Some(Ok(Vec::new())),
                Place::Batch(i) => in_batch.get_mut(i).and_then(Option::take),
                Place::Late(i) => in_late.get_mut(i).and_then(Option::take),
            };
            outcomes[n] = Some(match result {
                Some(Ok(list)) => Ok(NestedDone {
                    user,
                    addresses: list.into_iter().map(|(action, a)| (action, a.numeric_id)).collect(),
                }),
                Some(Err(e)) => Err(e),
                None => return Err(DomainError::Internal("an address result is missing".into())),
            });
        }
        Ok(settled(outcomes))
    }

    /// Plans the addresses of each item against its user's addresses (none for a new user), read in one
    /// query: per item, its plan (`None` without addresses) or why it must be refused.
    async fn plan_addresses(
        &self,
        project: &Project,
        targets: &[PlannedUser],
        rest: &[Rest],
    ) -> Result<Vec<Result<Option<AddressPlan>, DomainError>>, DomainError> {
        let ids: Vec<i64> = targets
            .iter()
            .zip(rest)
            .filter_map(|(t, r)| match t {
                PlannedUser::Existing(id) if r.addresses.is_some() => Some(*id),
                _ => None,
            })
            .collect();
        let mut held: HashMap<i64, Vec<Address>> = HashMap::new();
        if !ids.is_empty() {
            for a in self.store.addresses_of_users(&project.id, &ids).await? {
                held.entry(a.user_id).or_default().push(a);
            }
        }
        let now = now_utc();
        Ok(targets
            .iter()
            .zip(rest)
            .map(|(t, r)| {
                let (Some(patches), false) = (&r.addresses, *t == PlannedUser::Failed) else { return Ok(None) };
                let existing = match t {
                    PlannedUser::Existing(id) => held.get(id).map(Vec::as_slice).unwrap_or_default(),
                    _ => &[],
                };
                AddressPlan::by_code(existing, patches, now).map(Some)
            })
            .collect())
    }

    /// Writes the planned addresses in one store call; per user added, its result. If an address changed since
    /// it was read, the users' addresses are upserted again against what is stored now (`again`).
    async fn write_batch(
        &self,
        project: &Project,
        batch: AddressBatch,
        again: Vec<(i64, Vec<AddressPatch>)>,
    ) -> Result<Vec<Option<UpsertedAddresses>>, DomainError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        match self.store.write_addresses(&project.id, &batch.inserts, &batch.updates).await {
            Ok(written) => Ok(batch.results(written)?.into_iter().map(|r| Some(Ok(r))).collect()),
            Err(StoreError::VersionMismatch) => {
                Ok(self.addresses.upsert_by_code(project, again).await?.into_iter().map(Some).collect())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The size from which a batch is written in two lanes (`NestedBulkService::apply`); below it the second lane
/// costs more than it saves.
const TWO_LANES_FROM: usize = 2_000;

/// The lane of an item with upsert key `key`: the same key, the same lane.
fn lane_of(key: &str) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() % 2) as usize
}

/// What an item carries beside its user, kept while the user is written.
struct Rest {
    n: usize,
    org_id: Option<i64>,
    addresses: Option<Vec<AddressPatch>>,
    attributes: Option<serde_json::Value>,
    pricing: Vec<PricingItem>,
}

/// Where a written item's address results are.
enum Place {
    None,
    Batch(usize),
    Late(usize),
}
