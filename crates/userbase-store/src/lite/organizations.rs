//! Organizations and memberships on SQLite (see `mod.rs`).

use std::sync::LazyLock;

use rusqlite::Connection;
use time::OffsetDateTime;
use userbase_core::ids::ProjectId;
use userbase_core::organization::{Membership, Organization, OrganizationKey};
use userbase_core::store::{NewOrganizationRecord, NewUserRecord, OrganizationStore, StoreError};
use userbase_core::user::User;

use super::rows;
use super::users::insert_one;
use super::{execute, numbered, query_all, query_opt, rows_of};
use crate::sql::organizations as sql;
use crate::sql::time::DbTime;
use crate::SqliteStore;

static BY_PUBLIC_ID: LazyLock<String> =
    LazyLock::new(|| format!("{} WHERE o.project_id = ?1 AND o.public_id = ?2", sql::SELECT_ORGANIZATION));
static BY_EXTERNAL_REF: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} WHERE o.project_id = ?1 AND o.source = ?2 AND o.source_id = ?3 AND o.deleted_at IS NULL",
        sql::SELECT_ORGANIZATION
    )
});
static BY_NUMERIC_ID: LazyLock<String> =
    LazyLock::new(|| format!("{} WHERE o.project_id = ?1 AND o.id = ?2", sql::SELECT_ORGANIZATION));
static PAGE: LazyLock<String> = LazyLock::new(|| {
    format!("{} WHERE o.project_id = ?1 AND o.id < ?2 ORDER BY o.id DESC LIMIT ?3", sql::SELECT_ORGANIZATION)
});
static INSERT: LazyLock<String> = LazyLock::new(|| numbered(sql::INSERT_ORGANIZATION));
static UPDATE: LazyLock<String> = LazyLock::new(|| numbered(sql::UPDATE_ORGANIZATION));
static DELETE: LazyLock<String> = LazyLock::new(|| numbered(sql::DELETE_ORGANIZATION));
static PUT_MEMBERSHIP: LazyLock<String> = LazyLock::new(|| numbered(sql::PUT_MEMBERSHIP));
static ADD_MEMBERSHIP: LazyLock<String> = LazyLock::new(|| numbered(sql::ADD_MEMBERSHIP));
static DELETE_MEMBERSHIP: LazyLock<String> = LazyLock::new(|| numbered(sql::DELETE_MEMBERSHIP));
static MEMBERSHIPS: LazyLock<String> = LazyLock::new(|| numbered(sql::SELECT_MEMBERSHIPS));

fn organization(
    conn: &Connection,
    project: &ProjectId,
    key: &OrganizationKey,
) -> Result<Option<Organization>, StoreError> {
    let row = match key {
        OrganizationKey::Public(id) => {
            query_opt(conn, &BY_PUBLIC_ID, rusqlite::params![project.as_str(), id.as_str()], rows::organization)
        }
        OrganizationKey::Numeric(id) => {
            query_opt(conn, &BY_NUMERIC_ID, rusqlite::params![project.as_str(), id], rows::organization)
        }
        OrganizationKey::External(r) => {
            let params = rusqlite::params![project.as_str(), r.source(), r.source_id()];
            query_opt(conn, &BY_EXTERNAL_REF, params, rows::organization)
        }
    }?;
    row.map(TryInto::try_into).transpose()
}

fn memberships(
    conn: &Connection,
    project: &ProjectId,
    organization_id: Option<i64>,
    user_id: Option<i64>,
) -> Result<Vec<Membership>, StoreError> {
    let params = rusqlite::params![project.as_str(), organization_id, user_id];
    rows_of(query_all(conn, &MEMBERSHIPS, params, rows::membership)?)
}

#[async_trait::async_trait]
impl OrganizationStore for SqliteStore {
    async fn insert_organization(&self, rec: &NewOrganizationRecord) -> Result<Organization, StoreError> {
        let rec = rec.clone();
        self.lite
            .write(move |conn| {
                let params = rusqlite::params_from_iter(sql::insert_args(&rec));
                let id: i64 = query_opt(conn, &INSERT, params, |r| r.get(0))?
                    .ok_or_else(|| StoreError::Backend("an inserted organization was not returned".into()))?;
                organization(conn, &rec.project_id, &OrganizationKey::Numeric(id))?
                    .ok_or_else(|| StoreError::Backend("inserted organization vanished".into()))
            })
            .await
    }

    async fn find_organization(
        &self,
        project: &ProjectId,
        key: &OrganizationKey,
    ) -> Result<Option<Organization>, StoreError> {
        self.lite.read(|conn| organization(conn, project, key))
    }

