//! The v1 user body (create and patch share it) and its conversion into a domain `UserPatch`.
//! On create, `null` and absent both mean "not set"; on patch, absent keeps and `null` clears.

use std::collections::BTreeMap;

use serde::Deserialize;
use userbase_core::error::{FieldError, FieldErrors};
use userbase_core::patch::Patch;
use userbase_core::services::UserPatch;
use userbase_core::user::UserStatus;
use userbase_core::values::{
    parse_birth_date, parse_labels, parse_text, CountryCode, Email, ExternalRef, Gender, GroupRef, LabelKind, Locale,
    MetadataLimits, MetadataPatch, TextLimit,
};

/// An id of this user (or organization) in another system.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ExternalRef)]
pub struct ExternalRefInput {
    pub source: String,
    pub source_id: String,
}

/// The fields of a user to create or change. On create, absent and `null` both mean unset; on update,
/// absent keeps a field and `null` clears it. Only a secret key may set `status`, `external_refs`, `roles`,
/// `auth_subject` and `email_verified`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    auth_subject: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    email: Patch<String>,
    #[serde(default)]
    email_verified: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    salutation: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    first_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    middle_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    last_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    full_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    abbreviation: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    birthday: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    gender: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    phone: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    mobile: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    locale: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    country: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    company_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    login: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    debtor_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    tax_number: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    coc_number: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pricelist_amount: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pricelist_percentage: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<crate::v1::openapi::GroupRefSchema>)]
    parent_group: Patch<GroupRef>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<ExternalRefInput>>)]
    external_refs: Patch<Vec<ExternalRefInput>>,
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, Option<String>>>)]
    metadata: Patch<BTreeMap<String, Option<String>>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    tags: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    bio: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    note: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    image: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    avatar: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    default_payment_method: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    roles: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    status: Patch<String>,
}

/// Validates one nullable field with `parse`, recording its error.
pub fn field<T, U>(
    errors: &mut FieldErrors,
    value: Patch<T>,
    parse: impl FnOnce(T) -> Result<U, FieldError>,
) -> Patch<U> {
    errors.take(value.try_map(parse)).unwrap_or_default()
}

/// A short free-text field (names, codes, phone numbers).
pub fn short_text(errors: &mut FieldErrors, name: &str, value: Patch<String>) -> Patch<String> {
    field(errors, value, |s| parse_text(name, &s, TextLimit::Short))
}

fn long(errors: &mut FieldErrors, name: &str, value: Patch<String>) -> Patch<String> {
    field(errors, value, |s| parse_text(name, &s, TextLimit::Long))
}

/// A list field: `null` means the empty list.
fn list<T, U>(
    errors: &mut FieldErrors,
    value: Patch<Vec<T>>,
    parse: impl FnOnce(Vec<T>) -> Result<Vec<U>, FieldError>,
) -> Option<Vec<U>> {
    match value {
        Patch::Keep => None,
        Patch::Clear => Some(Vec::new()),
        Patch::Set(v) => errors.take(parse(v)),
    }
}

pub fn parse_gender(s: String) -> Result<Gender, FieldError> {
    match s.as_str() {
        "male" => Ok(Gender::Male),
        "female" => Ok(Gender::Female),
        "unknown" => Ok(Gender::Unknown),
        _ => Err(FieldError::new("gender", "invalid_gender", "Gender is one of male, female, unknown.")),
    }
}

fn parse_status(s: String) -> Result<UserStatus, FieldError> {
    match UserStatus::parse(&s) {
        Some(status @ (UserStatus::Active | UserStatus::Blocked)) => Ok(status),
        _ => Err(FieldError::new("status", "invalid_status", "Status is active or blocked.")),
    }
}

impl UserInput {
    /// Every field checked; all problems are reported at once.
    pub fn into_patch(self) -> Result<UserPatch, Vec<FieldError>> {
        let mut e = FieldErrors::new();
        let metadata = match self.metadata {
            Patch::Keep => MetadataPatch::default(),
            Patch::Clear => {
                e.push(FieldError::new(
                    "metadata",
                    "invalid_metadata",
                    "metadata cannot be null; set a key to null to delete it.",
                ));
                MetadataPatch::default()
            }
            Patch::Set(map) => match MetadataPatch::parse(map, MetadataLimits::DEFAULT) {
                Ok(m) => m,
                Err(errs) => {
                    errs.into_iter().for_each(|x| e.push(x));
                    MetadataPatch::default()
                }
            },
        };
        let status = match self.status {
            Patch::Keep => None,
            Patch::Clear => {
                e.push(FieldError::new("status", "invalid_status", "Status cannot be null."));
                None
            }
            Patch::Set(s) => e.take(parse_status(s)),
        };
        let patch = UserPatch {
            auth_subject: short_text(&mut e, "auth_subject", self.auth_subject),
            email: field(&mut e, self.email, |s| Email::parse("email", &s)),
            email_verified: self.email_verified,
            salutation: short_text(&mut e, "salutation", self.salutation),
            first_name: short_text(&mut e, "first_name", self.first_name),
            middle_name: short_text(&mut e, "middle_name", self.middle_name),
            last_name: short_text(&mut e, "last_name", self.last_name),
            full_name: short_text(&mut e, "full_name", self.full_name),
            abbreviation: short_text(&mut e, "abbreviation", self.abbreviation),
            birth_date: field(&mut e, self.birthday, |s| parse_birth_date("birthday", &s)),
            gender: field(&mut e, self.gender, parse_gender),
            phone: short_text(&mut e, "phone", self.phone),
            mobile: short_text(&mut e, "mobile", self.mobile),
            locale: field(&mut e, self.locale, |s| Locale::parse("locale", &s)),
            country: field(&mut e, self.country, |s| CountryCode::parse("country", &s)),
            company_name: short_text(&mut e, "company_name", self.company_name),
            login: short_text(&mut e, "login", self.login),
            debtor_id: short_text(&mut e, "debtor_id", self.debtor_id),
            tax_number: short_text(&mut e, "tax_number", self.tax_number),
            coc_number: short_text(&mut e, "coc_number", self.coc_number),
            pricelist_amount: short_text(&mut e, "pricelist_amount", self.pricelist_amount),
            pricelist_percentage: short_text(&mut e, "pricelist_percentage", self.pricelist_percentage),
            parent_group: self.parent_group,
            external_refs: list(&mut e, self.external_refs, |refs| {
                ExternalRef::parse_list("external_refs", refs.into_iter().map(|r| (r.source, r.source_id)).collect())
            }),
            source_ref: None,
            metadata,
            tags: list(&mut e, self.tags, |t| parse_labels(LabelKind::Tag, t)),
            bio: long(&mut e, "bio", self.bio),
            note: long(&mut e, "note", self.note),
            image_ref: short_text(&mut e, "image", self.image),
            avatar: short_text(&mut e, "avatar", self.avatar),
            default_payment_method_ref: short_text(&mut e, "default_payment_method", self.default_payment_method),
            roles: list(&mut e, self.roles, |r| parse_labels(LabelKind::Role, r)),
            status,
        };
        e.finish()?;
        Ok(patch)
    }
}
