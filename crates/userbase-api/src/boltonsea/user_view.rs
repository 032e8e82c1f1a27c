//! The BoltonSea user object (003.3): the integer `id`, names, `country_id`, `other_id`, the `role` in the
//! default account and the `default_account` itself, and ISO 8601 times with milliseconds and `+00:00`.

use serde::Serialize;
use time::OffsetDateTime;
use userbase_core::organization::DefaultOrganization;
use userbase_core::user::User;

use super::OTHER_ID_SOURCE;

/// `2025-10-17T16:09:36.031+00:00`, as BoltonSea writes times.
pub fn iso_millis(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+00:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[derive(Debug, Serialize)]
pub struct DefaultAccount<'a> {
    id: i64,
    organization_name: &'a str,
}

#[derive(Debug, Serialize)]
pub struct BoltonSeaUser<'a> {
    id: i64,
    email: Option<&'a str>,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    country_id: Option<&'static str>,
    other_id: Option<&'a str>,
    role: Option<&'a str>,
    default_account: Option<DefaultAccount<'a>>,
    created_on: String,
    updated_on: String,
}

impl<'a> BoltonSeaUser<'a> {
    pub fn new(user: &'a User, default: Option<&'a DefaultOrganization>) -> Self {
        let p = &user.profile;
        Self {
            id: user.numeric_id,
            email: p.email.as_ref().map(|e| e.as_str()),
            first_name: p.first_name.as_deref(),
            last_name: p.last_name.as_deref(),
            country_id: p.country.map(|c| c.as_str()),
            other_id: p.external_refs.iter().find(|r| r.source() == OTHER_ID_SOURCE).map(|r| r.source_id()),
            role: default.and_then(|d| d.role.as_deref()),
            default_account: default
                .map(|d| DefaultAccount { id: d.organization_id, organization_name: &d.organization_name }),
            created_on: iso_millis(user.created_at),
            updated_on: iso_millis(user.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_milliseconds_and_a_utc_offset() {
        let t = time::macros::datetime!(2025-10-17 16:09:36.031 UTC);
        assert_eq!(iso_millis(t), "2025-10-17T16:09:36.031+00:00");
        let t = time::macros::datetime!(2025-01-02 03:04:05 +02:00);
        assert_eq!(iso_millis(t), "2025-01-02T01:04:05.000+00:00");
    }
}
