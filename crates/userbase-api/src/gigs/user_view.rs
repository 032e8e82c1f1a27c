//! The Gigs user object and list envelope (001.3), rendered from the canonical user.

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;
use userbase_core::project::Project;
use userbase_core::user::User;

/// RFC 3339 in UTC with seconds precision and `Z`, as Gigs renders times.
pub fn gigs_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GigsUser<'a> {
    object: &'static str,
    id: &'a str,
    metadata: &'a BTreeMap<String, String>,
    birthday: Option<String>,
    created_at: String,
    /// Never null in Gigs; a user created elsewhere without an email shows `""`.
    email: &'a str,
    email_verified: bool,
    full_name: Option<String>,
    /// The user's locale, else the project's default.
    preferred_locale: &'a str,
}

impl<'a> GigsUser<'a> {
    pub fn new(u: &'a User, project: &'a Project) -> Self {
        let p = &u.profile;
        Self {
            object: "user",
            id: u.public_id.as_str(),
            metadata: p.metadata.as_map(),
            birthday: p.birth_date.map(|d| d.to_string()),
            created_at: gigs_time(u.created_at),
            email: p.email.as_ref().map_or("", |e| e.as_str()),
            email_verified: p.email_verified,
            full_name: u.display_name(),
            preferred_locale: p.locale.as_ref().map_or(project.settings.default_locale.as_str(), |l| l.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_have_seconds_precision_and_z() {
        assert_eq!(gigs_time(datetime!(2021-01-21 19:38:34.123456 UTC)), "2021-01-21T19:38:34Z");
    }
}
