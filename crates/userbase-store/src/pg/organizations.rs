//! Organizations and memberships on PostgreSQL. The SQL text and rows are `sql/organizations.rs`.

use userbase_core::ids::{HumanId, ProjectId};
use userbase_core::organization::{Membership, Organization, OrganizationKey};
use userbase_core::store::{NewOrganizationRecord, NewUserRecord, OrganizationStore, StoreError};
use userbase_core::user::User;

use crate::pg::users::insert_user_in;
use crate::pg::{store_error, PgStore};
use crate::sql::organizations as sql;
use crate::sql::organizations::{MembershipRow, OrganizationRow};
use crate::sql::rows::UserRow;
use crate::sql::time::DbTime;
use crate::sql::users::HUMAN_ID_ATTEMPTS;
use crate::sql::violation::{classify, Violation};

impl PgStore {
    /// The organization, then the user (with it as default), then the membership, in one transaction.
    async fn try_insert_user_with_organization(
        &self,
        user: &NewUserRecord,
        human_id: &str,
        org: &NewOrganizationRecord,
        role: &str,
    ) -> Result<(UserRow, i64), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let (org_id,): (i64,) = sql::insert_args(org)
            .into_iter()
            .fold(sqlx::query_as(sql::INSERT_ORGANIZATION), |query, arg| query.bind(arg))
            .fetch_one(&mut *tx)
            .await?;
        let mut user = user.clone();
        user.profile.default_organization_id = Some(org_id);
        let row = insert_user_in(&mut tx, &user, human_id).await?;
        sqlx::query(sql::PUT_MEMBERSHIP)
            .bind(org_id)
            .bind(row.id)
            .bind(user.project_id.as_str())
            .bind(role)
            .bind(DbTime(user.created_at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((row, org_id))
    }

    async fn organization_by_id(
        &self,
        project: &ProjectId,
        key: &OrganizationKey,
    ) -> Result<Option<Organization>, StoreError> {
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(sql::SELECT_ORGANIZATION);
        qb.push(" WHERE o.project_id = ").push_bind(project.as_str());
        match key {
            OrganizationKey::Public(id) => qb.push(" AND o.public_id = ").push_bind(id.as_str()),
            OrganizationKey::Numeric(id) => qb.push(" AND o.id = ").push_bind(*id),
            OrganizationKey::External(r) => qb
                .push(" AND o.source = ")
                .push_bind(r.source())
                .push(" AND o.source_id = ")
                .push_bind(r.source_id())
                .push(" AND o.deleted_at IS NULL"),
        };
        let row = qb.build_query_as::<OrganizationRow>().fetch_optional(&self.reader).await.map_err(store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn organization_insert(&self, rec: &NewOrganizationRecord) -> Result<Organization, StoreError> {
        let (id,): (i64,) = sql::insert_args(rec)
            .into_iter()
            .fold(sqlx::query_as(sql::INSERT_ORGANIZATION), |query, arg| query.bind(arg))
            .fetch_one(&self.writer)
            .await
            .map_err(store_error)?;
        let key = OrganizationKey::Numeric(id);
        self.organization_by_id(&rec.project_id, &key)
            .await?
            .ok_or_else(|| StoreError::Backend("inserted organization vanished".into()))
    }

    async fn organization_update(&self, org: &Organization) -> Result<Organization, StoreError> {
        let done = sql::update_args(org)
            .into_iter()
            .fold(sqlx::query(sql::UPDATE_ORGANIZATION), |query, arg| query.bind(arg))
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::VersionMismatch);
        }
        let key = OrganizationKey::Numeric(org.numeric_id);
        self.organization_by_id(&org.project_id, &key).await?.ok_or(StoreError::VersionMismatch)
    }

    async fn organization_page(
        &self,
        project: &ProjectId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<Organization>, bool), StoreError> {
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(sql::SELECT_ORGANIZATION);
        qb.push(" WHERE o.project_id = ").push_bind(project.as_str());
        qb.push(" AND o.id < ").push_bind(after.unwrap_or(i64::MAX));
        qb.push(" ORDER BY o.id DESC LIMIT ").push_bind(i64::from(limit) + 1);
        let rows = qb.build_query_as::<OrganizationRow>().fetch_all(&self.reader).await.map_err(store_error)?;
        let more = rows.len() > limit as usize;
        let orgs = rows.into_iter().take(limit as usize).map(TryInto::try_into).collect::<Result<Vec<_>, _>>()?;
        Ok((orgs, more))
    }

    async fn membership_list(
        &self,
        project: &ProjectId,
        organization_id: Option<i64>,
        user_id: Option<i64>,
    ) -> Result<Vec<Membership>, StoreError> {
        let rows = sqlx::query_as::<_, MembershipRow>(sql::SELECT_MEMBERSHIPS)
            .bind(project.as_str())
            .bind(organization_id)
            .bind(user_id)
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}

#[async_trait::async_trait]
impl OrganizationStore for PgStore {
    async fn insert_organization(&self, org: &NewOrganizationRecord) -> Result<Organization, StoreError> {
        self.organization_insert(org).await
    }

    async fn find_organization(
        &self,
        project: &ProjectId,
        key: &OrganizationKey,
    ) -> Result<Option<Organization>, StoreError> {
        self.organization_by_id(project, key).await
    }

    async fn update_organization(&self, org: &Organization) -> Result<Organization, StoreError> {
        self.organization_update(org).await
    }

    async fn delete_organization(
        &self,
        project: &ProjectId,
        id: i64,
        version: Option<i64>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(sql::DELETE_ORGANIZATION)
            .bind(project.as_str())
            .bind(id)
            .bind(version)
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn list_organizations(
        &self,
        project: &ProjectId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<Organization>, bool), StoreError> {
        self.organization_page(project, after, limit).await
    }

    async fn put_membership(
        &self,
        project: &ProjectId,
        organization_id: i64,
        user_id: i64,
        role: &str,
        now: time::OffsetDateTime,
    ) -> Result<Membership, StoreError> {
        sqlx::query(sql::PUT_MEMBERSHIP)
            .bind(organization_id)
            .bind(user_id)
            .bind(project.as_str())
            .bind(role)
            .bind(DbTime(now))
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        self.membership_list(project, Some(organization_id), Some(user_id))
            .await?
            .pop()
            .ok_or_else(|| StoreError::Backend("membership vanished".into()))
    }

    async fn add_memberships(
        &self,
        project: &ProjectId,
        pairs: &[(i64, i64)],
        role: &str,
        now: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        if pairs.is_empty() {
            return Ok(());
        }
        let (organizations, users): (Vec<i64>, Vec<i64>) = pairs.iter().copied().unzip();
        sqlx::query(sql::ADD_MEMBERSHIPS_PG)
            .bind(organizations)
            .bind(users)
            .bind(project.as_str())
            .bind(role)
            .bind(DbTime(now))
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete_membership(
        &self,
        project: &ProjectId,
        organization_id: i64,
        user_id: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(sql::DELETE_MEMBERSHIP)
            .bind(project.as_str())
            .bind(organization_id)
            .bind(user_id)
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn insert_user_with_organization(
        &self,
        user: &NewUserRecord,
        org: &NewOrganizationRecord,
        role: &str,
    ) -> Result<(User, Membership), StoreError> {
        let mut human_id = user.human_id.clone();
        for _ in 0..HUMAN_ID_ATTEMPTS {
            match self.try_insert_user_with_organization(user, human_id.as_str(), org, role).await {
                Ok((row, org_id)) => {
                    self.note_inserted(1);
                    let user: User = row.try_into()?;
                    let membership = self
                        .membership_list(&user.project_id, Some(org_id), Some(user.numeric_id))
                        .await?
                        .pop()
                        .ok_or_else(|| StoreError::Backend("membership vanished".into()))?;
                    return Ok((user, membership));
                }
                // The whole transaction is undone; it is run again with a fresh human id.
                Err(e) if classify(&e) == Some(Violation::HumanId) => human_id = HumanId::generate(),
                Err(e) => return Err(store_error(e)),
            }
        }
        Err(StoreError::Backend("no free human id after several attempts".into()))
    }

    async fn list_memberships(
        &self,
        project: &ProjectId,
        organization_id: Option<i64>,
        user_id: Option<i64>,
    ) -> Result<Vec<Membership>, StoreError> {
        self.membership_list(project, organization_id, user_id).await
    }
}
