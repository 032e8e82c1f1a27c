//! Addresses of live users: create, list, get, update, delete. At most one default address per type:
//! making one the default clears the flag on the user's others of that type.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use crate::address::{Address, AddressFields, AddressKey, AddressKind, AddressType};
use crate::error::DomainError;
use crate::geocode::{query_text, Geocoded, Geocoder, GEOCODING_BUDGET};
use crate::ids::AddressId;
use crate::page::{Item, Page, PageParams};
use crate::project::Project;
use crate::store::{NewAddressRecord, Store};
use crate::time_util::now_utc;
use crate::user::{User, UserKey};

use super::race::until_not_overtaken;
use super::{AddressBatch, AddressPatch, AddressPlan, UserService};

/// What an upsert by code did to one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressAction {
    Created,
    Updated,
}

/// What an upsert by code did to each address of one user, in its order, or why it wrote none of them.
pub type UpsertedAddresses = Result<Vec<(AddressAction, Address)>, DomainError>;

/// Addresses one user may have; enough for any real use, small enough to list in one page.
pub const MAX_ADDRESSES_PER_USER: usize = 100;

#[derive(Clone)]
pub struct AddressService {
    store: Arc<dyn Store>,
    users: UserService,
    /// Asked for the coordinates of replaced addresses sent without them, in projects with a geocoder URL.
    geocoder: Option<Arc<dyn Geocoder>>,
}

fn not_found() -> DomainError {
    DomainError::NotFound { resource: "address" }
}

