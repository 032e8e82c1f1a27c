//! Addresses on SQLite (see `mod.rs`).

use std::sync::LazyLock;

use rusqlite::types::ToSql;
use rusqlite::{CachedStatement, Connection};
use userbase_core::address::{Address, AddressFields, AddressKey, AddressKind, AddressType};
use userbase_core::ids::ProjectId;
use userbase_core::page::{Page, PageRequest};
use userbase_core::store::{AddressStore, NewAddressRecord, StoreError};

use super::rows;
use super::{execute, numbered, query_all, query_opt, rows_of, store_error};
use crate::sql::addresses::{self as sql, AddressRow, AddressWrite};
use crate::sql::paging::Assembled;
use crate::sql::sink::LiteQuery;
use crate::sql::time::DbTime;
use crate::SqliteStore;

static INSERT: LazyLock<String> = LazyLock::new(|| numbered(&sql::INSERT_ADDRESS));
static INSERT_QUIETLY: LazyLock<String> = LazyLock::new(|| numbered(&sql::INSERT_ADDRESS_VALUES));
static UPDATE: LazyLock<String> = LazyLock::new(|| numbered(&sql::UPDATE_ADDRESS));
static CLEAR_OTHER_DEFAULTS: LazyLock<String> = LazyLock::new(|| numbered(sql::CLEAR_OTHER_DEFAULTS));
static OF_USER: LazyLock<String> = LazyLock::new(|| numbered(&sql::ADDRESSES_OF_USER));
static OF_USER_BY_TYPE: LazyLock<String> = LazyLock::new(|| numbered(&sql::ADDRESSES_OF_USER_BY_TYPE));
static BY_PUBLIC_ID: LazyLock<String> = LazyLock::new(|| numbered(&sql::ADDRESS_BY_PUBLIC_ID));
static BY_NUMERIC_ID: LazyLock<String> = LazyLock::new(|| numbered(&sql::ADDRESS_BY_NUMERIC_ID));
static DELETE: LazyLock<String> = LazyLock::new(|| numbered(sql::DELETE_ADDRESS));
static COUNT: LazyLock<String> = LazyLock::new(|| numbered(sql::COUNT_ADDRESSES));
static DELETE_OF_KIND: LazyLock<String> = LazyLock::new(|| numbered(sql::DELETE_ADDRESSES_OF_KIND));
static CLEAR_DEFAULTS_BEFORE_BATCH: LazyLock<String> =
    LazyLock::new(|| numbered(sql::CLEAR_DEFAULTS_BEFORE_BATCH_LITE));
static OF_USERS: LazyLock<String> = LazyLock::new(|| numbered(&sql::ADDRESSES_OF_USERS_LITE));

/// Binds the write columns of `w` (in `sql::addresses::WRITE_COLUMNS` order) from parameter `first` on.
fn bind_write(stmt: &mut CachedStatement<'_>, first: usize, w: &AddressWrite<'_>) -> rusqlite::Result<()> {
    for (i, arg) in w.args().iter().enumerate() {
        stmt.raw_bind_parameter(first + i, arg)?;
    }
    Ok(())
}

/// A default address takes the flag from the user's other addresses of its type (`keep`: itself, or 0).
fn clear_other_defaults(conn: &Connection, fields: &AddressFields, user_id: i64, keep: i64) -> Result<(), StoreError> {
    if fields.is_default {
        execute(conn, &CLEAR_OTHER_DEFAULTS, rusqlite::params![user_id, fields.address_type.as_str(), keep])?;
    }
    Ok(())
}

/// Runs an insert or update whose leading parameters are bound, with the write columns after them.
fn write_row(
    conn: &Connection,
    sql: &str,
    leading: &[&dyn ToSql],
    write: &AddressWrite<'_>,
) -> Result<Option<AddressRow>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(store_error)?;
    for (i, value) in leading.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, value).map_err(store_error)?;
    }
    bind_write(&mut stmt, leading.len() + 1, write).map_err(store_error)?;
    let mut rows = stmt.raw_query();
    match rows.next().map_err(store_error)? {
        Some(row) => rows::address(row).map(Some).map_err(store_error),
        None => Ok(None),
    }
}

