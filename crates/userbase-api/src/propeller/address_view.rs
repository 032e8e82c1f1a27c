//! Propeller address objects rendered from the canonical address (U4): `Y`/`N` flags, `""` for empty
//! text (the contract's defaults), gender `U` by default.

use serde_json::{json, Map, Value};
use userbase_core::address::Address;

/// The address as the address routes answer it.
pub fn address_view(a: &Address) -> Map<String, Value> {
    let f = &a.fields;
    let text = |v: &Option<String>| json!(v.as_deref().unwrap_or(""));
    let flag = |b: bool| json!(if b { "Y" } else { "N" });
    let mut m = Map::new();
    m.insert("id".into(), json!(a.numeric_id));
    m.insert("type".into(), json!(f.address_type.as_str()));
    m.insert("code".into(), f.code.as_deref().map_or(Value::Null, |c| json!(c)));
    m.insert("name".into(), text(&f.alias));
    m.insert("firstName".into(), text(&f.first_name));
    m.insert("middleName".into(), text(&f.middle_name));
    m.insert("lastName".into(), text(&f.last_name));
    m.insert("gender".into(), json!(f.gender.map_or("U", |g| g.code())));
    m.insert("company".into(), text(&f.company));
    m.insert("street".into(), text(&f.street));
    m.insert("number".into(), text(&f.number));
    m.insert("numberExtension".into(), text(&f.number_extension));
    m.insert("postalCode".into(), text(&f.postal_code));
    m.insert("city".into(), text(&f.city));
    m.insert("region".into(), text(&f.region));
    m.insert("country".into(), json!(f.country.map_or("", |c| c.as_str())));
    m.insert("phone".into(), text(&f.phone));
    m.insert("mobile".into(), text(&f.mobile));
    m.insert("fax".into(), text(&f.fax));
    m.insert("email".into(), text(&f.email));
    m.insert("url".into(), text(&f.url));
    m.insert("notes".into(), text(&f.notes));
    m.insert("icp".into(), flag(f.icp));
    m.insert("isDefault".into(), flag(f.is_default));
    m.insert("active".into(), flag(f.active));
    m
}
