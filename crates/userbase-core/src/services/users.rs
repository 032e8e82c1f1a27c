//! Users: create, read, update, soft delete, restore, list. The rules of decisions.md, "Users", live here.

use std::sync::Arc;

use crate::error::{Conflict, DomainError};
use crate::ids::{HumanId, ObjectId, PublicUserId};
use crate::page::{Item, Page, PageParams};
use crate::patch::Patch;
use crate::project::Project;
use crate::store::{NewUserRecord, RefsChange, Store, StoreError, UniqueClaims, UpsertKey, UserFilter};
use crate::time_util::now_utc;
use crate::user::{BuiltonExtras, Profile, User, UserKey, UserStatus};
use crate::values::{Email, ExternalRef, MetadataLimits};

use super::race::until_not_overtaken;
use super::UserPatch;

/// The user of a sign-in (`UserService::sign_in`), and whether the sign-in created it.
#[derive(Debug)]
pub struct SignedIn {
    pub user: User,
    pub created: bool,
}

#[derive(Clone)]
pub struct UserService {
    store: Arc<dyn Store>,
    /// Told when a user is deleted or restored, so that its keys stop (or resume) working here at once.
    keys: Option<super::KeyService>,
}

fn claims(project: &Project, user_status: UserStatus, has_email: bool) -> UniqueClaims {
    let live = user_status != UserStatus::Deleted;
    UniqueClaims { email: live && has_email && project.settings.email_unique, live }
}

pub(crate) fn claims_of(project: &Project, user: &User) -> UniqueClaims {
    claims(project, user.status, user.profile.email.is_some())
}

/// What a user's external-ref rows depend on, taken before a change (without copying the whole user).
pub(crate) struct RefRows {
    refs: Vec<ExternalRef>,
    live: bool,
}

impl RefRows {
    pub(crate) fn of(project: &Project, user: &User) -> Self {
        Self { refs: user.profile.external_refs.clone(), live: claims_of(project, user).live }
    }

    /// Whether the changed user needs its external-ref rows rewritten.
    pub(crate) fn change_to(&self, project: &Project, after: &User) -> RefsChange {
        if self.refs == after.profile.external_refs && self.live == claims_of(project, after).live {
            RefsChange::Unchanged
        } else {
            RefsChange::Rewrite
        }
    }
}