/// Inserts an address, first taking the default flag from the user's others of its type.
fn insert_row(conn: &Connection, rec: &NewAddressRecord) -> Result<AddressRow, StoreError> {
    clear_other_defaults(conn, &rec.fields, rec.user_id, 0)?;
    let write = AddressWrite::new(&rec.fields, rec.created_at);
    let leading: [&dyn ToSql; 4] =
        [&rec.project_id.as_str(), &rec.user_id, &rec.public_id.as_str(), &DbTime(rec.created_at)];
    write_row(conn, &INSERT, &leading, &write)?
        .ok_or_else(|| StoreError::Backend("an inserted address was not returned".into()))
}

#[async_trait::async_trait]
impl AddressStore for SqliteStore {
    async fn insert_address(&self, rec: &NewAddressRecord) -> Result<Address, StoreError> {
        let rec = rec.clone();
        let row = self.lite.write(move |conn| insert_row(conn, &rec)).await?;
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
        let (project, records) = (project.clone(), records.to_vec());
        // One job: the writer runs it in a savepoint of its own, so a failing insert undoes the delete too.
        let rows = self
            .lite
            .write(move |conn| {
                execute(conn, &DELETE_OF_KIND, rusqlite::params![project.as_str(), user_id, kind.as_str()])?;
                records.iter().map(|rec| insert_row(conn, rec)).collect::<Result<Vec<_>, _>>()
            })
            .await?;
        rows_of(rows)
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
        let updated_ids = serde_json::to_string(&updates.iter().map(|a| a.numeric_id).collect::<Vec<_>>())
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        // One job in a savepoint of its own: a stale update undoes the whole batch. A prepared single-row
        // statement run in place costs no round trip, so SQLite gains nothing from multi-row text.
        let rows = self
            .lite
            .write(move |conn| {
                for (user_id, t) in &default_pairs {
                    let params = rusqlite::params![user_id, t.as_str(), updated_ids];
                    execute(conn, &CLEAR_DEFAULTS_BEFORE_BATCH, params)?;
                }
                let mut updated: Vec<Option<AddressRow>> = (0..updates.len()).map(|_| None).collect();
                for i in update_order {
                    let a = &updates[i];
                    let write = AddressWrite::new(&a.fields, a.updated_at);
                    let leading: [&dyn ToSql; 3] = [&a.project_id.as_str(), &a.numeric_id, &a.version];
                    updated[i] = Some(write_row(conn, &UPDATE, &leading, &write)?.ok_or(StoreError::VersionMismatch)?);
                }
                // Inserts are not read back: the stored row is the record (`sql::inserted`).
                let mut written = Vec::with_capacity(inserts.len() + updates.len());
                let mut stmt = conn.prepare_cached(&INSERT_QUIETLY).map_err(store_error)?;
                for rec in &inserts {
                    let write = AddressWrite::new(&rec.fields, rec.created_at);
                    let bound: rusqlite::Result<()> = (|| {
                        stmt.raw_bind_parameter(1, rec.project_id.as_str())?;
                        stmt.raw_bind_parameter(2, rec.user_id)?;
                        stmt.raw_bind_parameter(3, rec.public_id.as_str())?;
                        stmt.raw_bind_parameter(4, DbTime(rec.created_at))?;
                        bind_write(&mut stmt, 5, &write)
                    })();
                    bound.and_then(|()| stmt.raw_execute()).map_err(store_error)?;
                    written.push(sql::inserted(rec, conn.last_insert_rowid()));
                }
                Ok((written, updated))
            })
            .await?;
        let (mut written, updated) = rows;
        for row in updated.into_iter().flatten() {
            written.push(row.try_into()?);
        }
        Ok(written)
    }

