//! Gigs user bodies (create, patch, search) and their translation into the domain. Gigs' own input rules
//! live here: a required, non-null email; `fullName` of 1 to 255 characters; its metadata limits and the
//! read-only `gigs.com` keys; `preferredLocale: null` meaning "back to the project's default".

use std::collections::BTreeMap;

use serde::Deserialize;
use userbase_core::error::{FieldError, FieldErrors};
use userbase_core::patch::Patch;
use userbase_core::services::UserPatch;
use userbase_core::values::{parse_birth_date, parse_text, Email, Locale, MetadataPatch, TextLimit};

/// Metadata keys Gigs reserves for itself.
const RESERVED_PREFIX: &str = "gigs.com";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserBody {
    #[serde(default)]
    email: Patch<String>,
    #[serde(default)]
    birthday: Patch<String>,
    #[serde(default)]
    full_name: Patch<String>,
    #[serde(default)]
    metadata: Patch<BTreeMap<String, Option<String>>>,
    #[serde(default)]
    preferred_locale: Patch<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    #[serde(default)]
    pub email: Option<String>,
}

fn full_name(s: String) -> Result<String, FieldError> {
    if s.is_empty() {
        return Err(FieldError::new("fullName", "propertyInvalid", "fullName cannot be empty."));
    }
    parse_text("fullName", &s, TextLimit::Short)
}

fn metadata(errors: &mut FieldErrors, value: Patch<BTreeMap<String, Option<String>>>) -> MetadataPatch {
    let entries = match value {
        Patch::Keep => return MetadataPatch::default(),
        Patch::Clear => {
            errors.push(FieldError::new("metadata", "propertyInvalid", "metadata cannot be null."));
            return MetadataPatch::default();
        }
        Patch::Set(entries) => entries,
    };
    if let Some(key) = entries.keys().find(|k| k.starts_with(RESERVED_PREFIX)) {
        errors.push(FieldError::new(
            format!("metadata.{key}"),
            "propertyInvalid",
            "Keys prefixed gigs.com are read-only.",
        ));
        return MetadataPatch::default();
    }
    match MetadataPatch::parse(entries, super::METADATA_LIMITS) {
        Ok(m) => m,
        Err(errs) => {
            errs.into_iter().for_each(|e| errors.push(e));
            MetadataPatch::default()
        }
    }
}

impl UserBody {
    /// `creating` makes the email required; on update, absent fields stay and `null` clears.
    pub fn into_patch(self, creating: bool) -> Result<UserPatch, Vec<FieldError>> {
        let mut e = FieldErrors::new();
        let email = match self.email {
            Patch::Set(s) => e.take(Email::parse("email", &s)).map_or(Patch::Keep, Patch::Set),
            Patch::Keep if !creating => Patch::Keep,
            Patch::Keep => {
                e.push(FieldError::new("email", "propertyRequired", "email is required."));
                Patch::Keep
            }
            Patch::Clear => {
                e.push(FieldError::new("email", "propertyInvalid", "email cannot be null."));
                Patch::Keep
            }
        };
        let patch = UserPatch {
            email,
            birth_date: e.take(self.birthday.try_map(|s| parse_birth_date("birthday", &s))).unwrap_or_default(),
            full_name: e.take(self.full_name.try_map(full_name)).unwrap_or_default(),
            metadata: metadata(&mut e, self.metadata),
            // `null` clears the user's own locale, which shows the project's default again.
            locale: e.take(self.preferred_locale.try_map(|s| Locale::parse("preferredLocale", &s))).unwrap_or_default(),
            ..UserPatch::default()
        };
        e.finish()?;
        Ok(patch)
    }
}
