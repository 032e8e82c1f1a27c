//! Addresses on PostgreSQL: insert, replace and update (moving the default flag), list (of one user or many),
//! find, delete. The SQL text, rows
//! and write values are `sql/addresses.rs`.

use userbase_core::address::{Address, AddressFields, AddressKey, AddressKind, AddressType};
use userbase_core::ids::ProjectId;
use userbase_core::page::{Page, PageRequest};
use userbase_core::store::{AddressStore, NewAddressRecord, StoreError};

use crate::pg::{store_error, PgStore};
use crate::sql::addresses as sql;
use crate::sql::addresses::{AddressRow, AddressWrite};
use crate::sql::paging::Assembled;
use crate::sql::time::DbTime;

/// Rows per multi-row address insert: 39 bound values each stays well under PostgreSQL's 65,535 limit.
const ADDRESS_ROWS_PER_STATEMENT: usize = 500;

impl PgStore {
    /// Inserts an address inside `tx`, first taking the default flag from the user's others of its type.
    async fn insert_in(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        rec: &NewAddressRecord,
    ) -> Result<AddressRow, sqlx::Error> {
        Self::clear_other_defaults(tx, &rec.fields, rec.user_id, 0).await?;
        let write = AddressWrite::new(&rec.fields, rec.created_at);
        let query = sqlx::query_as::<_, AddressRow>(&sql::INSERT_ADDRESS)
            .bind(rec.project_id.as_str())
            .bind(rec.user_id)
            .bind(rec.public_id.as_str())
            .bind(DbTime(rec.created_at));
        write.args().into_iter().fold(query, |query, arg| query.bind(arg)).fetch_one(&mut **tx).await
    }