impl UserService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, keys: None }
    }

    /// Deletes and restores made through this service also drop the user's keys from `keys`' cache of
    /// verified keys (other processes learn of them through the store's key changes).
    pub fn with_key_cache(mut self, keys: super::KeyService) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Creates a user from the fields of `fields` (`Keep` and `Clear` both mean unset). Every user gets the
    /// BuiltOn defaults (`roles: ["user"]`, a voucher) whatever surface creates it.
    pub async fn create(
        &self,
        project: &Project,
        fields: UserPatch,
        limits: MetadataLimits,
    ) -> Result<User, DomainError> {
        let record = Self::new_record(project, fields, limits)?;
        Ok(self.store.insert_user(&record).await?)
    }

    /// The record a create inserts: fresh ids, the BuiltOn defaults, `fields` applied to a blank profile.
    pub fn new_record(
        project: &Project,
        fields: UserPatch,
        limits: MetadataLimits,
    ) -> Result<NewUserRecord, DomainError> {
        let mut profile = Profile { roles: vec!["user".to_owned()], ..Profile::default() };
        let mut status = UserStatus::Active;
        fields.apply(&mut profile, &mut status, limits)?;
        let now = now_utc();
        Ok(NewUserRecord {
            project_id: project.id.clone(),
            public_id: PublicUserId::generate(now),
            object_id: ObjectId::generate(now),
            human_id: HumanId::generate(),
            claims: claims(project, status, profile.email.is_some()),
            profile,
            builton: BuiltonExtras::default(),
            status,
            created_at: now,
            last_login_at: None,
        })
    }

    /// Create-or-login by an end user's identity (`subject`, a JWT's `sub`): the live user holding the subject
    /// signs in (`last_login_at` and `updated_at` become now; `fields` are not applied), or, when there is
    /// none, a user is created from `fields` with that subject, signed in at creation. A deleted user holding
    /// the subject is not revived: a fresh user is created. Of concurrent first sign-ins of one subject, one
    /// creates the user (the subject is unique among live users) and the others sign in to it.
    pub async fn sign_in(
        &self,
        project: &Project,
        subject: &str,
        fields: UserPatch,
        limits: MetadataLimits,
    ) -> Result<SignedIn, DomainError> {
        let key = UserKey::AuthSubject(subject.to_owned());
        // Two rounds: a lost race on the subject means the winner's user exists for the second.
        for _ in 0..2 {
            if let Some(user) = self.store.find_user(&project.id, &key).await?.filter(|u| !u.is_deleted()) {
                let user = self.record_sign_in(project, user).await?;
                return Ok(SignedIn { user, created: false });
            }
            let fields = UserPatch { auth_subject: Patch::Set(subject.to_owned()), ..fields.clone() };
            let mut record = Self::new_record(project, fields, limits)?;
            record.last_login_at = Some(record.created_at);
            match self.store.insert_user(&record).await {
                Err(StoreError::Conflict(Conflict::AuthSubject)) => continue,
                other => return Ok(SignedIn { user: other?, created: true }),
            }
        }
        Err(DomainError::Internal("a sign-in lost the race on its subject twice".into()))
    }

    /// Sets `last_login_at` (and `updated_at`) of a live user to now.
    async fn record_sign_in(&self, project: &Project, first_read: User) -> Result<User, DomainError> {
        let key = UserKey::Numeric(first_read.numeric_id);
        let mut read = Some(first_read);
        until_not_overtaken(None, || {
            let known = read.take();
            let key = key.clone();
            async move {
                let mut user = match known {
                    Some(u) => u,
                    None => self.get(project, &key).await?,
                };
                let now = now_utc();
                user.last_login_at = Some(now);
                user.updated_at = now;
                Ok(self.store.update_user(&user, claims_of(project, &user), RefsChange::Unchanged).await?)
            }
        })
        .await
    }

    /// A live (not deleted) user.
    pub async fn get(&self, project: &Project, key: &UserKey) -> Result<User, DomainError> {
        match self.store.find_user(&project.id, key).await? {
            Some(u) if !u.is_deleted() => Ok(u),
            _ => Err(DomainError::user_not_found()),
        }
    }

    /// The live user with this email (compared case-insensitively); the oldest, when the project lets
    /// several users share an email.
    pub async fn find_by_email(&self, project: &Project, email: &Email) -> Result<User, DomainError> {
        let users = self.store.find_users_by(&project.id, &UpsertKey::Email, &[email.normalized()]).await?;
        users.into_iter().next().ok_or_else(DomainError::user_not_found)
    }

    /// Applies `patch` to a live user. With `expected_version`, a user changed since that version gives
    /// `PreconditionFailed`; without, a concurrent change is merged by re-reading and re-applying.
    pub async fn update(
        &self,
        project: &Project,
        key: &UserKey,
        patch: UserPatch,
        limits: MetadataLimits,
        expected_version: Option<i64>,
    ) -> Result<User, DomainError> {
        until_not_overtaken(expected_version, || async {
            let mut user = self.get(project, key).await?;
            if expected_version.is_some_and(|v| v != user.version) {
                return Err(DomainError::PreconditionFailed);
            }
            let before = RefRows::of(project, &user);
            patch.clone().apply(&mut user.profile, &mut user.status, limits)?;
            user.updated_at = now_utc();
            let refs = before.change_to(project, &user);
            Ok(self.store.update_user(&user, claims_of(project, &user), refs).await?)
        })
        .await
    }

    /// Soft delete: status `deleted`, `deleted_at` set, email and external refs freed. Gives the user as
    /// stored after the delete.
    pub async fn delete(
        &self,
        project: &Project,
        key: &UserKey,
        expected_version: Option<i64>,
    ) -> Result<User, DomainError> {
        self.set_deleted(project, key, true, expected_version).await
    }

    /// Undoes a soft delete; `Conflict` when the email or an external ref was taken meanwhile.
    pub async fn restore(&self, project: &Project, key: &UserKey) -> Result<User, DomainError> {
        self.set_deleted(project, key, false, None).await
    }

    async fn set_deleted(
        &self,
        project: &Project,
        key: &UserKey,
        deleted: bool,
        expected_version: Option<i64>,
    ) -> Result<User, DomainError> {
        until_not_overtaken(expected_version, || async {
            let Some(mut user) = self.store.find_user(&project.id, key).await? else {
                return Err(DomainError::user_not_found());
            };
            if user.is_deleted() != deleted && expected_version.is_some_and(|v| v != user.version) {
                return Err(DomainError::PreconditionFailed);
            }
            match (user.is_deleted(), deleted) {
                // Deleting a deleted user: it is gone as far as callers can tell.
                (true, true) => return Err(DomainError::user_not_found()),
                // Restoring a live user changes nothing.
                (false, false) => return Ok(user),
                _ => {}
            }
            let now = now_utc();
            user.status = if deleted { UserStatus::Deleted } else { UserStatus::Active };
            user.deleted_at = deleted.then_some(now);
            user.updated_at = now;
            let user = self.store.update_user(&user, claims_of(project, &user), RefsChange::Rewrite).await?;
            // A deleted user's keys are refused by key verification; cached ones must go too.
            if let Some(keys) = &self.keys {
                keys.forget_user(&project.id, user.numeric_id);
            }
            Ok(user)
        })
        .await
    }

    /// A page of the project's users matching `filter`, starting where the client asked, with the total
    /// when it asked for one.
    pub async fn list(
        &self,
        project: &Project,
        filter: &UserFilter,
        params: PageParams,
    ) -> Result<Page<User>, DomainError> {
        let total = params.total;
        let request = params.resolve(Item::User, |id| self.numeric_id_of(project, id)).await?;
        let mut page = self.store.list_users(&project.id, filter, request).await?;
        if total {
            let total = self.store.total_users(&project.id, filter).await?;
            // An estimate never says fewer than the page shows.
            let shown = page.items.len() as u64;
            page.total = Some(if total.is_estimate { total.value.max(shown) } else { total.value });
            page.total_is_estimate = total.is_estimate;
        }
        Ok(page)
    }

    /// The live users holding an external ref with this `source_id`, of `source` when one is given, oldest
    /// first (Propeller's `sourceId` lookup key, which names several users when only the source tells them
    /// apart). One indexed query.
    pub async fn find_by_external_id(
        &self,
        project: &Project,
        source: Option<&str>,
        source_id: &str,
    ) -> Result<Vec<User>, DomainError> {
        let values = [source_id.to_owned()];
        let users = self.store.find_users_by(&project.id, &UpsertKey::AnyExternalRef, &values).await?;
        Ok(users
            .into_iter()
            .filter(|u| {
                u.profile
                    .external_refs
                    .iter()
                    .any(|r| r.source_id() == source_id && source.is_none_or(|s| r.source() == s))
            })
            .collect())
    }

    /// The integer id of a live user, for the records a user owns (addresses, orders, pricing...).
    pub async fn live_id(&self, project: &Project, key: &UserKey) -> Result<i64, DomainError> {
        Ok(self.get(project, key).await?.numeric_id)
    }

    /// The integer id of the user of the project with this public id, deleted or not (a list may start at
    /// a deleted user when deleted users are listed).
    async fn numeric_id_of(&self, project: &Project, id: String) -> Result<Option<i64>, DomainError> {
        let Some(id) = PublicUserId::parse(&id) else { return Ok(None) };
        Ok(self.store.find_user(&project.id, &UserKey::Public(id)).await?.map(|u| u.numeric_id))
    }
}