    async fn update_organization(&self, org: &Organization) -> Result<Organization, StoreError> {
        let org = org.clone();
        self.lite
            .write(move |conn| {
                let params = rusqlite::params_from_iter(sql::update_args(&org));
                if execute(conn, &UPDATE, params)? == 0 {
                    return Err(StoreError::VersionMismatch);
                }
                organization(conn, &org.project_id, &OrganizationKey::Numeric(org.numeric_id))?
                    .ok_or(StoreError::VersionMismatch)
            })
            .await
    }

    async fn delete_organization(
        &self,
        project: &ProjectId,
        id: i64,
        version: Option<i64>,
    ) -> Result<bool, StoreError> {
        let project = project.clone();
        let done = self
            .lite
            .write(move |conn| execute(conn, &DELETE, rusqlite::params![project.as_str(), id, version]))
            .await?;
        Ok(done > 0)
    }

    async fn list_organizations(
        &self,
        project: &ProjectId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<Organization>, bool), StoreError> {
        let params = rusqlite::params![project.as_str(), after.unwrap_or(i64::MAX), i64::from(limit) + 1];
        let rows = self.lite.read(|conn| query_all(conn, &PAGE, params, rows::organization))?;
        let more = rows.len() > limit as usize;
        let orgs = rows.into_iter().take(limit as usize).map(TryInto::try_into).collect::<Result<Vec<_>, _>>()?;
        Ok((orgs, more))
    }

    async fn put_membership(
        &self,
        project: &ProjectId,
        organization_id: i64,
        user_id: i64,
        role: &str,
        now: OffsetDateTime,
    ) -> Result<Membership, StoreError> {
        let (project, role) = (project.clone(), role.to_owned());
        self.lite
            .write(move |conn| {
                let params = rusqlite::params![organization_id, user_id, project.as_str(), role, DbTime(now)];
                execute(conn, &PUT_MEMBERSHIP, params)?;
                memberships(conn, &project, Some(organization_id), Some(user_id))?
                    .pop()
                    .ok_or_else(|| StoreError::Backend("membership vanished".into()))
            })
            .await
    }

    async fn add_memberships(
        &self,
        project: &ProjectId,
        pairs: &[(i64, i64)],
        role: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if pairs.is_empty() {
            return Ok(());
        }
        let (project, pairs, role) = (project.clone(), pairs.to_vec(), role.to_owned());
        self.lite
            .write(move |conn| {
                for (organization_id, user_id) in &pairs {
                    let params = rusqlite::params![organization_id, user_id, project.as_str(), role, DbTime(now)];
                    execute(conn, &ADD_MEMBERSHIP, params)?;
                }
                Ok(())
            })
            .await
    }

    async fn delete_membership(
        &self,
        project: &ProjectId,
        organization_id: i64,
        user_id: i64,
    ) -> Result<bool, StoreError> {
        let project = project.clone();
        let done = self
            .lite
            .write(move |conn| {
                execute(conn, &DELETE_MEMBERSHIP, rusqlite::params![project.as_str(), organization_id, user_id])
            })
            .await?;
        Ok(done > 0)
    }

    async fn insert_user_with_organization(
        &self,
        user: &NewUserRecord,
        org: &NewOrganizationRecord,
        role: &str,
    ) -> Result<(User, Membership), StoreError> {
        let (mut user, org, role) = (user.clone(), org.clone(), role.to_owned());
        // One write job: any error undoes all of it (its savepoint is rolled back).
        let (row, membership) = self
            .lite
            .write(move |conn| {
                let params = rusqlite::params_from_iter(sql::insert_args(&org));
                let org_id: i64 = query_opt(conn, &INSERT, params, |r| r.get(0))?
                    .ok_or_else(|| StoreError::Backend("an inserted organization was not returned".into()))?;
                user.profile.default_organization_id = Some(org_id);
                let row = insert_one(conn, &user)?;
                let params = rusqlite::params![org_id, row.id, user.project_id.as_str(), role, DbTime(user.created_at)];
                execute(conn, &PUT_MEMBERSHIP, params)?;
                let membership = memberships(conn, &user.project_id, Some(org_id), Some(row.id))?
                    .pop()
                    .ok_or_else(|| StoreError::Backend("membership vanished".into()))?;
                Ok((row, membership))
            })
            .await?;
        Ok((row.try_into()?, membership))
    }

    async fn list_memberships(
        &self,
        project: &ProjectId,
        organization_id: Option<i64>,
        user_id: Option<i64>,
    ) -> Result<Vec<Membership>, StoreError> {
        self.lite.read(|conn| memberships(conn, project, organization_id, user_id))
    }
}
