//! Decoding rusqlite rows into the shared row types (`crate::rows`), by column position in the shared column
//! lists (`sql::USER_COLUMNS`, `sql::KEY_COLUMNS`), and encoding JSON columns.

use rusqlite::types::{ToSql, ToSqlOutput, Value};
use rusqlite::Row;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::types::Json;

use crate::rows::{KeyRow, StoredKeyRow, UserRow};

/// A value stored as JSON text.
pub struct JsonText<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> ToSql for JsonText<'_, T> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let text = serde_json::to_string(self.0).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(ToSqlOutput::Owned(Value::Text(text)))
    }
}

fn json<T: DeserializeOwned>(row: &Row<'_>, i: usize) -> rusqlite::Result<Json<T>> {
    let value = row.get_ref(i)?;
    serde_json::from_slice(value.as_bytes()?)
        .map(Json)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e)))
}

fn json_or_null<T: DeserializeOwned>(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<Json<T>>> {
    match row.get_ref(i)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => json(row, i).map(Some),
    }
}

/// A user row in `sql::USER_COLUMNS` order, starting at column 0.
pub fn user(row: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        public_id: row.get(2)?,
        object_id: row.get(3)?,
        human_id: row.get(4)?,
        auth_subject: row.get(5)?,
        email: row.get(6)?,
        email_verified: row.get(7)?,
        salutation: row.get(8)?,
        first_name: row.get(9)?,
        middle_name: row.get(10)?,
        last_name: row.get(11)?,
        full_name: row.get(12)?,
        abbreviation: row.get(13)?,
        birth_date: row.get(14)?,
        gender: row.get(15)?,
        phone: row.get(16)?,
        mobile: row.get(17)?,
        locale: row.get(18)?,
        country_code: row.get(19)?,
        company_name: row.get(20)?,
        login: row.get(21)?,
        debtor_id: row.get(22)?,
        tax_number: row.get(23)?,
        coc_number: row.get(24)?,
        pricelist_amount: row.get(25)?,
        pricelist_percentage: row.get(26)?,
        parent_group: json_or_null(row, 27)?,
        external_refs: json(row, 28)?,
        metadata: json(row, 29)?,
        tags: json(row, 30)?,
        bio: row.get(31)?,
        note: row.get(32)?,
        image_ref: row.get(33)?,
        avatar: row.get(34)?,
        default_payment_method_ref: row.get(35)?,
        roles: json(row, 36)?,
        default_organization_id: row.get(37)?,
        builton: json(row, 38)?,
        status: row.get(39)?,
        created_at: row.get(40)?,
        updated_at: row.get(41)?,
        last_login_at: row.get(42)?,
        deleted_at: row.get(43)?,
        version: row.get(44)?,
    })
}

/// How many columns `user` reads; columns selected after them (sort keys) start here.
pub const USER_COLUMN_COUNT: usize = 45;

/// A key row in `sql::KEY_COLUMNS` order.
pub fn key(row: &Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok(KeyRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        kind: row.get(2)?,
        name: row.get(3)?,
        prefix: row.get(4)?,
        user_id: row.get(5)?,
        scopes: json(row, 6)?,
        created_at: row.get(7)?,
        expires_at: row.get(8)?,
        revoked_at: row.get(9)?,
        last_used_at: row.get(10)?,
    })
}

/// A key with its hash and project, as `sql::KEY_WITH_PROJECT` selects it.
pub fn stored_key(row: &Row<'_>) -> rusqlite::Result<StoredKeyRow> {
    Ok(StoredKeyRow {
        key: key(row)?,
        secret_hash: row.get(11)?,
        p_name: row.get(12)?,
        p_settings: json(row, 13)?,
        p_created_at: row.get(14)?,
        p_updated_at: row.get(15)?,
    })
}
