//! The v1 address representation: every canonical address field, snake_case, `null` when unset.

use serde::Serialize;
use time::OffsetDateTime;
use userbase_core::address::Address;

use super::user_view::gender_word;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Geo)]
pub struct GeoView {
    lat: f64,
    lng: f64,
}

/// An address of a user.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Address)]
pub struct AddressView<'a> {
    object: &'static str,
    id: &'a str,
    user_id: &'a str,
    /// `delivery`, `invoice` or `home`.
    #[serde(rename = "type")]
    address_type: &'static str,
    /// The default address of its type (at most one per type).
    is_default: bool,
    code: Option<&'a str>,
    alias: Option<&'a str>,
    company: Option<&'a str>,
    first_name: Option<&'a str>,
    middle_name: Option<&'a str>,
    last_name: Option<&'a str>,
    full_name: Option<&'a str>,
    gender: Option<&'static str>,
    street: Option<&'a str>,
    number: Option<&'a str>,
    number_extension: Option<&'a str>,
    building: Option<&'a str>,
    postal_code: Option<&'a str>,
    city: Option<&'a str>,
    region: Option<&'a str>,
    country: Option<&'static str>,
    country_name: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    mobile: Option<&'a str>,
    fax: Option<&'a str>,
    url: Option<&'a str>,
    notes: Option<&'a str>,
    icp: bool,
    active: bool,
    geo: Option<GeoView>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl<'a> AddressView<'a> {
    /// `user_id` is the owner's public id (addresses store the owner's integer id).
    pub fn new(a: &'a Address, user_id: &'a str) -> Self {
        let f = &a.fields;
        Self {
            object: "address",
            id: a.public_id.as_str(),
            user_id,
            address_type: f.address_type.as_str(),
            is_default: f.is_default,
            code: f.code.as_deref(),
            alias: f.alias.as_deref(),
            company: f.company.as_deref(),
            first_name: f.first_name.as_deref(),
            middle_name: f.middle_name.as_deref(),
            last_name: f.last_name.as_deref(),
            full_name: f.full_name.as_deref(),
            gender: f.gender.map(gender_word),
            street: f.street.as_deref(),
            number: f.number.as_deref(),
            number_extension: f.number_extension.as_deref(),
            building: f.building.as_deref(),
            postal_code: f.postal_code.as_deref(),
            city: f.city.as_deref(),
            region: f.region.as_deref(),
            country: f.country.map(|c| c.as_str()),
            country_name: f.country_name.as_deref(),
            email: f.email.as_deref(),
            phone: f.phone.as_deref(),
            mobile: f.mobile.as_deref(),
            fax: f.fax.as_deref(),
            url: f.url.as_deref(),
            notes: f.notes.as_deref(),
            icp: f.icp,
            active: f.active,
            geo: f.geo.map(|g| GeoView { lat: g.lat(), lng: g.lng() }),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// All addresses of a user.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AddressList)]
pub struct AddressListView<'a> {
    pub object: &'static str,
    #[schema(value_type = Vec<AddressView>)]
    pub data: Vec<AddressView<'a>>,
    pub has_more: bool,
}