    async fn clear_other_defaults(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        fields: &AddressFields,
        user_id: i64,
        keep: i64,
    ) -> Result<(), sqlx::Error> {
        if fields.is_default {
            sqlx::query(sql::CLEAR_OTHER_DEFAULTS)
                .bind(user_id)
                .bind(fields.address_type.as_str())
                .bind(keep)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl AddressStore for PgStore {
    async fn insert_address(&self, rec: &NewAddressRecord) -> Result<Address, StoreError> {
        let mut tx = self.begin_write().await.map_err(store_error)?;
        let row = Self::insert_in(&mut tx, rec).await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        row.try_into()
    }

    async fn replace_addresses(
        &self,
        project: &ProjectId,
        user_id: i64,
        kind: AddressKind,
        records: &[NewAddressRecord],
    ) -> Result<Vec<Address>, StoreError> {
        sql::check_replace(project, user_id, kind, records)?;
        let mut tx = self.begin_write().await.map_err(store_error)?;
        sqlx::query(sql::DELETE_ADDRESSES_OF_KIND)
            .bind(project.as_str())
            .bind(user_id)
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        let mut rows = Vec::with_capacity(records.len());
        for rec in records {
            rows.push(Self::insert_in(&mut tx, rec).await.map_err(store_error)?);
        }
        tx.commit().await.map_err(store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn write_addresses(
        &self,
        project: &ProjectId,
        inserts: &[NewAddressRecord],
        updates: &[Address],
    ) -> Result<Vec<Address>, StoreError> {
        sql::check_batch(project, inserts, updates)?;
        if inserts.is_empty() && updates.is_empty() {
            return Ok(Vec::new());
        }
        let (mut inserts, mut updates) = (inserts.to_vec(), updates.to_vec());
        let (default_pairs, update_order) = sql::settle_defaults(&mut inserts, &mut updates);
        let updated_ids: Vec<i64> = updates.iter().map(|a| a.numeric_id).collect();
        let mut tx = self.begin_write().await.map_err(store_error)?;
        for (user_id, t) in &default_pairs {
            sqlx::query(sql::CLEAR_DEFAULTS_BEFORE_BATCH_PG)
                .bind(user_id)
                .bind(t.as_str())
                .bind(&updated_ids)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        let mut updated: Vec<Option<AddressRow>> = (0..updates.len()).map(|_| None).collect();
        for i in update_order {
            let a = &updates[i];
            let write = AddressWrite::new(&a.fields, a.updated_at);
            let query = sqlx::query_as::<_, AddressRow>(&sql::UPDATE_ADDRESS)
                .bind(a.project_id.as_str())
                .bind(a.numeric_id)
                .bind(a.version);
            let row = write
                .args()
                .into_iter()
                .fold(query, |query, arg| query.bind(arg))
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?
                .ok_or(StoreError::VersionMismatch)?;
            updated[i] = Some(row);
        }
        // Inserts are not read back: the stored row is the record (`sql::inserted`); only ids come back.
        let mut written: Vec<Address> = Vec::with_capacity(inserts.len() + updates.len());
        for chunk in inserts.chunks(ADDRESS_ROWS_PER_STATEMENT) {
            let writes: Vec<AddressWrite<'_>> =
                chunk.iter().map(|r| AddressWrite::new(&r.fields, r.created_at)).collect();
            let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(sql::INSERT_ADDRESSES_COLUMNS.as_str());
            qb.push_values(chunk.iter().zip(&writes), |mut b, (r, w)| {
                b.push_bind(r.project_id.as_str())
                    .push_bind(r.user_id)
                    .push_bind(r.public_id.as_str())
                    .push_bind(DbTime(r.created_at));
                for arg in w.args() {
                    b.push_bind(arg);
                }
            });
            qb.push(" RETURNING id, public_id");
            let full = chunk.len() == ADDRESS_ROWS_PER_STATEMENT;
            let returned: Vec<(i64, String)> =
                qb.build_query_as().persistent(full).fetch_all(&mut *tx).await.map_err(store_error)?;
            // RETURNING promises no order: match the ids to the records by public id.
            let ids: std::collections::HashMap<String, i64> =
                returned.into_iter().map(|(id, public_id)| (public_id, id)).collect();
            for r in chunk {
                let id = ids
                    .get(r.public_id.as_str())
                    .ok_or_else(|| StoreError::Backend("an inserted address was not returned".into()))?;
                written.push(sql::inserted(r, *id));
            }
        }
        tx.commit().await.map_err(store_error)?;
        for row in updated.into_iter().flatten() {
            written.push(row.try_into()?);
        }
        Ok(written)
    }

    async fn addresses_of_users(&self, project: &ProjectId, user_ids: &[i64]) -> Result<Vec<Address>, StoreError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query_as::<_, AddressRow>(&sql::ADDRESSES_OF_USERS_PG)
            .bind(project.as_str())
            .bind(user_ids)
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn update_address(&self, a: &Address) -> Result<Address, StoreError> {
        use crate::pg::store_error;
        let mut tx = self.begin_write().await.map_err(store_error)?;
        Self::clear_other_defaults(&mut tx, &a.fields, a.user_id, a.numeric_id).await.map_err(store_error)?;
        let write = AddressWrite::new(&a.fields, a.updated_at);
        let query = sqlx::query_as::<_, AddressRow>(&sql::UPDATE_ADDRESS)
            .bind(a.project_id.as_str())
            .bind(a.numeric_id)
            .bind(a.version);
        let row = write
            .args()
            .into_iter()
            .fold(query, |query, arg| query.bind(arg))
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?
            .ok_or(StoreError::VersionMismatch)?;
        tx.commit().await.map_err(store_error)?;
        row.try_into()
    }

    async fn page_addresses(
        &self,
        project: &ProjectId,
        user_id: i64,
        page: &PageRequest,
    ) -> Result<Page<Address>, StoreError> {
        if page.limit == 0 {
            return Ok(Assembled::empty());
        }
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT ");
        sql::push_address_page(&mut qb, project.as_str(), user_id, page);
        let rows = qb.build_query_as::<AddressRow>().fetch_all(&self.reader).await.map_err(store_error)?;
        let assembled = sql::assemble_address_page(page, rows)?;
        let more_opposite = match &assembled.opposite {
            Some(position) => {
                let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new("SELECT ");
                sql::push_any_address(&mut qb, project.as_str(), user_id, position);
                qb.build().fetch_optional(&self.reader).await.map_err(store_error)?.is_some()
            }
            None => false,
        };
        Ok(assembled.finish(more_opposite))
    }

    async fn count_addresses(&self, project: &ProjectId, user_id: i64) -> Result<u64, StoreError> {
        let (count,): (i64,) = sqlx::query_as(sql::COUNT_ADDRESSES)
            .bind(project.as_str())
            .bind(user_id)
            .fetch_one(&self.reader)
            .await
            .map_err(store_error)?;
        Ok(count.max(0) as u64)
    }

    async fn list_addresses(
        &self,
        project: &ProjectId,
        user_id: i64,
        of_type: Option<AddressType>,
    ) -> Result<Vec<Address>, StoreError> {
        let rows = match of_type {
            None => {
                sqlx::query_as::<_, AddressRow>(&sql::ADDRESSES_OF_USER)
                    .bind(project.as_str())
                    .bind(user_id)
                    .fetch_all(&self.reader)
                    .await
            }
            Some(t) => {
                sqlx::query_as::<_, AddressRow>(&sql::ADDRESSES_OF_USER_BY_TYPE)
                    .bind(project.as_str())
                    .bind(user_id)
                    .bind(t.as_str())
                    .fetch_all(&self.reader)
                    .await
            }
        }
        .map_err(store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn find_address(
        &self,
        project: &ProjectId,
        user_id: i64,
        key: &AddressKey,
    ) -> Result<Option<Address>, StoreError> {
        let row = match key {
            AddressKey::Public(id) => {
                sqlx::query_as::<_, AddressRow>(&sql::ADDRESS_BY_PUBLIC_ID)
                    .bind(project.as_str())
                    .bind(user_id)
                    .bind(id.as_str())
                    .fetch_optional(&self.reader)
                    .await
            }
            AddressKey::Numeric(id) => {
                sqlx::query_as::<_, AddressRow>(&sql::ADDRESS_BY_NUMERIC_ID)
                    .bind(project.as_str())
                    .bind(user_id)
                    .bind(*id)
                    .fetch_optional(&self.reader)
                    .await
            }
        }
        .map_err(store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn delete_address(
        &self,
        project: &ProjectId,
        user_id: i64,
        address_id: i64,
        version: Option<i64>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(sql::DELETE_ADDRESS)
            .bind(project.as_str())
            .bind(user_id)
            .bind(address_id)
            .bind(version)
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }
}
