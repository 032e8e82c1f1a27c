//! Organizations and memberships: create, read, update (no parent cycles), delete; add, change and remove
//! members; a user's default organization, which must be one they belong to.

use std::sync::Arc;

use crate::error::{DomainError, FieldError};
use crate::ids::OrganizationId;
use crate::organization::{DefaultOrganization, Membership, Organization, OrganizationFields, OrganizationKey};
use crate::patch::Patch;
use crate::project::Project;
use crate::store::{NewOrganizationRecord, RefsChange, Store};
use crate::time_util::now_utc;
use crate::user::{User, UserKey};
use crate::values::{ExternalRef, GroupRef, MetadataLimits, MetadataPatch};

use super::race::until_not_overtaken;
use super::users::claims_of;
use super::{UserPatch, UserService};

/// How deep parents may nest; also bounds the cycle check.
const MAX_DEPTH: usize = 32;

/// The role of a membership that a user's parent group made (Propeller's `parent`).
pub const MEMBER_ROLE: &str = "member";

/// A change to an organization (also a create, applied to a blank one).
#[derive(Debug, Clone, Default)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub parent: Patch<OrganizationKey>,
    pub external_ref: Patch<ExternalRef>,
    pub plan: Patch<String>,
    pub metadata: MetadataPatch,
}

#[derive(Clone)]
pub struct OrganizationService {
    store: Arc<dyn Store>,
    users: UserService,
}

fn not_found() -> DomainError {
    DomainError::NotFound { resource: "organization" }
}

fn check_name(name: &str) -> Result<(), DomainError> {
    if name.trim().is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(DomainError::invalid("name", "invalid_name", "A name is 1 to 200 characters."));
    }
    Ok(())
}

/// A role label: 1 to 64 characters.
pub fn check_role(role: &str) -> Result<(), DomainError> {
    if role.is_empty() || role.chars().count() > 64 || role.chars().any(char::is_control) {
        return Err(DomainError::invalid("role", "invalid_role", "A role is 1 to 64 characters."));
    }
    Ok(())
}

