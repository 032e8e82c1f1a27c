//! Address rows and SQL (shared with the SQLite store, `lite/addresses.rs`), and the PostgreSQL address store.

use std::sync::LazyLock;

use sqlx::types::Json;
use userbase_core::address::{Address, AddressFields, AddressKind, AddressType, Geo};
use userbase_core::ids::{AddressId, ProjectId};
use userbase_core::store::StoreError;
use userbase_core::values::{CountryCode, Gender};

use crate::db_time::DbTime;

pub const ADDRESS_COLUMNS: &str = "id, project_id, user_id, public_id, kind, type, position, code, alias, company, \
    first_name, middle_name, last_name, full_name, gender, street, number, number_extension, building, postal_code, \
    city, region, country_code, country_name, email, phone, mobile, fax, url, notes, icp, is_default, active, \
    geo_lat, geo_lng, geocoder, geocoder_place_id, geocoder_raw, created_at, updated_at, version";

/// The columns every write sets, in the order `bind_address_write!` binds them.
const WRITE_COLUMNS: [&str; 35] = [
    "kind",
    "type",
    "position",
    "code",
    "alias",
    "company",
    "first_name",
    "middle_name",
    "last_name",
    "full_name",
    "gender",
    "street",
    "number",
    "number_extension",
    "building",
    "postal_code",
    "city",
    "region",
    "country_code",
    "country_name",
    "email",
    "phone",
    "mobile",
    "fax",
    "url",
    "notes",
    "icp",
    "is_default",
    "active",
    "geo_lat",
    "geo_lng",
    "geocoder",
    "geocoder_place_id",
    "geocoder_raw",
    "updated_at",
];

/// `$1..$4` are project_id, user_id, public_id, created_at; the write columns follow.
pub static INSERT_ADDRESS: LazyLock<String> = LazyLock::new(|| {
    let params: Vec<String> = (5..5 + WRITE_COLUMNS.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO addresses (project_id, user_id, public_id, created_at, {}) VALUES ($1, $2, $3, $4, {}) \
         RETURNING {ADDRESS_COLUMNS}",
        WRITE_COLUMNS.join(", "),
        params.join(", ")
    )
});

/// `$1..$3` are project_id, id and the expected version; the write columns follow.
pub static UPDATE_ADDRESS: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = WRITE_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 4)).collect();
    format!(
        "UPDATE addresses SET {}, version = version + 1 WHERE project_id = $1 AND id = $2 AND version = $3 \
         RETURNING {ADDRESS_COLUMNS}",
        sets.join(", ")
    )
});

/// Clears the default flag of a user's other addresses of a type (`$3` is the address that keeps it; 0 for
/// one not inserted yet).
pub const CLEAR_OTHER_DEFAULTS: &str = "UPDATE addresses SET is_default = FALSE, version = version + 1 \
    WHERE user_id = $1 AND type = $2 AND is_default AND id <> $3";
pub static ADDRESSES_OF_USER: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {ADDRESS_COLUMNS} FROM addresses WHERE project_id = $1 AND user_id = $2 ORDER BY id")
});
pub static ADDRESSES_OF_USER_BY_TYPE: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {ADDRESS_COLUMNS} FROM addresses WHERE project_id = $1 AND user_id = $2 AND type = $3 ORDER BY id")
});
pub static ADDRESS_BY_PUBLIC_ID: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {ADDRESS_COLUMNS} FROM addresses WHERE project_id = $1 AND user_id = $2 AND public_id = $3")
});
pub static ADDRESS_BY_NUMERIC_ID: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {ADDRESS_COLUMNS} FROM addresses WHERE project_id = $1 AND user_id = $2 AND id = $3")
});
/// `$4`: the version the caller read, or NULL for any version.
pub const DELETE_ADDRESS: &str =
    "DELETE FROM addresses WHERE project_id = $1 AND user_id = $2 AND id = $3 AND version = COALESCE($4, version)";

/// The values of the write columns for one address.
pub struct AddressWrite<'a> {
    pub f: &'a AddressFields,
    pub gender: Option<&'static str>,
    pub country: Option<&'static str>,
    pub geo_lat: Option<f64>,
    pub geo_lng: Option<f64>,
    pub geocoder_raw: Option<Json<&'a serde_json::Value>>,
    pub updated_at: DbTime,
}

impl<'a> AddressWrite<'a> {
    pub fn new(f: &'a AddressFields, updated_at: time::OffsetDateTime) -> Self {
        Self {
            f,
            gender: f.gender.map(Gender::code),
            country: f.country.map(|c| c.as_str()),
            geo_lat: f.geo.map(|g| g.lat()),
            geo_lng: f.geo.map(|g| g.lng()),
            geocoder_raw: f.geocoder_raw.as_ref().map(Json),
            updated_at: updated_at.into(),
        }
    }
}