    async fn addresses_of_users(&self, project: &ProjectId, user_ids: &[i64]) -> Result<Vec<Address>, StoreError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(user_ids).map_err(|e| StoreError::Backend(e.to_string()))?;
        let rows = self
            .lite
            .read(|conn| query_all(conn, &OF_USERS, rusqlite::params![project.as_str(), ids], rows::address))?;
        rows_of(rows)
    }

    async fn update_address(&self, address: &Address) -> Result<Address, StoreError> {
        let a = address.clone();
        let row = self
            .lite
            .write(move |conn| {
                clear_other_defaults(conn, &a.fields, a.user_id, a.numeric_id)?;
                let write = AddressWrite::new(&a.fields, a.updated_at);
                let leading: [&dyn ToSql; 3] = [&a.project_id.as_str(), &a.numeric_id, &a.version];
                write_row(conn, &UPDATE, &leading, &write)?.ok_or(StoreError::VersionMismatch)
            })
            .await?;
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
        let mut query = LiteQuery::new("SELECT ");
        sql::push_address_page(&mut query, project.as_str(), user_id, page);
        self.lite.read(|conn| {
            let rows = query_all(conn, &query.sql, rusqlite::params_from_iter(query.args.iter()), rows::address)?;
            let assembled = sql::assemble_address_page(page, rows)?;
            let more_opposite = match &assembled.opposite {
                Some(position) => {
                    let mut any = LiteQuery::new("SELECT ");
                    sql::push_any_address(&mut any, project.as_str(), user_id, position);
                    query_opt(conn, &any.sql, rusqlite::params_from_iter(any.args.iter()), |_| Ok(()))?.is_some()
                }
                None => false,
            };
            Ok(assembled.finish(more_opposite))
        })
    }

    async fn count_addresses(&self, project: &ProjectId, user_id: i64) -> Result<u64, StoreError> {
        let count: i64 = self.lite.read(|conn| {
            query_opt(conn, &COUNT, rusqlite::params![project.as_str(), user_id], |row| row.get(0))
                .map(Option::unwrap_or_default)
        })?;
        Ok(count.max(0) as u64)
    }

    async fn list_addresses(
        &self,
        project: &ProjectId,
        user_id: i64,
        of_type: Option<AddressType>,
    ) -> Result<Vec<Address>, StoreError> {
        let rows = self.lite.read(|conn| match of_type {
            None => query_all(conn, &OF_USER, rusqlite::params![project.as_str(), user_id], rows::address),
            Some(t) => query_all(
                conn,
                &OF_USER_BY_TYPE,
                rusqlite::params![project.as_str(), user_id, t.as_str()],
                rows::address,
            ),
        })?;
        rows_of(rows)
    }

    async fn find_address(
        &self,
        project: &ProjectId,
        user_id: i64,
        key: &AddressKey,
    ) -> Result<Option<Address>, StoreError> {
        let row = self.lite.read(|conn| match key {
            AddressKey::Public(id) => {
                query_opt(conn, &BY_PUBLIC_ID, rusqlite::params![project.as_str(), user_id, id.as_str()], rows::address)
            }
            AddressKey::Numeric(id) => {
                query_opt(conn, &BY_NUMERIC_ID, rusqlite::params![project.as_str(), user_id, id], rows::address)
            }
        })?;
        row.map(TryInto::try_into).transpose()
    }

    async fn delete_address(
        &self,
        project: &ProjectId,
        user_id: i64,
        address_id: i64,
        version: Option<i64>,
    ) -> Result<bool, StoreError> {
        let project = project.clone();
        let done = self
            .lite
            .write(move |conn| {
                execute(conn, &DELETE, rusqlite::params![project.as_str(), user_id, address_id, version])
            })
            .await?;
        Ok(done > 0)
    }
}
