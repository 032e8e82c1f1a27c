//! Propeller address bodies (002.3 "Address fields", U4) into core address patches: `type` one of
//! `delivery`, `invoice`, `home`; `country` an ISO 3166-1 alpha-2 code; `icp` and `isDefault` as `Y`/`N`;
//! house numbers and postal codes also as numbers. `id`, `active`, `name` and `fax` are read-only: accepted
//! (a client may send back what it read) and ignored.

use userbase_core::address::AddressType;
use userbase_core::patch::Patch;
use userbase_core::services::AddressPatch;
use userbase_core::values::{parse_text, CountryCode, Gender, TextLimit};

use super::schema::{Obj, Violations};
use super::user_input::PayloadErrors;

/// The keys of an address body.
pub const ADDRESS_KEYS: [&str; 25] = [
    "type",
    "code",
    "firstName",
    "middleName",
    "lastName",
    "gender",
    "street",
    "number",
    "numberExtension",
    "postalCode",
    "city",
    "country",
    "region",
    "icp",
    "phone",
    "mobile",
    "email",
    "company",
    "url",
    "notes",
    "isDefault",
    "id",
    "active",
    "name",
    "fax",
];

/// What a create (or a bulk item) must carry.
pub const REQUIRED: [&str; 4] = ["type", "street", "city", "country"];

fn checked(o: &Obj<'_>, key: &str, raw: Patch<String>, e: &mut PayloadErrors) -> Patch<String> {
    match raw {
        Patch::Set(s) => match parse_text(key, &s, TextLimit::Short) {
            Ok(s) => Patch::Set(s),
            Err(f) => {
                e.0.push(format!("{}/{key}: {}", o.at, f.message));
                Patch::Keep
            }
        },
        other => other,
    }
}

/// Reads an address body at `o`: unknown keys refused, and with `create` the required keys too.
pub fn read_address(o: &Obj<'_>, create: bool, v: &mut Violations, e: &mut PayloadErrors) -> AddressPatch {
    o.allow(&ADDRESS_KEYS, v);
    if create {
        o.require(&REQUIRED, v);
    }
    let t = |key: &str, v: &mut Violations, e: &mut PayloadErrors| checked(o, key, o.text(key, v), e);
    let tn = |key: &str, v: &mut Violations, e: &mut PayloadErrors| checked(o, key, o.text_or_number(key, v), e);
    let mut patch = AddressPatch {
        code: tn("code", v, e),
        first_name: t("firstName", v, e),
        middle_name: t("middleName", v, e),
        last_name: t("lastName", v, e),
        street: t("street", v, e),
        number: tn("number", v, e),
        number_extension: tn("numberExtension", v, e),
        postal_code: tn("postalCode", v, e),
        city: t("city", v, e),
        region: t("region", v, e),
        phone: tn("phone", v, e),
        mobile: tn("mobile", v, e),
        email: t("email", v, e),
        company: t("company", v, e),
        url: t("url", v, e),
        notes: t("notes", v, e),
        icp: o.flag("icp", v),
        is_default: o.flag("isDefault", v),
        ..AddressPatch::default()
    };
    match o.text("type", v) {
        Patch::Set(s) => match AddressType::parse("type", &s) {
            Ok(t) => patch.address_type = Some(t),
            Err(_) => v.push(&o.at_key("type"), format_args!("{s} is not a valid enum value")),
        },
        Patch::Clear if !create => v.push(&o.at_key("type"), "expected type: String, found: Null"),
        _ => {}
    }
    patch.gender = match o.text("gender", v) {
        Patch::Set(s) => match Gender::from_code(&s) {
            Some(g) => Patch::Set(g),
            None => {
                v.push(&o.at_key("gender"), format_args!("{s} is not a valid enum value"));
                Patch::Keep
            }
        },
        Patch::Clear => Patch::Clear,
        Patch::Keep => Patch::Keep,
    };
    patch.country = match o.text("country", v) {
        Patch::Set(s) => match CountryCode::parse("country", &s.to_ascii_uppercase()) {
            Ok(c) => Patch::Set(c),
            Err(_) => {
                v.push(&o.at_key("country"), format_args!("{s} is not a valid ISO 3166-1 alpha-2 country code"));
                Patch::Keep
            }
        },
        Patch::Clear if !create => {
            v.push(&o.at_key("country"), "expected type: String, found: Null");
            Patch::Keep
        }
        _ => Patch::Keep,
    };
    // Street and city cannot be cleared: an address keeps what a create requires.
    for key in ["street", "city"] {
        if !create && o.map.get(key).is_some_and(serde_json::Value::is_null) {
            v.push(&o.at_key(key), "expected type: String, found: Null");
        }
    }
    patch
}