/// Binds the write columns of an `AddressWrite`, in `WRITE_COLUMNS` order.
macro_rules! bind_address_write {
    ($query:expr, $w:expr) => {{
        let w = $w;
        let f = w.f;
        $query
            .bind(f.kind.as_str())
            .bind(f.address_type.as_str())
            .bind(f.position)
            .bind(f.code.as_deref())
            .bind(f.alias.as_deref())
            .bind(f.company.as_deref())
            .bind(f.first_name.as_deref())
            .bind(f.middle_name.as_deref())
            .bind(f.last_name.as_deref())
            .bind(f.full_name.as_deref())
            .bind(w.gender)
            .bind(f.street.as_deref())
            .bind(f.number.as_deref())
            .bind(f.number_extension.as_deref())
            .bind(f.building.as_deref())
            .bind(f.postal_code.as_deref())
            .bind(f.city.as_deref())
            .bind(f.region.as_deref())
            .bind(w.country)
            .bind(f.country_name.as_deref())
            .bind(f.email.as_deref())
            .bind(f.phone.as_deref())
            .bind(f.mobile.as_deref())
            .bind(f.fax.as_deref())
            .bind(f.url.as_deref())
            .bind(f.notes.as_deref())
            .bind(f.icp)
            .bind(f.is_default)
            .bind(f.active)
            .bind(w.geo_lat)
            .bind(w.geo_lng)
            .bind(f.geocoder.as_deref())
            .bind(f.geocoder_place_id.as_deref())
            .bind(&w.geocoder_raw)
            .bind(w.updated_at)
    }};
}
pub(crate) use bind_address_write;

#[derive(sqlx::FromRow)]
pub struct AddressRow {
    pub id: i64,
    pub project_id: String,
    pub user_id: i64,
    pub public_id: String,
    pub kind: String,
    #[sqlx(rename = "type")]
    pub address_type: String,
    pub position: i32,
    pub code: Option<String>,
    pub alias: Option<String>,
    pub company: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub gender: Option<String>,
    pub street: Option<String>,
    pub number: Option<String>,
    pub number_extension: Option<String>,
    pub building: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub fax: Option<String>,
    pub url: Option<String>,
    pub notes: Option<String>,
    pub icp: bool,
    pub is_default: bool,
    pub active: bool,
    pub geo_lat: Option<f64>,
    pub geo_lng: Option<f64>,
    pub geocoder: Option<String>,
    pub geocoder_place_id: Option<String>,
    pub geocoder_raw: Option<Json<serde_json::Value>>,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub version: i64,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("stored value is not valid: {what}"))
}

impl TryFrom<AddressRow> for Address {
    type Error = StoreError;

    fn try_from(r: AddressRow) -> Result<Self, StoreError> {
        let gender = match r.gender.as_deref() {
            None => None,
            Some(g) => Some(Gender::from_code(g).ok_or_else(|| corrupt("addresses.gender"))?),
        };
        let country = match r.country_code.as_deref() {
            None => None,
            Some(c) => Some(CountryCode::parse("country", c).map_err(|_| corrupt("addresses.country_code"))?),
        };
        let geo = match (r.geo_lat, r.geo_lng) {
            (Some(lat), Some(lng)) => Some(Geo::parse("geo", lat, lng).map_err(|_| corrupt("addresses.geo"))?),
            _ => None,
        };
        let fields = AddressFields {
            kind: AddressKind::parse(&r.kind).ok_or_else(|| corrupt("addresses.kind"))?,
            address_type: AddressType::parse("type", &r.address_type).map_err(|_| corrupt("addresses.type"))?,
            position: r.position,
            code: r.code,
            alias: r.alias,
            company: r.company,
            first_name: r.first_name,
            middle_name: r.middle_name,
            last_name: r.last_name,
            full_name: r.full_name,
            gender,
            street: r.street,
            number: r.number,
            number_extension: r.number_extension,
            building: r.building,
            postal_code: r.postal_code,
            city: r.city,
            region: r.region,
            country,
            country_name: r.country_name,
            email: r.email,
            phone: r.phone,
            mobile: r.mobile,
            fax: r.fax,
            url: r.url,
            notes: r.notes,
            icp: r.icp,
            is_default: r.is_default,
            active: r.active,
            geo,
            geocoder: r.geocoder,
            geocoder_place_id: r.geocoder_place_id,
            geocoder_raw: r.geocoder_raw.map(|j| j.0),
        };
        Ok(Address {
            numeric_id: r.id,
            public_id: AddressId::parse(&r.public_id).ok_or_else(|| corrupt("addresses.public_id"))?,
            project_id: ProjectId::from_stored(r.project_id),
            user_id: r.user_id,
            fields,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            version: r.version,
        })
    }
}

