//! Address SQL, rows and write values, shared by both stores (`pg/addresses.rs`, `lite/addresses.rs`).

use std::sync::LazyLock;

use sqlx::types::Json;
use time::OffsetDateTime;
use userbase_core::address::{Address, AddressFields, AddressKind, AddressType, Geo};
use userbase_core::ids::{AddressId, ProjectId};
use userbase_core::page::{Keyset, PageRequest, Position};
use userbase_core::store::{NewAddressRecord, StoreError};
use userbase_core::values::{CountryCode, Gender};

use crate::sql::paging::{push_offset, Assembled};
use crate::sql::sink::{Arg, SqlSink};
use crate::sql::time::DbTime;

pub const ADDRESS_COLUMNS: &str = "id, project_id, user_id, public_id, kind, type, position, code, alias, company, \
    first_name, middle_name, last_name, full_name, gender, street, number, number_extension, building, postal_code, \
    city, region, country_code, country_name, email, phone, mobile, fax, url, notes, icp, is_default, active, \
    geo_lat, geo_lng, geocoder, geocoder_place_id, geocoder_raw, created_at, updated_at, version";

/// How many columns every write sets.
pub const WRITE_COUNT: usize = 35;

/// The columns every write sets, in the order `AddressWrite::args` lists their values.
const WRITE_COLUMNS: [&str; WRITE_COUNT] = [
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
pub static INSERT_ADDRESS_VALUES: LazyLock<String> = LazyLock::new(|| {
    let params: Vec<String> = (5..5 + WRITE_COLUMNS.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO addresses (project_id, user_id, public_id, created_at, {}) VALUES ($1, $2, $3, $4, {})",
        WRITE_COLUMNS.join(", "),
        params.join(", ")
    )
});

/// `INSERT_ADDRESS_VALUES` answering with the stored row.
pub static INSERT_ADDRESS: LazyLock<String> =
    LazyLock::new(|| format!("{} RETURNING {ADDRESS_COLUMNS}", *INSERT_ADDRESS_VALUES));

/// The address an insert of `rec` stored under the integer id `id`: every column is written from the record
/// (`AddressWrite`, with `updated_at` = `created_at`) and a new row starts at version 1, so a batched insert
/// need not read the rows back.
pub fn inserted(rec: &NewAddressRecord, id: i64) -> Address {
    Address {
        numeric_id: id,
        public_id: rec.public_id.clone(),
        project_id: rec.project_id.clone(),
        user_id: rec.user_id,
        fields: rec.fields.clone(),
        created_at: rec.created_at,
        updated_at: rec.created_at,
        version: 1,
    }
}

/// A multi-row insert up to `VALUES`: project_id, user_id, public_id, created_at, then the write columns.
pub static INSERT_ADDRESSES_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO addresses (project_id, user_id, public_id, created_at, {}) ", WRITE_COLUMNS.join(", "))
});

/// Clears the stored defaults of a user's addresses of a type before a batched write gives the flag to one
/// of its rows; rows the batch updates (`$3`, their ids) are left to their update, so their versions hold.
pub const CLEAR_DEFAULTS_BEFORE_BATCH_PG: &str = "UPDATE addresses SET is_default = FALSE, version = version + 1 \
    WHERE user_id = $1 AND type = $2 AND is_default AND NOT (id = ANY($3))";
/// The same on SQLite: `$3` is the ids as a JSON array.
pub const CLEAR_DEFAULTS_BEFORE_BATCH_LITE: &str = "UPDATE addresses SET is_default = FALSE, version = version + 1 \
    WHERE user_id = $1 AND type = $2 AND is_default AND id NOT IN (SELECT value FROM json_each($3))";

/// Settles the default flags of a batched write: per (user, type), only the last address written as the
/// default (inserts in order, then updates in order) keeps the flag. The (user, type) pairs whose stored
/// defaults must be cleared first, and the order to run the updates in (those losing or lacking the flag
/// first, so that a row taking it never meets another that still has it).
pub fn settle_defaults(
    inserts: &mut [NewAddressRecord],
    updates: &mut [Address],
) -> (Vec<(i64, AddressType)>, Vec<usize>) {
    let mut seen: Vec<(i64, AddressType)> = Vec::new();
    let mut take = |user: i64, t: AddressType, is_default: &mut bool| {
        if *is_default {
            if seen.contains(&(user, t)) {
                *is_default = false;
            } else {
                seen.push((user, t));
            }
        }
    };
    for a in updates.iter_mut().rev() {
        take(a.user_id, a.fields.address_type, &mut a.fields.is_default);
    }
    for r in inserts.iter_mut().rev() {
        take(r.user_id, r.fields.address_type, &mut r.fields.is_default);
    }
    let mut order: Vec<usize> = (0..updates.len()).collect();
    order.sort_by_key(|&i| updates[i].fields.is_default);
    (seen, order)
}

/// Checks that every address of a batched write belongs to the project (a caller's bug otherwise).
pub fn check_batch(project: &ProjectId, inserts: &[NewAddressRecord], updates: &[Address]) -> Result<(), StoreError> {
    if inserts.iter().all(|r| &r.project_id == project) && updates.iter().all(|a| &a.project_id == project) {
        Ok(())
    } else {
        Err(StoreError::Backend("a batched address belongs to another project".into()))
    }
}

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
pub const COUNT_ADDRESSES: &str = "SELECT COUNT(*) FROM addresses WHERE project_id = $1 AND user_id = $2";
/// A user's addresses of one kind (`$3`), deleted to be replaced.
pub const DELETE_ADDRESSES_OF_KIND: &str = "DELETE FROM addresses WHERE project_id = $1 AND user_id = $2 AND kind = $3";

