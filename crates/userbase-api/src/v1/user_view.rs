//! The v1 user representation: every canonical field, snake_case, `null` when unset. Serialised straight
//! from the domain user by reference (no intermediate copies).

use std::collections::BTreeMap;

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use userbase_core::user::User;
use userbase_core::values::{ExternalRef, Gender, GroupRef};

/// A user.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserView<'a> {
    /// Always `user`.
    object: &'static str,
    /// The user's id, `usr_` and 24 characters.
    id: &'a str,
    /// A 24-character hex id (the Gigs-style object id).
    object_id: &'a str,
    /// A positive integer id, increasing with creation.
    numeric_id: i64,
    /// A short readable id.
    human_id: &'a str,
    auth_subject: Option<&'a str>,
    email: Option<&'a str>,
    email_verified: bool,
    salutation: Option<&'a str>,
    first_name: Option<&'a str>,
    middle_name: Option<&'a str>,
    last_name: Option<&'a str>,
    full_name: Option<&'a str>,
    abbreviation: Option<&'a str>,
    /// `YYYY-MM-DD`.
    birthday: Option<String>,
    /// `male`, `female` or `unknown`.
    gender: Option<&'static str>,
    phone: Option<&'a str>,
    mobile: Option<&'a str>,
    /// A BCP 47 language tag.
    locale: Option<&'a str>,
    /// An ISO 3166-1 alpha-2 country code.
    country: Option<&'static str>,
    company_name: Option<&'a str>,
    login: Option<&'a str>,
    debtor_id: Option<&'a str>,
    tax_number: Option<&'a str>,
    coc_number: Option<&'a str>,
    pricelist_amount: Option<&'a str>,
    pricelist_percentage: Option<&'a str>,
    #[schema(value_type = Option<crate::v1::openapi::GroupRefSchema>)]
    parent_group: Option<&'a GroupRef>,
    /// Ids of this user in other systems, unique per source among live users.
    #[serde(serialize_with = "external_refs")]
    #[schema(value_type = Vec<super::user_input::ExternalRefInput>)]
    external_refs: &'a [ExternalRef],
    metadata: &'a BTreeMap<String, String>,
    tags: &'a [String],
    bio: Option<&'a str>,
    note: Option<&'a str>,
    image: Option<&'a str>,
    avatar: Option<&'a str>,
    default_payment_method: Option<&'a str>,
    roles: &'a [String],
    default_organization_id: Option<i64>,
    /// `active`, `blocked` or `deleted`.
    status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    last_login_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    deleted_at: Option<OffsetDateTime>,
}

fn external_refs<S: Serializer>(refs: &&[ExternalRef], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct RefView<'a> {
        source: &'a str,
        source_id: &'a str,
    }
    let mut seq = s.serialize_seq(Some(refs.len()))?;
    for r in refs.iter() {
        seq.serialize_element(&RefView { source: r.source(), source_id: r.source_id() })?;
    }
    seq.end()
}

pub fn gender_word(g: Gender) -> &'static str {
    match g {
        Gender::Male => "male",
        Gender::Female => "female",
        Gender::Unknown => "unknown",
    }
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(u: &'a User) -> Self {
        let p = &u.profile;
        Self {
            object: "user",
            id: u.public_id.as_str(),
            object_id: u.object_id.as_str(),
            numeric_id: u.numeric_id,
            human_id: u.human_id.as_str(),
            auth_subject: p.auth_subject.as_deref(),
            email: p.email.as_ref().map(|e| e.as_str()),
            email_verified: p.email_verified,
            salutation: p.salutation.as_deref(),
            first_name: p.first_name.as_deref(),
            middle_name: p.middle_name.as_deref(),
            last_name: p.last_name.as_deref(),
            full_name: p.full_name.as_deref(),
            abbreviation: p.abbreviation.as_deref(),
            birthday: p.birth_date.map(|d| d.to_string()),
            gender: p.gender.map(gender_word),
            phone: p.phone.as_deref(),
            mobile: p.mobile.as_deref(),
            locale: p.locale.as_ref().map(|l| l.as_str()),
            country: p.country.map(|c| c.as_str()),
            company_name: p.company_name.as_deref(),
            login: p.login.as_deref(),
            debtor_id: p.debtor_id.as_deref(),
            tax_number: p.tax_number.as_deref(),
            coc_number: p.coc_number.as_deref(),
            pricelist_amount: p.pricelist_amount.as_deref(),
            pricelist_percentage: p.pricelist_percentage.as_deref(),
            parent_group: p.parent_group.as_ref(),
            external_refs: &p.external_refs,
            metadata: p.metadata.as_map(),
            tags: &p.tags,
            bio: p.bio.as_deref(),
            note: p.note.as_deref(),
            image: p.image_ref.as_deref(),
            avatar: p.avatar.as_deref(),
            default_payment_method: p.default_payment_method_ref.as_deref(),
            roles: &p.roles,
            default_organization_id: p.default_organization_id,
            status: u.status.as_str(),
            created_at: u.created_at,
            updated_at: u.updated_at,
            last_login_at: u.last_login_at,
            deleted_at: u.deleted_at,
        }
    }
}

/// A page of users.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = UserList)]
pub struct UserListView<'a> {
    pub object: &'static str,
    #[schema(value_type = Vec<UserView>)]
    pub data: Vec<UserView<'a>>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
    pub previous_cursor: Option<String>,
    /// Present when asked for with `include=total`. Exact without a filter; with one, exact when counting
    /// finishes within the count budget, else an estimate (`total_is_estimate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Present with `total`: whether it is an estimate from the project's newest 10,000 users, scaled to the
    /// project (a filtered count that would have taken longer than the count budget).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_is_estimate: Option<bool>,
}
