//! Organizations (BoltonSea accounts, Propeller usergroups) and memberships with a role.

use time::OffsetDateTime;

use crate::ids::{OrganizationId, ProjectId, PublicUserId};
use crate::values::{ExternalRef, Metadata};

/// Every writable field of an organization.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationFields {
    pub name: String,
    /// The parent's integer id.
    pub parent_id: Option<i64>,
    /// Unique per project among organizations.
    pub external_ref: Option<ExternalRef>,
    pub plan: Option<String>,
    pub metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub numeric_id: i64,
    pub public_id: OrganizationId,
    pub project_id: ProjectId,
    pub fields: OrganizationFields,
    /// The parent's public id, read with the organization.
    pub parent_public_id: Option<OrganizationId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

#[derive(Debug, Clone)]
pub enum OrganizationKey {
    Public(OrganizationId),
    Numeric(i64),
    /// The organization holding this external reference (unique per project).
    External(ExternalRef),
}

/// A user's membership of an organization, with both sides' public ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub organization_id: i64,
    pub organization_public_id: OrganizationId,
    pub organization_name: String,
    pub user_id: i64,
    pub user_public_id: PublicUserId,
    pub role: String,
    pub created_at: OffsetDateTime,
}

/// A user's default organization (BoltonSea's "default account") and the user's role in it; `role` is `None`
/// when the user is no longer a member of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultOrganization {
    pub organization_id: i64,
    pub organization_name: String,
    pub role: Option<String>,
}