impl OrganizationService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { users: UserService::new(store.clone()), store }
    }

    pub async fn get(&self, project: &Project, key: &OrganizationKey) -> Result<Organization, DomainError> {
        self.store.find_organization(&project.id, key).await?.ok_or_else(not_found)
    }

    /// Applies the patch to `fields`, resolving and checking the parent (`me` is the organization being
    /// changed, whose descendants may not become its parent).
    async fn apply(
        &self,
        project: &Project,
        fields: &mut OrganizationFields,
        patch: OrganizationPatch,
        me: Option<i64>,
    ) -> Result<(), DomainError> {
        if let Some(name) = patch.name {
            check_name(&name)?;
            fields.name = name;
        }
        match patch.parent {
            Patch::Keep => {}
            Patch::Clear => fields.parent_id = None,
            Patch::Set(key) => {
                let parent = self.store.find_organization(&project.id, &key).await?.ok_or_else(|| {
                    DomainError::invalid(
                        "parent_id",
                        "unknown_organization",
                        "No organization of this project has this id.",
                    )
                })?;
                // Walk up from the new parent; meeting `me` would close a cycle.
                let mut cursor = Some(parent.numeric_id);
                for _ in 0..MAX_DEPTH {
                    let Some(id) = cursor else { break };
                    if Some(id) == me {
                        return Err(DomainError::invalid(
                            "parent_id",
                            "cycle",
                            "An organization cannot be its own ancestor.",
                        ));
                    }
                    cursor = self
                        .store
                        .find_organization(&project.id, &OrganizationKey::Numeric(id))
                        .await?
                        .and_then(|o| o.fields.parent_id);
                }
                if cursor.is_some() {
                    return Err(DomainError::invalid(
                        "parent_id",
                        "too_deep",
                        format!("Organizations nest at most {MAX_DEPTH} deep."),
                    ));
                }
                fields.parent_id = Some(parent.numeric_id);
            }
        }
        patch.external_ref.apply_to(&mut fields.external_ref);
        patch.plan.apply_to(&mut fields.plan);
        fields.metadata.merge(&patch.metadata, MetadataLimits::DEFAULT).map_err(|e| DomainError::Invalid(vec![e]))?;
        Ok(())
    }

    pub async fn create(&self, project: &Project, patch: OrganizationPatch) -> Result<Organization, DomainError> {
        if patch.name.is_none() {
            return Err(DomainError::Invalid(vec![FieldError::new(
                "name",
                "required",
                "An organization needs a name.",
            )]));
        }
        let mut fields = OrganizationFields {
            name: String::new(),
            parent_id: None,
            external_ref: None,
            plan: None,
            metadata: Default::default(),
        };
        self.apply(project, &mut fields, patch, None).await?;
        let now = now_utc();
        let record = NewOrganizationRecord {
            project_id: project.id.clone(),
            public_id: OrganizationId::generate(now),
            fields,
            created_at: now,
        };
        Ok(self.store.insert_organization(&record).await?)
    }

    /// The organization a user's parent group names (Propeller's `parent`): by integer id, an existing
    /// organization of the project; by external reference, the organization holding it, created (named after
    /// the reference) when there is none. Of concurrent first uses of one reference, one creates it and the
    /// others find it (the reference is unique per project).
    pub async fn resolve_group(&self, project: &Project, group: &GroupRef) -> Result<Organization, DomainError> {
        let external = match group {
            GroupRef::Id { id } => {
                return self.store.find_organization(&project.id, &OrganizationKey::Numeric(*id)).await?.ok_or_else(
                    || DomainError::invalid("parent_group", "unknown_organization", "No organization has this id."),
                )
            }
            GroupRef::External { source, source_id } => {
                ExternalRef::parse("parent_group", source, source_id).map_err(|e| DomainError::Invalid(vec![e]))?
            }
        };
        let key = OrganizationKey::External(external.clone());
        for _ in 0..2 {
            if let Some(org) = self.store.find_organization(&project.id, &key).await? {
                return Ok(org);
            }
            let name = format!("{} {}", external.source(), external.source_id());
            let patch = OrganizationPatch {
                name: Some(name.chars().take(200).collect()),
                external_ref: Patch::Set(external.clone()),
                ..OrganizationPatch::default()
            };
            match self.create(project, patch).await {
                Err(DomainError::Conflict(_)) => continue,
                other => return other,
            }
        }
        Err(DomainError::Internal("an organization's external ref was taken and not found".into()))
    }

    /// Makes a user a member of an organization (role `MEMBER_ROLE`) unless they are one already.
    pub async fn ensure_member(&self, project: &Project, org_id: i64, user_id: i64) -> Result<(), DomainError> {
        Ok(self.store.add_memberships(&project.id, &[(org_id, user_id)], MEMBER_ROLE, now_utc()).await?)
    }

    pub async fn update(
        &self,
        project: &Project,
        key: &OrganizationKey,
        patch: OrganizationPatch,
        expected_version: Option<i64>,
    ) -> Result<Organization, DomainError> {
        until_not_overtaken(expected_version, || async {
            let mut org = self.get(project, key).await?;
            if expected_version.is_some_and(|v| v != org.version) {
                return Err(DomainError::PreconditionFailed);
            }
            let me = org.numeric_id;
            self.apply(project, &mut org.fields, patch.clone(), Some(me)).await?;
            org.updated_at = now_utc();
            Ok(self.store.update_organization(&org).await?)
        })
        .await
    }

    /// Deletes an organization and its memberships; children lose their parent, users their default.
    /// With `expected_version`, only that version is deleted (checked by the delete itself).
    pub async fn delete(
        &self,
        project: &Project,
        key: &OrganizationKey,
        expected_version: Option<i64>,
    ) -> Result<Organization, DomainError> {
        let org = self.get(project, key).await?;
        if expected_version.is_some_and(|v| v != org.version) {
            return Err(DomainError::PreconditionFailed);
        }
        if !self.store.delete_organization(&project.id, org.numeric_id, expected_version).await? {
            return Err(match self.get(project, key).await {
                Ok(_) => DomainError::PreconditionFailed,
                Err(e) => e,
            });
        }
        Ok(org)
    }

    /// Creates a user together with an organization of its own named `organization_name`, of which the user
    /// is a member with `role` and which is the user's default organization (BoltonSea's sign-up gives every
    /// user a "Default Profile" organization, as Owner). One transaction: a user refused by a uniqueness rule
    /// leaves no organization behind.
    pub async fn create_user_with_organization(
        &self,
        project: &Project,
        fields: UserPatch,
        limits: MetadataLimits,
        organization_name: &str,
        role: &str,
    ) -> Result<(User, Membership), DomainError> {
        check_name(organization_name)?;
        check_role(role)?;
        let user = UserService::new_record(project, fields, limits)?;
        let org = NewOrganizationRecord {
            project_id: project.id.clone(),
            public_id: OrganizationId::generate(user.created_at),
            fields: OrganizationFields {
                name: organization_name.to_owned(),
                parent_id: None,
                external_ref: None,
                plan: None,
                metadata: Default::default(),
            },
            created_at: user.created_at,
        };
        Ok(self.store.insert_user_with_organization(&user, &org, role).await?)
    }

    /// The user's default organization with the user's role in it; `None` when the user has none.
    pub async fn default_of(&self, project: &Project, user: &User) -> Result<Option<DefaultOrganization>, DomainError> {
        let Some(id) = user.profile.default_organization_id else { return Ok(None) };
        let memberships = self.store.list_memberships(&project.id, Some(id), Some(user.numeric_id)).await?;
        if let Some(m) = memberships.into_iter().next() {
            return Ok(Some(DefaultOrganization {
                organization_id: id,
                organization_name: m.organization_name,
                role: Some(m.role),
            }));
        }
        // Still the default, though no longer a member (v1 removes members without touching defaults).
        let org = self.store.find_organization(&project.id, &OrganizationKey::Numeric(id)).await?;
        Ok(org.map(|o| DefaultOrganization { organization_id: id, organization_name: o.fields.name, role: None }))
    }

    /// A page of organizations, newest first, after the one with integer id `after`.
    pub async fn list(
        &self,
        project: &Project,
        after: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<Organization>, bool), DomainError> {
        Ok(self.store.list_organizations(&project.id, after, limit).await?)
    }

    /// Adds a live user to the organization, or changes their role.
    pub async fn put_member(
        &self,
        project: &Project,
        org: &OrganizationKey,
        user: &UserKey,
        role: &str,
    ) -> Result<Membership, DomainError> {
        check_role(role)?;
        let org = self.get(project, org).await?;
        let user = self.users.get(project, user).await?;
        Ok(self.store.put_membership(&project.id, org.numeric_id, user.numeric_id, role, now_utc()).await?)
    }

    pub async fn remove_member(
        &self,
        project: &Project,
        org: &OrganizationKey,
        user: &UserKey,
    ) -> Result<(), DomainError> {
        let org = self.get(project, org).await?;
        let user = self.users.get(project, user).await?;
        if !self.store.delete_membership(&project.id, org.numeric_id, user.numeric_id).await? {
            return Err(DomainError::NotFound { resource: "membership" });
        }
        Ok(())
    }

    pub async fn members(&self, project: &Project, org: &OrganizationKey) -> Result<Vec<Membership>, DomainError> {
        let org = self.get(project, org).await?;
        Ok(self.store.list_memberships(&project.id, Some(org.numeric_id), None).await?)
    }

    pub async fn memberships_of(
        &self,
        project: &Project,
        user: &UserKey,
    ) -> Result<(User, Vec<Membership>), DomainError> {
        let user = self.users.get(project, user).await?;
        let memberships = self.store.list_memberships(&project.id, None, Some(user.numeric_id)).await?;
        Ok((user, memberships))
    }

    /// Makes one of the user's organizations their default (`None` clears it).
    pub async fn set_default(
        &self,
        project: &Project,
        user: &UserKey,
        org: Option<&OrganizationKey>,
    ) -> Result<User, DomainError> {
        let (mut user, memberships) = self.memberships_of(project, user).await?;
        user.profile.default_organization_id = match org {
            None => None,
            Some(key) => {
                let org = self.get(project, key).await?;
                if !memberships.iter().any(|m| m.organization_id == org.numeric_id) {
                    return Err(DomainError::invalid(
                        "organization_id",
                        "not_a_member",
                        "The user is not a member of this organization.",
                    ));
                }
                Some(org.numeric_id)
            }
        };
        user.updated_at = now_utc();
        Ok(self.store.update_user(&user, claims_of(project, &user), RefsChange::Unchanged).await?)
    }
}
