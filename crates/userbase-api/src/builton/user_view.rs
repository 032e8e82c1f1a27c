//! The BuiltOn user object (000.3) in BuiltOn's Mongo Extended JSON: `{"$oid": ...}` ids and references,
//! `{"$date": <ms>}` times, BuiltOn's defaults (`""`, `[]`, `_cls: "User"`, ...); its embedded addresses
//! rendered from the canonical ones (the `addresses` list in position order, the `billing_address`).

use serde::Serialize;
use time::OffsetDateTime;
use userbase_core::address::{Address, AddressKind};
use userbase_core::project::Project;
use userbase_core::user::{User, UserStatus, Voucher};

/// `{"$oid": "<id>"}`.
#[derive(Serialize)]
pub struct Oid<'a> {
    #[serde(rename = "$oid")]
    oid: &'a str,
}

pub fn oid(id: &str) -> Oid<'_> {
    Oid { oid: id }
}

/// `{"$date": <milliseconds since the epoch>}`.
#[derive(Serialize)]
pub struct MongoDate {
    #[serde(rename = "$date")]
    ms: i64,
}

pub fn date(t: OffsetDateTime) -> MongoDate {
    MongoDate { ms: i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX) }
}

#[derive(Serialize)]
struct VoucherView {
    consumed: i64,
    created: MongoDate,
    expires: MongoDate,
    initial_quantity: i64,
    modified: MongoDate,
    uuid: String,
}

impl VoucherView {
    fn new(v: Voucher) -> Self {
        Self {
            consumed: v.consumed,
            created: date(v.created),
            expires: date(v.expires),
            initial_quantity: v.initial_quantity,
            modified: date(v.modified),
            uuid: v.uuid,
        }
    }
}

#[derive(Serialize)]
pub struct AddressView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    street_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    building: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    zip_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    geo: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a serde_json::Value>,
    alias: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_name: Option<&'a str>,
    service: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_address_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
}

/// BuiltOn's `street_name`: the street with its house number and extension.
fn street_name(a: &Address) -> Option<String> {
    let f = &a.fields;
    let number = format!("{}{}", f.number.as_deref().unwrap_or(""), f.number_extension.as_deref().unwrap_or(""));
    match (f.street.as_deref(), number.is_empty()) {
        (None, true) => None,
        (None, false) => Some(number),
        (Some(street), true) => Some(street.to_owned()),
        (Some(street), false) => Some(format!("{street} {number}")),
    }
}

/// The explicit full name, else the join of the name parts (addresses written by other dialects).
fn full_name(a: &Address) -> Option<String> {
    let f = &a.fields;
    if f.full_name.is_some() {
        return f.full_name.clone();
    }
    let parts: Vec<&str> =
        [&f.first_name, &f.middle_name, &f.last_name].into_iter().filter_map(|p| p.as_deref()).collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

impl<'a> AddressView<'a> {
    pub fn new(a: &'a Address) -> Self {
        let f = &a.fields;
        Self {
            street_name: street_name(a),
            building: f.building.as_deref(),
            zip_code: f.postal_code.as_deref(),
            city: f.city.as_deref(),
            state: f.region.as_deref(),
            country: f.country_name.as_deref().or(f.country.as_ref().map(|c| c.name())),
            geo: f.geo.map(|g| [g.lat(), g.lng()]),
            raw: f.geocoder_raw.as_ref(),
            alias: f.alias.as_deref().unwrap_or(""),
            organization_name: f.company.as_deref(),
            service: f.geocoder.as_deref().unwrap_or("google"),
            service_address_id: f.geocoder_place_id.as_deref(),
            full_name: full_name(a),
            email: f.email.as_deref(),
        }
    }
}

#[derive(Serialize)]
pub struct BuiltonUser<'a> {
    _id: Oid<'a>,
    _cls: &'static str,
    first_name: &'a str,
    last_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    salutation: Option<&'a str>,
    email: &'a str,
    mobile_phone_number: &'a str,
    addresses: Vec<AddressView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    billing_address: Option<AddressView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_payment_method: Option<Oid<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_login: Option<MongoDate>,
    bio: &'a str,
    tags: &'a [String],
    note: &'a str,
    human_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Oid<'a>>,
    avatar: &'a str,
    auth_id: &'a str,
    company: Oid<'a>,
    created: MongoDate,
    modified: MongoDate,
    deleted: bool,
    blocked: bool,
    roles: &'a [String],
    is_company: bool,
    national_id: &'a str,
    new_customer: bool,
    receive_notifications: bool,
    stripe_customer_id: &'a str,
    voucher: VoucherView,
}

impl<'a> BuiltonUser<'a> {
    /// The user with its addresses (all of them, of any kind; oldest first).
    pub fn new(u: &'a User, project: &'a Project, addresses: &'a [Address]) -> Self {
        let p = &u.profile;
        let s = |v: &'a Option<String>| v.as_deref().unwrap_or("");
        let mut list: Vec<&Address> = addresses.iter().filter(|a| a.fields.kind == AddressKind::List).collect();
        list.sort_by_key(|a| (a.fields.position, a.numeric_id));
        let billing = addresses.iter().filter(|a| a.fields.kind == AddressKind::Billing).max_by_key(|a| a.numeric_id);
        let b = &u.builton;
        Self {
            _id: oid(u.object_id.as_str()),
            _cls: "User",
            first_name: s(&p.first_name),
            last_name: s(&p.last_name),
            salutation: p.salutation.as_deref(),
            email: p.email.as_ref().map_or("", |e| e.as_str()),
            mobile_phone_number: s(&p.mobile),
            addresses: list.into_iter().map(AddressView::new).collect(),
            billing_address: billing.map(AddressView::new),
            default_payment_method: p.default_payment_method_ref.as_deref().map(oid),
            last_login: u.last_login_at.map(date),
            bio: s(&p.bio),
            tags: &p.tags,
            note: s(&p.note),
            human_id: u.human_id.as_str(),
            image: p.image_ref.as_deref().map(oid),
            avatar: s(&p.avatar),
            auth_id: s(&p.auth_subject),
            company: oid(project.id.as_str()),
            created: date(u.created_at),
            modified: date(u.updated_at),
            deleted: u.status == UserStatus::Deleted,
            blocked: u.status == UserStatus::Blocked,
            roles: &p.roles,
            is_company: b.is_company,
            national_id: &b.national_id,
            new_customer: b.new_customer,
            receive_notifications: b.receive_notifications,
            stripe_customer_id: &b.stripe_customer_id,
            voucher: VoucherView::new(b.voucher(&u.object_id, u.created_at)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dates_are_milliseconds_since_the_epoch() {
        let json = serde_json::to_value(date(datetime!(2019-10-01 12:00:00.123456 UTC))).unwrap();
        assert_eq!(json, serde_json::json!({"$date": 1569931200123_i64}));
    }
}
