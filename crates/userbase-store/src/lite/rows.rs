//! Decoding rusqlite rows into the shared row types (`sql/rows.rs` and the resource modules of `sql/`), by
//! column position in the shared column lists (`USER_COLUMNS`, `KEY_COLUMNS`, ...). JSON columns are read from
//! their text; writing them is `sql::sink::Arg`'s job.

use rusqlite::Row;
use serde::de::DeserializeOwned;
use sqlx::types::Json;

use crate::sql::addresses::AddressRow;
use crate::sql::organizations::{MembershipRow, OrganizationRow};
use crate::sql::pricing::PricingRow;
use crate::sql::records::RecordRow;
use crate::sql::rows::{KeyRow, ProjectRow, StoredKeyRow, UserRow};

pub fn json<T: DeserializeOwned>(row: &Row<'_>, i: usize) -> rusqlite::Result<Json<T>> {
    let value = row.get_ref(i)?;
    serde_json::from_slice(value.as_bytes()?)
        .map(Json)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e)))
}

pub fn json_or_null<T: DeserializeOwned>(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<Json<T>>> {
    match row.get_ref(i)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => json(row, i).map(Some),
    }
}

/// A user row in `sql::users::USER_COLUMNS` order, starting at column 0.
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

/// A key row in `sql::keys::KEY_COLUMNS` order.
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
        hash_scheme: row.get(11)?,
    })
}

/// A key with its hash and project, as `sql::keys::KEY_WITH_PROJECT` selects it.
pub fn stored_key(row: &Row<'_>) -> rusqlite::Result<StoredKeyRow> {
    Ok(StoredKeyRow {
        key: key(row)?,
        secret_hash: row.get(12)?,
        p_name: row.get(13)?,
        p_settings: json(row, 14)?,
        p_created_at: row.get(15)?,
        p_updated_at: row.get(16)?,
    })
}

/// A project in `sql::projects::PROJECT_COLUMNS` order.
pub fn project(row: &Row<'_>) -> rusqlite::Result<ProjectRow> {
    Ok(ProjectRow {
        id: row.get(0)?,
        name: row.get(1)?,
        settings: json(row, 2)?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

/// An address in `addresses::ADDRESS_COLUMNS` order.
pub fn address(row: &Row<'_>) -> rusqlite::Result<AddressRow> {
    Ok(AddressRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        user_id: row.get(2)?,
        public_id: row.get(3)?,
        kind: row.get(4)?,
        address_type: row.get(5)?,
        position: row.get(6)?,
        code: row.get(7)?,
        alias: row.get(8)?,
        company: row.get(9)?,
        first_name: row.get(10)?,
        middle_name: row.get(11)?,
        last_name: row.get(12)?,
        full_name: row.get(13)?,
        gender: row.get(14)?,
        street: row.get(15)?,
        number: row.get(16)?,
        number_extension: row.get(17)?,
        building: row.get(18)?,
        postal_code: row.get(19)?,
        city: row.get(20)?,
        region: row.get(21)?,
        country_code: row.get(22)?,
        country_name: row.get(23)?,
        email: row.get(24)?,
        phone: row.get(25)?,
        mobile: row.get(26)?,
        fax: row.get(27)?,
        url: row.get(28)?,
        notes: row.get(29)?,
        icp: row.get(30)?,
        is_default: row.get(31)?,
        active: row.get(32)?,
        geo_lat: row.get(33)?,
        geo_lng: row.get(34)?,
        geocoder: row.get(35)?,
        geocoder_place_id: row.get(36)?,
        geocoder_raw: json_or_null(row, 37)?,
        created_at: row.get(38)?,
        updated_at: row.get(39)?,
        version: row.get(40)?,
    })
}

/// A user record in `records::RECORD_COLUMNS` order.
pub fn record(row: &Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        user_id: row.get(2)?,
        public_id: row.get(3)?,
        kind: row.get(4)?,
        status: row.get(5)?,
        delivery_status: row.get(6)?,
        details: json(row, 7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        deleted_at: row.get(10)?,
        version: row.get(11)?,
    })
}

/// An organization as `organizations::SELECT_ORGANIZATION` selects it.
pub fn organization(row: &Row<'_>) -> rusqlite::Result<OrganizationRow> {
    Ok(OrganizationRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        public_id: row.get(2)?,
        name: row.get(3)?,
        parent_id: row.get(4)?,
        parent_public_id: row.get(5)?,
        source: row.get(6)?,
        source_id: row.get(7)?,
        plan: row.get(8)?,
        metadata: json(row, 9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        version: row.get(12)?,
    })
}

/// A membership as `organizations::SELECT_MEMBERSHIPS` selects it.
pub fn membership(row: &Row<'_>) -> rusqlite::Result<MembershipRow> {
    Ok(MembershipRow {
        organization_id: row.get(0)?,
        organization_public_id: row.get(1)?,
        organization_name: row.get(2)?,
        user_id: row.get(3)?,
        user_public_id: row.get(4)?,
        role: row.get(5)?,
        created_at: row.get(6)?,
    })
}

/// A pricing row as `pricing::LIST` selects it.
pub fn pricing(row: &Row<'_>) -> rusqlite::Result<PricingRow> {
    Ok(PricingRow {
        target_kind: row.get(0)?,
        target_id: row.get(1)?,
        target_source: row.get(2)?,
        target_source_id: row.get(3)?,
        shop_id: row.get(4)?,
        pricing: json(row, 5)?,
        updated_at: row.get(6)?,
    })
}