impl crate::postgres::PgStore {
    async fn clear_other_defaults(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        fields: &userbase_core::address::AddressFields,
        user_id: i64,
        keep: i64,
    ) -> Result<(), sqlx::Error> {
        if fields.is_default {
            sqlx::query(crate::addresses::CLEAR_OTHER_DEFAULTS)
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
impl userbase_core::store::AddressStore for crate::postgres::PgStore {
    async fn insert_address(
        &self,
        rec: &userbase_core::store::NewAddressRecord,
    ) -> Result<userbase_core::address::Address, userbase_core::store::StoreError> {
        use crate::sql_store::store_error;
        let mut tx = self.begin_write().await.map_err(store_error)?;
        Self::clear_other_defaults(&mut tx, &rec.fields, rec.user_id, 0).await.map_err(store_error)?;
        let write = crate::addresses::AddressWrite::new(&rec.fields, rec.created_at);
        let query = sqlx::query_as::<_, crate::addresses::AddressRow>(&crate::addresses::INSERT_ADDRESS)
            .bind(rec.project_id.as_str())
            .bind(rec.user_id)
            .bind(rec.public_id.as_str())
            .bind(crate::db_time::DbTime(rec.created_at));
        let row =
            crate::addresses::bind_address_write!(query, &write).fetch_one(&mut *tx).await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        row.try_into()
    }

    async fn update_address(
        &self,
        a: &userbase_core::address::Address,
    ) -> Result<userbase_core::address::Address, userbase_core::store::StoreError> {
        use crate::sql_store::store_error;
        let mut tx = self.begin_write().await.map_err(store_error)?;
        Self::clear_other_defaults(&mut tx, &a.fields, a.user_id, a.numeric_id).await.map_err(store_error)?;
        let write = crate::addresses::AddressWrite::new(&a.fields, a.updated_at);
        let query = sqlx::query_as::<_, crate::addresses::AddressRow>(&crate::addresses::UPDATE_ADDRESS)
            .bind(a.project_id.as_str())
            .bind(a.numeric_id)
            .bind(a.version);
        let row = crate::addresses::bind_address_write!(query, &write)
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?
            .ok_or(userbase_core::store::StoreError::VersionMismatch)?;
        tx.commit().await.map_err(store_error)?;
        row.try_into()
    }

    async fn list_addresses(
        &self,
        project: &userbase_core::ids::ProjectId,
        user_id: i64,
        of_type: Option<userbase_core::address::AddressType>,
    ) -> Result<Vec<userbase_core::address::Address>, userbase_core::store::StoreError> {
        let rows = match of_type {
            None => {
                sqlx::query_as::<_, crate::addresses::AddressRow>(&crate::addresses::ADDRESSES_OF_USER)
                    .bind(project.as_str())
                    .bind(user_id)
                    .fetch_all(&self.reader)
                    .await
            }
            Some(t) => {
                sqlx::query_as::<_, crate::addresses::AddressRow>(&crate::addresses::ADDRESSES_OF_USER_BY_TYPE)
                    .bind(project.as_str())
                    .bind(user_id)
                    .bind(t.as_str())
                    .fetch_all(&self.reader)
                    .await
            }
        }
        .map_err(crate::sql_store::store_error)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn find_address(
        &self,
        project: &userbase_core::ids::ProjectId,
        user_id: i64,
        key: &userbase_core::address::AddressKey,
    ) -> Result<Option<userbase_core::address::Address>, userbase_core::store::StoreError> {
        use userbase_core::address::AddressKey;
        let row = match key {
            AddressKey::Public(id) => {
                sqlx::query_as::<_, crate::addresses::AddressRow>(&crate::addresses::ADDRESS_BY_PUBLIC_ID)
                    .bind(project.as_str())
                    .bind(user_id)
                    .bind(id.as_str())
                    .fetch_optional(&self.reader)
                    .await
            }
            AddressKey::Numeric(id) => {
                sqlx::query_as::<_, crate::addresses::AddressRow>(&crate::addresses::ADDRESS_BY_NUMERIC_ID)
                    .bind(project.as_str())
                    .bind(user_id)
                    .bind(*id)
                    .fetch_optional(&self.reader)
                    .await
            }
        }
        .map_err(crate::sql_store::store_error)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn delete_address(
        &self,
        project: &userbase_core::ids::ProjectId,
        user_id: i64,
        address_id: i64,
        version: Option<i64>,
    ) -> Result<bool, userbase_core::store::StoreError> {
        let done = sqlx::query(crate::addresses::DELETE_ADDRESS)
            .bind(project.as_str())
            .bind(user_id)
            .bind(address_id)
            .bind(version)
            .execute(&self.writer)
            .await
            .map_err(crate::sql_store::store_error)?;
        Ok(done.rows_affected() > 0)
    }
}