impl AddressService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { users: UserService::new(store.clone()), store, geocoder: None }
    }

    /// Locates addresses through `geocoder` where a project configures one (see `replace_kind`).
    pub fn with_geocoder(mut self, geocoder: Arc<dyn Geocoder>) -> Self {
        self.geocoder = Some(geocoder);
        self
    }

    /// Fills the position of each address sent without one from the project's geocoder, if it has one. A
    /// position the client sent is kept and never asked for. Lookups run one after another (a provider such
    /// as Nominatim asks for no more than one request at a time), the same text is asked once, and none
    /// starts once `GEOCODING_BUDGET` is spent.
    async fn geocode_missing(&self, project: &Project, addresses: &mut [AddressFields]) {
        let (Some(geocoder), Some(endpoint)) = (&self.geocoder, project.settings.geocoder_url.as_deref()) else {
            return;
        };
        let started = Instant::now();
        let mut asked: HashMap<String, Option<Geocoded>> = HashMap::new();
        for fields in addresses.iter_mut().filter(|f| f.geo.is_none()) {
            let Some(query) = query_text(fields) else { continue };
            let found = match asked.get(&query) {
                Some(found) => found.clone(),
                None if started.elapsed() < GEOCODING_BUDGET => {
                    let found = geocoder.geocode(&project.id, endpoint, &query).await;
                    asked.insert(query, found.clone());
                    found
                }
                None => break,
            };
            if let Some(found) = found {
                fields.geo = Some(found.geo);
                fields.geocoder = Some(found.service);
                fields.geocoder_place_id = found.place_id;
                fields.geocoder_raw = found.raw;
            }
        }
    }

    /// Creates an address from `fields` applied to a blank one; the type is required.
    pub async fn create(
        &self,
        project: &Project,
        user: &UserKey,
        fields: AddressPatch,
    ) -> Result<Address, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        let held = self.store.count_addresses(&project.id, user_id).await?;
        Self::check_new(usize::try_from(held).unwrap_or(usize::MAX), std::slice::from_ref(&fields))?;
        let mut address = AddressFields::blank(fields.address_type.unwrap_or(AddressType::Delivery));
        fields.apply(&mut address);
        let now = now_utc();
        let record = NewAddressRecord {
            project_id: project.id.clone(),
            user_id,
            public_id: AddressId::generate(now),
            fields: address,
            created_at: now,
        };
        Ok(self.store.insert_address(&record).await?)
    }

    /// Replaces the user's addresses of one kind (BuiltOn's embedded `addresses` list, or its
    /// `billing_address`) with `addresses`, in that order (`position` is the index). Each needs a type.
    /// Addresses of the other kind stay. One transaction: a failed replace leaves the old addresses.
    /// Addresses without a position are first located by the project's geocoder, if any (`geocode_missing`).
    pub async fn replace_kind(
        &self,
        project: &Project,
        user: &UserKey,
        kind: AddressKind,
        addresses: Vec<AddressPatch>,
    ) -> Result<Vec<Address>, DomainError> {
        let user_id = self.check_replace(project, user, kind, &addresses).await?;
        let mut fields: Vec<AddressFields> = addresses
            .into_iter()
            .enumerate()
            .map(|(position, patch)| {
                let mut fields = AddressFields::blank(patch.address_type.unwrap_or(AddressType::Delivery));
                patch.apply(&mut fields);
                fields.kind = kind;
                fields.position = i32::try_from(position).unwrap_or(i32::MAX);
                fields
            })
            .collect();
        // Before the transaction: no database write waits on the provider.
        self.geocode_missing(project, &mut fields).await;
        let now = now_utc();
        let records: Vec<NewAddressRecord> = fields
            .into_iter()
            .map(|fields| NewAddressRecord {
                project_id: project.id.clone(),
                user_id,
                public_id: AddressId::generate(now),
                fields,
                created_at: now,
            })
            .collect();
        Ok(self.store.replace_addresses(&project.id, user_id, kind, &records).await?)
    }

    /// Refuses a replace of the user's `kind` addresses by `addresses` that `replace_kind` would refuse, before
    /// anything is written: a surface that writes a user and then its addresses checks first, so that a refused
    /// address list does not leave the user half updated. The user's integer id when the replace may go ahead.
    pub async fn check_replace(
        &self,
        project: &Project,
        user: &UserKey,
        kind: AddressKind,
        addresses: &[AddressPatch],
    ) -> Result<i64, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        let existing = self.store.list_addresses(&project.id, user_id, None).await?;
        let others = existing.iter().filter(|a| a.fields.kind != kind).count();
        Self::check_new(others, addresses)?;
        Ok(user_id)
    }

    /// Refuses addresses without a type, and more than a user may have beside `others` they keep.
    pub fn check_new(others: usize, addresses: &[AddressPatch]) -> Result<(), DomainError> {
        if addresses.iter().any(|a| a.address_type.is_none()) {
            return Err(DomainError::invalid("type", "required", "An address needs a type."));
        }
        if others.saturating_add(addresses.len()) > MAX_ADDRESSES_PER_USER {
            return Err(DomainError::invalid(
                "addresses",
                "too_many_addresses",
                format!("A user has at most {MAX_ADDRESSES_PER_USER} addresses."),
            ));
        }
        Ok(())
    }

    /// Upserts addresses of many users by their `code` (Propeller's address bulk, alone or nested in a user
    /// bulk): an address whose code the user already has is patched, any other (or one without a code) is
    /// created; a code sent twice for one user patches what the first created or matched. One read of the
    /// users' addresses and one store write for the whole batch. Per user, in batch order: what happened to
    /// each of its addresses, in its order, or why none was written (a type missing, or more than a user
    /// may have); the users are the caller's (live, of this project).
    pub async fn upsert_by_code(
        &self,
        project: &Project,
        batch: Vec<(i64, Vec<AddressPatch>)>,
    ) -> Result<Vec<UpsertedAddresses>, DomainError> {
        for _ in 0..2 {
            match self.upsert_by_code_once(project, &batch).await {
                Err(DomainError::PreconditionFailed) => continue,
                other => return other,
            }
        }
        Err(DomainError::PreconditionFailed)
    }

    async fn upsert_by_code_once(
        &self,
        project: &Project,
        batch: &[(i64, Vec<AddressPatch>)],
    ) -> Result<Vec<UpsertedAddresses>, DomainError> {
        let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
        let mut held: HashMap<i64, Vec<Address>> = HashMap::new();
        for a in self.store.addresses_of_users(&project.id, &ids).await? {
            held.entry(a.user_id).or_default().push(a);
        }
        let now = now_utc();
        let mut batch_plan = AddressBatch::default();
        // Per user: the index of its plan in the batch, or its error.
        let mut plans: Vec<Result<usize, DomainError>> = Vec::with_capacity(batch.len());
        let mut planned = 0;
        for (user_id, patches) in batch {
            let existing = held.remove(user_id).unwrap_or_default();
            plans.push(AddressPlan::by_code(&existing, patches, now).map(|plan| {
                batch_plan.add(project, *user_id, plan);
                planned += 1;
                planned - 1
            }));
        }
        let written = self.store.write_addresses(&project.id, &batch_plan.inserts, &batch_plan.updates).await?;
        let mut results: Vec<Option<Vec<(AddressAction, Address)>>> =
            batch_plan.results(written)?.into_iter().map(Some).collect();
        Ok(plans
            .into_iter()
            .map(|plan| {
                let at = plan?;
                results[at].take().ok_or_else(|| DomainError::Internal("an address plan was used twice".into()))
            })
            .collect())
    }

    /// The user's addresses, oldest first, optionally of one type.
    pub async fn list(
        &self,
        project: &Project,
        user: &UserKey,
        of_type: Option<AddressType>,
    ) -> Result<Vec<Address>, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        Ok(self.store.list_addresses(&project.id, user_id, of_type).await?)
    }

    /// The addresses of a user already read (live or deleted: a deleted user is still shown whole where a
    /// surface lists deleted users), oldest first.
    pub async fn of_user(&self, project: &Project, user: &User) -> Result<Vec<Address>, DomainError> {
        Ok(self.store.list_addresses(&project.id, user.numeric_id, None).await?)
    }

    /// The addresses of users already read (a page of a list), in one query: one list per user, in the
    /// order of `users`, each oldest first.
    pub async fn of_users(&self, project: &Project, users: &[User]) -> Result<Vec<Vec<Address>>, DomainError> {
        let ids: Vec<i64> = users.iter().map(|u| u.numeric_id).collect();
        let mut by_user: HashMap<i64, Vec<Address>> = HashMap::with_capacity(users.len());
        for address in self.store.addresses_of_users(&project.id, &ids).await? {
            by_user.entry(address.user_id).or_default().push(address);
        }
        Ok(ids.iter().map(|id| by_user.remove(id).unwrap_or_default()).collect())
    }

    /// A page of the user's addresses, newest first, starting where the client asked (an address id or an
    /// offset), with the total when it asked for one.
    pub async fn page(
        &self,
        project: &Project,
        user: &UserKey,
        params: PageParams,
    ) -> Result<Page<Address>, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        let total = params.total;
        let request = params
            .resolve(Item::Address, |id| async move {
                let Some(id) = AddressId::parse(&id) else { return Ok(None) };
                let found = self.store.find_address(&project.id, user_id, &AddressKey::Public(id)).await?;
                Ok(found.map(|a| a.numeric_id))
            })
            .await?;
        let mut page = self.store.page_addresses(&project.id, user_id, &request).await?;
        if total {
            page.total = Some(self.store.count_addresses(&project.id, user_id).await?);
        }
        Ok(page)
    }

    pub async fn get(&self, project: &Project, user: &UserKey, key: &AddressKey) -> Result<Address, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        self.store.find_address(&project.id, user_id, key).await?.ok_or_else(not_found)
    }

    /// Applies `patch`; with `expected_version`, a changed address gives `PreconditionFailed`.
    pub async fn update(
        &self,
        project: &Project,
        user: &UserKey,
        key: &AddressKey,
        patch: AddressPatch,
        expected_version: Option<i64>,
    ) -> Result<Address, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        until_not_overtaken(expected_version, || async {
            let mut address = self.store.find_address(&project.id, user_id, key).await?.ok_or_else(not_found)?;
            if expected_version.is_some_and(|v| v != address.version) {
                return Err(DomainError::PreconditionFailed);
            }
            patch.clone().apply(&mut address.fields);
            address.updated_at = now_utc();
            Ok(self.store.update_address(&address).await?)
        })
        .await
    }

    /// Deletes an address for good and returns it as it was. With `expected_version`, only that version
    /// is deleted (checked by the delete itself, so a concurrent update cannot slip in between).
    pub async fn delete(
        &self,
        project: &Project,
        user: &UserKey,
        key: &AddressKey,
        expected_version: Option<i64>,
    ) -> Result<Address, DomainError> {
        let user_id = self.users.live_id(project, user).await?;
        let address = self.store.find_address(&project.id, user_id, key).await?.ok_or_else(not_found)?;
        if expected_version.is_some_and(|v| v != address.version) {
            return Err(DomainError::PreconditionFailed);
        }
        if !self.store.delete_address(&project.id, user_id, address.numeric_id, expected_version).await? {
            let still_there = self.store.find_address(&project.id, user_id, key).await?.is_some();
            return Err(if still_there { DomainError::PreconditionFailed } else { not_found() });
        }
        Ok(address)
    }
}
