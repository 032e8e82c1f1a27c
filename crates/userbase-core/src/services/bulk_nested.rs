//! Bulk upserts of users with what each item carries beside the user (Propeller's bulk endpoints): a parent
//! group, addresses upserted by code, opaque attributes and pricing. The users of a batch are written as
//! `BulkService::apply` writes them; their addresses in one more store write, their attributes in one more.

use std::sync::Arc;

use crate::error::{DomainError, FieldError};
use crate::patch::Patch;
use crate::pricing::PricingItem;
use crate::project::Project;
use crate::store::Store;
use crate::values::{GroupRef, MetadataLimits};

use super::{
    AddressAction, AddressPatch, AddressService, BulkDone, BulkItem, BulkMode, BulkService, OrganizationService,
    MAX_ADDRESSES_PER_USER,
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

    /// Applies a batch (at most `BULK_BATCH` items); one outcome per item, in order. An item fails on its own:
    /// a parent that names no organization or too many addresses fail it before anything of it is written; an
    /// address refused after its user was written fails it with the user kept (the error says so).
    pub async fn apply(
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
            rest.push((n, org_id, nested.addresses, nested.attributes, nested.pricing));
        }
        let users = self.bulk.apply_detailed(project, mode, valid, limits).await?;
        let mut address_batch = Vec::new();
        let mut attributes = Vec::new();
        let mut written = Vec::with_capacity(users.len());
        for (outcome, (n, org_id, addresses, attrs, pricing)) in users.into_iter().zip(rest) {
            let done = match outcome {
                Ok(done) => done,
                Err(e) => {
                    outcomes[n] = Some(Err(e));
                    continue;
                }
            };
            if let Some(org_id) = org_id {
                self.organizations.ensure_member(project, org_id, done.numeric_id).await?;
            }
            if !pricing.is_empty() {
                self.store.put_pricing(&project.id, done.numeric_id, &pricing).await?;
            }
            if let Some(attrs) = attrs {
                attributes.push((done.numeric_id, attrs));
            }
            let has_addresses = addresses.as_ref().is_some_and(|a| !a.is_empty());
            if let Some(addresses) = addresses.filter(|a| !a.is_empty()) {
                address_batch.push((done.numeric_id, addresses));
            }
            written.push((n, done, has_addresses));
        }
        self.store.put_attributes(&project.id, &attributes).await?;
        let mut address_results = self.addresses.upsert_by_code(project, address_batch).await?.into_iter();
        for (n, user, has_addresses) in written {
            let addresses = if has_addresses {
                match address_results.next() {
                    Some(Ok(list)) => list.into_iter().map(|(action, a)| (action, a.numeric_id)).collect(),
                    Some(Err(e)) => {
                        outcomes[n] = Some(Err(e));
                        continue;
                    }
                    None => return Err(DomainError::Internal("an address result is missing".into())),
                }
            } else {
                Vec::new()
            };
            outcomes[n] = Some(Ok(NestedDone { user, addresses }));
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Err(DomainError::Internal("bulk item without an outcome".into()))))
            .collect())
    }
}
