//! Propeller user objects rendered from the canonical user (U2). Read answers carry `debtorId` and `phone`
//! as strings and `dateOfBirth` as `August, 28 1993 00:00:00 +0000` (QUIRK); `parent` and `sources` only
//! when `expands` asks for them.

use serde_json::{json, Map, Value};
use userbase_core::user::User;
use userbase_core::values::GroupRef;

/// What `expands` asked for.
#[derive(Debug, Default, Clone, Copy)]
pub struct Expands {
    pub sources: bool,
    pub parent: bool,
}

/// Propeller's date of birth on reads: `August, 28 1993 00:00:00 +0000`.
fn date_of_birth(d: time::Date) -> String {
    format!("{}, {:02} {} 00:00:00 +0000", d.month(), d.day(), d.year())
}

/// The user as `GET /users/{lk}/{lv}` answers it.
pub fn user_view(u: &User, expands: Expands) -> Value {
    let p = &u.profile;
    let text = |v: &Option<String>| v.as_deref().map_or(Value::Null, |s| Value::String(s.to_owned()));
    let first_ref = p.external_refs.first();
    let mut m = Map::new();
    m.insert("id".into(), json!(u.numeric_id));
    m.insert("debtorId".into(), text(&p.debtor_id));
    m.insert("firstName".into(), text(&p.first_name));
    m.insert("middleName".into(), text(&p.middle_name));
    m.insert("lastName".into(), text(&p.last_name));
    m.insert("fullName".into(), text(&u.display_name()));
    m.insert("title".into(), text(&p.salutation));
    m.insert("abbreviation".into(), text(&p.abbreviation));
    m.insert("dateOfBirth".into(), p.birth_date.map_or(Value::Null, |d| Value::String(date_of_birth(d))));
    m.insert("gender".into(), p.gender.map_or(Value::Null, |g| json!(g.code())));
    m.insert("login".into(), text(&p.login));
    m.insert("phone".into(), text(&p.phone));
    m.insert("mobile".into(), text(&p.mobile));
    m.insert("email".into(), p.email.as_ref().map_or(Value::Null, |e| json!(e.as_str())));
    m.insert("company".into(), text(&p.company_name));
    m.insert("pricelistAmount".into(), text(&p.pricelist_amount));
    m.insert("pricelistPercentage".into(), text(&p.pricelist_percentage));
    m.insert("taxNumber".into(), text(&p.tax_number));
    m.insert("cocNumber".into(), text(&p.coc_number));
    m.insert(
        "primaryLanguage".into(),
        p.locale.as_ref().map_or(Value::Null, |l| json!(l.language().to_ascii_uppercase())),
    );
    m.insert("sourceId".into(), first_ref.map_or(Value::Null, |r| json!(r.source_id())));
    m.insert("source".into(), first_ref.map_or(Value::Null, |r| json!(r.source())));
    if expands.parent {
        let parent = match &p.parent_group {
            Some(GroupRef::Id { id }) => json!({"id": id}),
            Some(GroupRef::External { source, source_id }) => json!({"source": source, "sourceId": source_id}),
            None => Value::Null,
        };
        m.insert("parent".into(), parent);
    }
    if expands.sources {
        let sources: Vec<Value> =
            p.external_refs.iter().map(|r| json!({"source": r.source(), "sourceId": r.source_id()})).collect();
        m.insert("sources".into(), Value::Array(sources));
    }
    Value::Object(m)
}
