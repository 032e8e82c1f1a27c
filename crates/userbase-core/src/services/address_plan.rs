//! Upserting one user's addresses by `code`, planned apart from the write: the plan is checked (a type on
//! every address, no more than a user may have) before anything is written, so that a bulk can refuse an item
//! whole; the user's id is needed only when the plan is written.

use crate::address::{Address, AddressFields, AddressType};
use crate::error::DomainError;
use crate::ids::AddressId;
use crate::project::Project;
use crate::store::NewAddressRecord;
use time::OffsetDateTime;

use super::{AddressAction, AddressPatch, MAX_ADDRESSES_PER_USER};

/// What one user's addresses become: new ones, changed ones, and where each address of the input went.
#[derive(Debug, Clone, Default)]
pub struct AddressPlan {
    inserts: Vec<(AddressId, AddressFields)>,
    updates: Vec<Address>,
    /// Per address of the input, in order: its action, whether it is an insert (else an update), its index.
    order: Vec<(AddressAction, bool, usize)>,
    created_at: Option<OffsetDateTime>,
}

impl AddressPlan {
    /// Plans `patches` against the user's `existing` addresses: an address whose code the user already has
    /// is patched, any other (or one without a code) is created; a code sent twice patches what the first
    /// created or matched. Refuses an address without a type, and more addresses than a user may have.
    pub fn by_code(existing: &[Address], patches: &[AddressPatch], now: OffsetDateTime) -> Result<Self, DomainError> {
        if patches.iter().any(|p| p.address_type.is_none()) {
            return Err(DomainError::invalid("type", "required", "An address needs a type."));
        }
        let mut plan = AddressPlan { created_at: Some(now), ..Self::default() };
        // Codes already planned: whether an insert, and the index.
        let mut by_code: Vec<(&str, bool, usize)> = Vec::new();
        for patch in patches {
            let code = match &patch.code {
                crate::patch::Patch::Set(c) => Some(c.as_str()),
                _ => None,
            };
            let pending = code.and_then(|c| by_code.iter().find(|(k, ..)| *k == c)).map(|(_, i, at)| (*i, *at));
            let matched = code.and_then(|c| existing.iter().find(|a| a.fields.code.as_deref() == Some(c)));
            let at = match (pending, matched) {
                (Some((true, i)), _) => {
                    patch.clone().apply(&mut plan.inserts[i].1);
                    plan.order.push((AddressAction::Created, true, i));
                    continue;
                }
                (Some((false, i)), _) => {
                    patch.clone().apply(&mut plan.updates[i].fields);
                    plan.order.push((AddressAction::Updated, false, i));
                    continue;
                }
                (None, Some(found)) => {
                    let mut a = found.clone();
                    patch.clone().apply(&mut a.fields);
                    a.updated_at = now;
                    plan.updates.push(a);
                    plan.order.push((AddressAction::Updated, false, plan.updates.len() - 1));
                    (false, plan.updates.len() - 1)
                }
                (None, None) => {
                    let mut fields = AddressFields::blank(patch.address_type.unwrap_or(AddressType::Delivery));
                    patch.clone().apply(&mut fields);
                    plan.inserts.push((AddressId::generate(now), fields));
                    plan.order.push((AddressAction::Created, true, plan.inserts.len() - 1));
                    (true, plan.inserts.len() - 1)
                }
            };
            if let Some(c) = code {
                by_code.push((c, at.0, at.1));
            }
        }
        if existing.len().saturating_add(plan.inserts.len()) > MAX_ADDRESSES_PER_USER {
            return Err(DomainError::invalid(
                "addresses",
                "too_many_addresses",
                format!("A user has at most {MAX_ADDRESSES_PER_USER} addresses."),
            ));
        }
        Ok(plan)
    }
}

/// The plans of many users, gathered for one store write (`Store::write_addresses`).
#[derive(Default)]
pub struct AddressBatch {
    pub inserts: Vec<NewAddressRecord>,
    pub updates: Vec<Address>,
    /// Per user, in the order added: where each of its addresses went (`AddressPlan::order`, with indexes
    /// into the batch's inserts and updates).
    places: Vec<Vec<(AddressAction, bool, usize)>>,
}

impl AddressBatch {
    /// Adds a user's plan.
    pub fn add(&mut self, project: &Project, user_id: i64, plan: AddressPlan) {
        let (first_insert, first_update) = (self.inserts.len(), self.updates.len());
        let created_at = plan.created_at.unwrap_or_else(crate::time_util::now_utc);
        self.inserts.extend(plan.inserts.into_iter().map(|(public_id, fields)| NewAddressRecord {
            project_id: project.id.clone(),
            user_id,
            public_id,
            fields,
            created_at,
        }));
        self.updates.extend(plan.updates);
        self.places.push(
            plan.order
                .into_iter()
                .map(|(action, insert, i)| (action, insert, i + if insert { first_insert } else { first_update }))
                .collect(),
        );
    }

    /// Whether nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty() && self.updates.is_empty()
    }

    /// Per user added, in order: what happened to each of its addresses, given what the store answered (the
    /// inserts in order, then the updates in order).
    pub fn results(self, mut written: Vec<Address>) -> Result<Vec<Vec<(AddressAction, Address)>>, DomainError> {
        let updated = written.split_off(self.inserts.len().min(written.len()));
        self.places
            .into_iter()
            .map(|places| {
                places
                    .into_iter()
                    .map(|(action, is_insert, i)| {
                        let list = if is_insert { &written } else { &updated };
                        list.get(i)
                            .map(|a| (action, a.clone()))
                            .ok_or_else(|| DomainError::Internal("a batched address was not written".into()))
                    })
                    .collect()
            })
            .collect()
    }
}
