//! Organization and membership rows and SQL (shared with `lite/organizations.rs`), and the PostgreSQL store of
//! them.

use std::collections::BTreeMap;

use sqlx::types::Json;
use userbase_core::ids::{OrganizationId, ProjectId, PublicUserId};
use userbase_core::organization::{Membership, Organization, OrganizationFields};
use userbase_core::store::{NewOrganizationRecord, StoreError};
use userbase_core::values::{ExternalRef, Metadata};

use crate::sql::sink::Arg;
use crate::sql::time::DbTime;

pub const SELECT_ORGANIZATION: &str = "SELECT o.id, o.project_id, o.public_id, o.name, o.parent_id, \
    p.public_id AS parent_public_id, o.source, o.source_id, o.plan, o.metadata, o.created_at, o.updated_at, o.version \
    FROM organizations o LEFT JOIN organizations p ON p.id = o.parent_id";
pub const INSERT_ORGANIZATION: &str = "INSERT INTO organizations (project_id, public_id, name, parent_id, source, \
    source_id, plan, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id";
pub const UPDATE_ORGANIZATION: &str = "UPDATE organizations SET name = $3, parent_id = $4, source = $5, \
    source_id = $6, plan = $7, metadata = $8, updated_at = $9, version = version + 1 \
    WHERE project_id = $1 AND id = $2 AND version = $10";
/// The values of `INSERT_ORGANIZATION`, as both stores bind them.
pub fn insert_args(rec: &NewOrganizationRecord) -> [Arg<'_>; 9] {
    let [name, parent, source, source_id, plan, metadata] = field_args(&rec.fields);
    let created_at = DbTime(rec.created_at).into();
    [
        rec.project_id.as_str().into(),
        rec.public_id.as_str().into(),
        name,
        parent,
        source,
        source_id,
        plan,
        metadata,
        created_at,
    ]
}

/// The values of `UPDATE_ORGANIZATION`, as both stores bind them.
pub fn update_args(org: &Organization) -> [Arg<'_>; 10] {
    let [name, parent, source, source_id, plan, metadata] = field_args(&org.fields);
    let (updated_at, version) = (DbTime(org.updated_at).into(), org.version.into());
    [
        org.project_id.as_str().into(),
        org.numeric_id.into(),
        name,
        parent,
        source,
        source_id,
        plan,
        metadata,
        updated_at,
        version,
    ]
}

/// `$3..$8` of both writes.
fn field_args(f: &OrganizationFields) -> [Arg<'_>; 6] {
    [
        f.name.as_str().into(),
        f.parent_id.into(),
        f.external_ref.as_ref().map(|r| r.source()).into(),
        f.external_ref.as_ref().map(|r| r.source_id()).into(),
        f.plan.as_deref().into(),
        Arg::json(f.metadata.as_map()),
    ]
}

/// `$3`: the version the caller read, or NULL for any version.
pub const DELETE_ORGANIZATION: &str =
    "DELETE FROM organizations WHERE project_id = $1 AND id = $2 AND version = COALESCE($3, version)";
pub const PUT_MEMBERSHIP: &str = "INSERT INTO memberships (organization_id, user_id, project_id, role, created_at) \
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organization_id, user_id) DO UPDATE SET role = excluded.role";
/// A membership where there is none (an existing one keeps its role).
pub const ADD_MEMBERSHIP: &str = "INSERT INTO memberships (organization_id, user_id, project_id, role, created_at) \
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organization_id, user_id) DO NOTHING";
/// PostgreSQL: `ADD_MEMBERSHIP` for many pairs in one statement (`$1`, `$2`: arrays of organization and user
/// ids).
pub const ADD_MEMBERSHIPS_PG: &str = "INSERT INTO memberships (organization_id, user_id, project_id, role, created_at) \
    SELECT t.organization_id, t.user_id, $3, $4, $5 FROM UNNEST($1::bigint[], $2::bigint[]) AS t(organization_id, user_id) \
    ON CONFLICT (organization_id, user_id) DO NOTHING";
pub const DELETE_MEMBERSHIP: &str =
    "DELETE FROM memberships WHERE project_id = $1 AND organization_id = $2 AND user_id = $3";
/// Memberships of live users; `$2`/`$3` narrow to one organization and/or one user when not NULL.
pub const SELECT_MEMBERSHIPS: &str = "SELECT m.organization_id, o.public_id AS organization_public_id, \
    o.name AS organization_name, m.user_id, u.public_id AS user_public_id, m.role, m.created_at \
    FROM memberships m JOIN organizations o ON o.id = m.organization_id JOIN users u ON u.id = m.user_id \
    WHERE m.project_id = $1 AND u.deleted_at IS NULL AND ($2 IS NULL OR m.organization_id = $2) \
    AND ($3 IS NULL OR m.user_id = $3) ORDER BY m.created_at, m.organization_id, m.user_id";

fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("stored value is not valid: {what}"))
}

#[derive(sqlx::FromRow)]
pub struct OrganizationRow {
    pub id: i64,
    pub project_id: String,
    pub public_id: String,
    pub name: String,
    pub parent_id: Option<i64>,
    pub parent_public_id: Option<String>,
    pub source: Option<String>,
    pub source_id: Option<String>,
    pub plan: Option<String>,
    pub metadata: Json<BTreeMap<String, String>>,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub version: i64,
}

impl TryFrom<OrganizationRow> for Organization {
    type Error = StoreError;

    fn try_from(r: OrganizationRow) -> Result<Self, StoreError> {
        let external_ref = match (r.source, r.source_id) {
            (Some(s), Some(id)) => Some(ExternalRef::from_stored(s, id)),
            _ => None,
        };
        Ok(Organization {
            numeric_id: r.id,
            public_id: OrganizationId::parse(&r.public_id).ok_or_else(|| corrupt("organizations.public_id"))?,
            project_id: ProjectId::from_stored(r.project_id),
            fields: OrganizationFields {
                name: r.name,
                parent_id: r.parent_id,
                external_ref,
                plan: r.plan,
                metadata: Metadata::from_stored(r.metadata.0),
            },
            parent_public_id: r.parent_public_id.as_deref().and_then(OrganizationId::parse),
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct MembershipRow {
    pub organization_id: i64,
    pub organization_public_id: String,
    pub organization_name: String,
    pub user_id: i64,
    pub user_public_id: String,
    pub role: String,
    pub created_at: DbTime,
}

impl TryFrom<MembershipRow> for Membership {
    type Error = StoreError;

    fn try_from(r: MembershipRow) -> Result<Self, StoreError> {
        Ok(Membership {
            organization_id: r.organization_id,
            organization_public_id: OrganizationId::parse(&r.organization_public_id)
                .ok_or_else(|| corrupt("organizations.public_id"))?,
            organization_name: r.organization_name,
            user_id: r.user_id,
            user_public_id: PublicUserId::parse(&r.user_public_id).ok_or_else(|| corrupt("users.public_id"))?,
            role: r.role,
            created_at: r.created_at.0,
        })
    }
}
