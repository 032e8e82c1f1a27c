//! Organization and membership rows and SQL (shared with `lite/organizations.rs`), and the PostgreSQL store of
//! them.

use std::collections::BTreeMap;

use sqlx::types::Json;
use userbase_core::ids::{OrganizationId, ProjectId, PublicUserId};
use userbase_core::organization::{Membership, Organization, OrganizationFields};
use userbase_core::store::StoreError;
use userbase_core::values::{ExternalRef, Metadata};

use crate::db_time::DbTime;

pub const SELECT_ORGANIZATION: &str = "SELECT o.id, o.project_id, o.public_id, o.name, o.parent_id, \
    p.public_id AS parent_public_id, o.source, o.source_id, o.plan, o.metadata, o.created_at, o.updated_at, o.version \
    FROM organizations o LEFT JOIN organizations p ON p.id = o.parent_id";
pub const INSERT_ORGANIZATION: &str = "INSERT INTO organizations (project_id, public_id, name, parent_id, source, \
    source_id, plan, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id";
pub const UPDATE_ORGANIZATION: &str = "UPDATE organizations SET name = $3, parent_id = $4, source = $5, \
    source_id = $6, plan = $7, metadata = $8, updated_at = $9, version = version + 1 \
    WHERE project_id = $1 AND id = $2 AND version = $10";
/// `$3`: the version the caller read, or NULL for any version.
pub const DELETE_ORGANIZATION: &str =
    "DELETE FROM organizations WHERE project_id = $1 AND id = $2 AND version = COALESCE($3, version)";
pub const PUT_MEMBERSHIP: &str = "INSERT INTO memberships (organization_id, user_id, project_id, role, created_at) \
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organization_id, user_id) DO UPDATE SET role = excluded.role";
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

