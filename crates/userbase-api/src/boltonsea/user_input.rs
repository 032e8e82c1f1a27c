//! BoltonSea request bodies and their translation into core patches. A user body has `country_id`, `email`,
//! `first_name`, `last_name` and `other_id`, all strings: on create every one is optional; `PUT` replaces the
//! user's BoltonSea fields, requires `country_id`, `email` and `first_name`, and clears an omitted
//! `last_name` or `other_id`. Every problem of a body is reported at once (wrong types, unknown fields, bad
//! values), so values are read as JSON first and checked field by field.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use userbase_core::error::{FieldError, FieldErrors};
use userbase_core::patch::Patch;
use userbase_core::services::{SourceRefChange, UserPatch};
use userbase_core::values::{parse_text, CountryCode, Email, ExternalRef, TextLimit};

use super::OTHER_ID_SOURCE;

/// A user, as created (`POST /users`) or replaced (`PUT /users`).
#[derive(Debug, Deserialize)]
pub struct UserBody {
    #[serde(default)]
    country_id: Patch<Value>,
    #[serde(default)]
    email: Patch<Value>,
    #[serde(default)]
    first_name: Patch<Value>,
    #[serde(default)]
    last_name: Patch<Value>,
    #[serde(default)]
    other_id: Patch<Value>,
    /// Whatever else was sent: each key is an error.
    #[serde(flatten)]
    unknown: BTreeMap<String, Value>,
}

/// The text of a field: `None` when absent, `null` or empty (BoltonSea has no empty values); an error when
/// it is not a string.
fn text(e: &mut FieldErrors, field: &str, value: Patch<Value>) -> Option<String> {
    match value {
        Patch::Keep | Patch::Clear => None,
        Patch::Set(Value::String(s)) if s.is_empty() => None,
        Patch::Set(Value::String(s)) => Some(s),
        Patch::Set(_) => {
            e.push(FieldError::new(field, "invalid_type", "Must be a string."));
            None
        }
    }
}

/// A required field's text: absent, `null` and `""` are errors.
fn required(e: &mut FieldErrors, field: &str, value: Patch<Value>) -> Option<String> {
    let missing = matches!(&value, Patch::Keep | Patch::Clear) || value == Patch::Set(Value::String(String::new()));
    if missing {
        e.push(FieldError::new(field, "required", "Required."));
        return None;
    }
    text(e, field, value)
}

/// The parsed values of a body, before they become a patch.
struct Values {
    email: Option<Email>,
    first_name: Option<String>,
    last_name: Option<String>,
    country: Option<CountryCode>,
    other_id: Option<ExternalRef>,
}

impl UserBody {
    /// The fields of a new user; nothing is required.
    pub fn into_create(self) -> Result<UserPatch, Vec<FieldError>> {
        let mut e = FieldErrors::new();
        let v = self.parse(&mut e, false);
        e.finish()?;
        Ok(UserPatch {
            email: v.email.map_or(Patch::Keep, Patch::Set),
            first_name: v.first_name.map_or(Patch::Keep, Patch::Set),
            last_name: v.last_name.map_or(Patch::Keep, Patch::Set),
            country: v.country.map_or(Patch::Keep, Patch::Set),
            source_ref: v.other_id.map(SourceRefChange::Set),
            ..UserPatch::default()
        })
    }

    /// A full replace of the user's BoltonSea fields: `country_id`, `email` and `first_name` are required,
    /// an omitted `last_name` or `other_id` becomes null. Fields BoltonSea does not show stay as they are.
    pub fn into_replace(self) -> Result<UserPatch, Vec<FieldError>> {
        let mut e = FieldErrors::new();
        let v = self.parse(&mut e, true);
        e.finish()?;
        let (Some(email), Some(first_name), Some(country)) = (v.email, v.first_name, v.country) else {
            // `parse` recorded an error for each of them.
            return Err(vec![FieldError::new("body", "required", "Required fields are missing.")]);
        };
        Ok(UserPatch {
            email: Patch::Set(email),
            first_name: Patch::Set(first_name),
            last_name: v.last_name.map_or(Patch::Clear, Patch::Set),
            country: Patch::Set(country),
            source_ref: Some(match v.other_id {
                Some(r) => SourceRefChange::Set(r),
                None => SourceRefChange::Clear(OTHER_ID_SOURCE.to_owned()),
            }),
            ..UserPatch::default()
        })
    }

    fn parse(self, e: &mut FieldErrors, replace: bool) -> Values {
        for field in self.unknown.keys() {
            e.push(FieldError::new(field.as_str(), "unknown_field", "Unknown field."));
        }
        let must = |e: &mut FieldErrors, field: &str, value: Patch<Value>| match replace {
            true => required(e, field, value),
            false => text(e, field, value),
        };
        let country = must(e, "country_id", self.country_id);
        let email = must(e, "email", self.email);
        let first_name = must(e, "first_name", self.first_name);
        let last_name = text(e, "last_name", self.last_name);
        let other_id = text(e, "other_id", self.other_id);
        Values {
            country: country.and_then(|s| e.take(CountryCode::parse("country_id", &s))),
            email: email.and_then(|s| e.take(Email::parse("email", &s))),
            first_name: first_name.and_then(|s| e.take(parse_text("first_name", &s, TextLimit::Short))),
            last_name: last_name.and_then(|s| e.take(parse_text("last_name", &s, TextLimit::Short))),
            other_id: other_id.and_then(|s| {
                e.take(
                    ExternalRef::parse("other_id", OTHER_ID_SOURCE, &s).map_err(|f| {
                        FieldError::new("other_id", f.code, "1 to 255 characters, no control characters.")
                    }),
                )
            }),
        }
    }
}

/// `PUT /users/default_account`: `{"organization_id": <integer>}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultAccountBody {
    #[serde(default)]
    organization_id: Option<Value>,
}

impl DefaultAccountBody {
    /// The organization's integer id.
    pub fn organization_id(self) -> Result<i64, Vec<FieldError>> {
        match self.organization_id {
            None | Some(Value::Null) => Err(vec![FieldError::new("organization_id", "required", "Required.")]),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| vec![FieldError::new("organization_id", "invalid_type", "Must be an integer.")]),
        }
    }
}