/// The addresses of many users of a project (`$2`: a `BIGINT[]`), by user then oldest first. PostgreSQL binds
/// the ids as one array, so the statement is prepared once whatever the page size.
pub static ADDRESSES_OF_USERS_PG: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {ADDRESS_COLUMNS} FROM addresses WHERE project_id = $1 AND user_id = ANY($2) ORDER BY user_id, id")
});
/// The same on SQLite, which has no arrays: `$2` is the ids as a JSON array.
pub static ADDRESSES_OF_USERS_LITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {ADDRESS_COLUMNS} FROM addresses WHERE project_id = $1 \
         AND user_id IN (SELECT value FROM json_each($2)) ORDER BY user_id, id"
    )
});

/// Checks that every record of a replace belongs to the user and kind being replaced (a caller's bug
/// otherwise, refused before anything is written).
pub fn check_replace(
    project: &ProjectId,
    user_id: i64,
    kind: AddressKind,
    records: &[NewAddressRecord],
) -> Result<(), StoreError> {
    if records.iter().all(|r| &r.project_id == project && r.user_id == user_id && r.fields.kind == kind) {
        Ok(())
    } else {
        Err(StoreError::Backend("a replacing address belongs to another user or kind".into()))
    }
}

/// A page of a user's addresses after `SELECT `: newest first from the page's position (read oldest first to
/// go backwards), one row more than the limit.
pub fn push_address_page<'a, S: SqlSink<'a>>(qb: &mut S, project: &'a str, user_id: i64, page: &PageRequest) {
    qb.push(ADDRESS_COLUMNS).push(" FROM addresses");
    push_address_conditions(qb, project, user_id, &page.position);
    qb.push(if page.position.is_backwards() { " ORDER BY id ASC" } else { " ORDER BY id DESC" });
    qb.push(" LIMIT ").push_bind(i64::from(page.limit) + 1);
    push_offset(qb, &page.position);
}

/// The rows of `push_address_page` (one more than the limit), assembled into a page that still needs the
/// `push_any_address` answer for its `opposite` side.
pub fn assemble_address_page(page: &PageRequest, rows: Vec<AddressRow>) -> Result<Assembled<Address>, StoreError> {
    let more = rows.len() > page.limit as usize;
    let addresses = rows
        .into_iter()
        .take(page.limit as usize)
        .map(|row| Ok((Address::try_from(row)?, None)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Assembled::new(page, addresses, more))
}

/// After `SELECT `: one row when any address of the user lies at `position`.
pub fn push_any_address<'a, S: SqlSink<'a>>(qb: &mut S, project: &'a str, user_id: i64, position: &Position) {
    qb.push("1 FROM addresses");
    push_address_conditions(qb, project, user_id, position);
    qb.push(" LIMIT 1");
}

/// `WHERE` the user's addresses at `position` in the newest-first order (addresses have no sort keys, so a
/// keyset position is its id).
fn push_address_conditions<'a, S: SqlSink<'a>>(qb: &mut S, project: &'a str, user_id: i64, position: &Position) {
    qb.push(" WHERE project_id = ").push_bind(project).push(" AND user_id = ").push_bind(user_id);
    match position {
        Position::First | Position::Offset(_) => {}
        Position::After(id) | Position::AfterKey(Keyset { id, .. }) => {
            qb.push(" AND id < ").push_bind(*id);
        }
        Position::Before(id) | Position::BeforeKey(Keyset { id, .. }) => {
            qb.push(" AND id > ").push_bind(*id);
        }
    }
}

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
    f: &'a AddressFields,
    updated_at: OffsetDateTime,
}

impl<'a> AddressWrite<'a> {
    pub fn new(f: &'a AddressFields, updated_at: OffsetDateTime) -> Self {
        Self { f, updated_at }
    }

    /// The values in `WRITE_COLUMNS` order, as both drivers bind them.
    pub fn args(&self) -> [Arg<'_>; WRITE_COUNT] {
        let f = self.f;
        [
            f.kind.as_str().into(),
            f.address_type.as_str().into(),
            f.position.into(),
            f.code.as_deref().into(),
            f.alias.as_deref().into(),
            f.company.as_deref().into(),
            f.first_name.as_deref().into(),
            f.middle_name.as_deref().into(),
            f.last_name.as_deref().into(),
            f.full_name.as_deref().into(),
            f.gender.map(Gender::code).into(),
            f.street.as_deref().into(),
            f.number.as_deref().into(),
            f.number_extension.as_deref().into(),
            f.building.as_deref().into(),
            f.postal_code.as_deref().into(),
            f.city.as_deref().into(),
            f.region.as_deref().into(),
            f.country.map(|c| c.as_str()).into(),
            f.country_name.as_deref().into(),
            f.email.as_deref().into(),
            f.phone.as_deref().into(),
            f.mobile.as_deref().into(),
            f.fax.as_deref().into(),
            f.url.as_deref().into(),
            f.notes.as_deref().into(),
            f.icp.into(),
            f.is_default.into(),
            f.active.into(),
            f.geo.map(|g| g.lat()).into(),
            f.geo.map(|g| g.lng()).into(),
            f.geocoder.as_deref().into(),
            f.geocoder_place_id.as_deref().into(),
            Arg::json_or_null(f.geocoder_raw.as_ref()),
            DbTime(self.updated_at).into(),
        ]
    }
}

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