impl crate::postgres::PgStore {
    async fn organization_by_id(
        &self,
        project: &userbase_core::ids::ProjectId,
        key: &userbase_core::organization::OrganizationKey,
    ) -> Result<Option<userbase_core::organization::Organization>, userbase_core::store::StoreError> {
        use userbase_core::organization::OrganizationKey;
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(crate::organizations::SELECT_ORGANIZATION);
        qb.push(" WHERE o.project_id = ").push_bind(project.as_str());
        match key {
            OrganizationKey::Public(id) => qb.push(" AND o.public_id = ").push_bind(id.as_str()),
            OrganizationKey::Numeric(id) => qb.push(" AND o.id = ").push_bind(*id),
        };
        let row = qb
            .build_query_as::<crate::organizations::OrganizationRow>()
            .fetch_optional(&self.reader)
            .await
            .map_err(crate::sql_store::store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn organization_insert(
        &self,
        rec: &userbase_core::store::NewOrganizationRecord,
    ) -> Result<userbase_core::organization::Organization, userbase_core::store::StoreError> {
        let f = &rec.fields;
        let (id,): (i64,) = sqlx::query_as(crate::organizations::INSERT_ORGANIZATION)
            .bind(rec.project_id.as_str())
            .bind(rec.public_id.as_str())
            .bind(f.name.as_str())
            .bind(f.parent_id)
            .bind(f.external_ref.as_ref().map(|r| r.source()))
            .bind(f.external_ref.as_ref().map(|r| r.source_id()))
            .bind(f.plan.as_deref())
            .bind(sqlx::types::Json(f.metadata.as_map()))
            .bind(crate::db_time::DbTime(rec.created_at))
            .fetch_one(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        let key = userbase_core::organization::OrganizationKey::Numeric(id);
        self.organization_by_id(&rec.project_id, &key)
            .await?
            .ok_or_else(|| userbase_core::store::StoreError::Backend("inserted organization vanished".into()))
    }

    async fn organization_update(
        &self,
        org: &userbase_core::organization::Organization,
    ) -> Result<userbase_core::organization::Organization, userbase_core::store::StoreError> {
        let f = &org.fields;
        let done = sqlx::query(crate::organizations::UPDATE_ORGANIZATION)
            .bind(org.project_id.as_str())
            .bind(org.numeric_id)
            .bind(f.name.as_str())
            .bind(f.parent_id)
            .bind(f.external_ref.as_ref().map(|r| r.source()))
            .bind(f.external_ref.as_ref().map(|r| r.source_id()))
            .bind(f.plan.as_deref())
            .bind(sqlx::types::Json(f.metadata.as_map()))
            .bind(crate::db_time::DbTime(org.updated_at))
            .bind(org.version)
            .execute(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        if done.rows_affected() == 0 {
            return Err(userbase_core::store::StoreError::VersionMismatch);
        }
        let key = userbase_core::organization::OrganizationKey::Numeric(org.numeric_id);
        self.organization_by_id(&org.project_id, &key).await?.ok_or(userbase_core::store::StoreError::VersionMismatch)
    }

    async fn organization_page(
        &self,
        project: &userbase_core::ids::ProjectId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<userbase_core::organization::Organization>, bool), userbase_core::store::StoreError> {
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(crate::organizations::SELECT_ORGANIZATION);
        qb.push(" WHERE o.project_id = ").push_bind(project.as_str());
        qb.push(" AND o.id < ").push_bind(after.unwrap_or(i64::MAX));
        qb.push(" ORDER BY o.id DESC LIMIT ").push_bind(i64::from(limit) + 1);
        let rows = qb
            .build_query_as::<crate::organizations::OrganizationRow>()
            .fetch_all(&self.reader)
            .await
            .map_err(crate::sql_store::store_error)?;
        let more = rows.len() > limit as usize;
        let orgs = rows.into_iter().take(limit as usize).map(TryInto::try_into).collect::<Result<Vec<_>, _>>()?;
        Ok((orgs, more))
    }

    async fn membership_list(
        &self,
        project: &userbase_core::ids::ProjectId,
        organization_id: Option<i64>,
        user_id: Option<i64>,
    ) -> Result<Vec<userbase_core::organization::Membership>, userbase_core::store::StoreError> {
        let rows = sqlx::query_as::<_, crate::organizations::MembershipRow>(crate::organizations::SELECT_MEMBERSHIPS)
            .bind(project.as_str())
            .bind(organization_id)
            .bind(user_id)
            .fetch_all(&self.reader)
            .await
            .map_err(crate::sql_store::store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}

#[async_trait::async_trait]
impl userbase_core::store::OrganizationStore for crate::postgres::PgStore {
    async fn insert_organization(
        &self,
        org: &userbase_core::store::NewOrganizationRecord,
    ) -> Result<userbase_core::organization::Organization, userbase_core::store::StoreError> {
        self.organization_insert(org).await
    }

    async fn find_organization(
        &self,
        project: &userbase_core::ids::ProjectId,
        key: &userbase_core::organization::OrganizationKey,
    ) -> Result<Option<userbase_core::organization::Organization>, userbase_core::store::StoreError> {
        self.organization_by_id(project, key).await
    }

    async fn update_organization(
        &self,
        org: &userbase_core::organization::Organization,
    ) -> Result<userbase_core::organization::Organization, userbase_core::store::StoreError> {
        self.organization_update(org).await
    }

    async fn delete_organization(
        &self,
        project: &userbase_core::ids::ProjectId,
        id: i64,
        version: Option<i64>,
    ) -> Result<bool, userbase_core::store::StoreError> {
        let done = sqlx::query(crate::organizations::DELETE_ORGANIZATION)
            .bind(project.as_str())
            .bind(id)
            .bind(version)
            .execute(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn list_organizations(
        &self,
        project: &userbase_core::ids::ProjectId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<userbase_core::organization::Organization>, bool), userbase_core::store::StoreError> {
        self.organization_page(project, after, limit).await
    }

    async fn put_membership(
        &self,
        project: &userbase_core::ids::ProjectId,
        organization_id: i64,
        user_id: i64,
        role: &str,
        now: time::OffsetDateTime,
    ) -> Result<userbase_core::organization::Membership, userbase_core::store::StoreError> {
        sqlx::query(crate::organizations::PUT_MEMBERSHIP)
            .bind(organization_id)
            .bind(user_id)
            .bind(project.as_str())
            .bind(role)
            .bind(crate::db_time::DbTime(now))
            .execute(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        self.membership_list(project, Some(organization_id), Some(user_id))
            .await?
            .pop()
            .ok_or_else(|| userbase_core::store::StoreError::Backend("membership vanished".into()))
    }

    async fn delete_membership(
        &self,
        project: &userbase_core::ids::ProjectId,
        organization_id: i64,
        user_id: i64,
    ) -> Result<bool, userbase_core::store::StoreError> {
        let done = sqlx::query(crate::organizations::DELETE_MEMBERSHIP)
            .bind(project.as_str())
            .bind(organization_id)
            .bind(user_id)
            .execute(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn list_memberships(
        &self,
        project: &userbase_core::ids::ProjectId,
        organization_id: Option<i64>,
        user_id: Option<i64>,
    ) -> Result<Vec<userbase_core::organization::Membership>, userbase_core::store::StoreError> {
        self.membership_list(project, organization_id, user_id).await
    }
}
