//! The canonical user (canonical-model.md, U2), as read from the store.

use time::{Date, OffsetDateTime};

use crate::ids::{HumanId, ObjectId, ProjectId, PublicUserId};
use crate::values::{CountryCode, Email, ExternalRef, Gender, GroupRef, Locale, Metadata};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Blocked,
    Deleted,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Blocked => "blocked",
            UserStatus::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(UserStatus::Active),
            "blocked" => Some(UserStatus::Blocked),
            "deleted" => Some(UserStatus::Deleted),
            _ => None,
        }
    }
}

/// BuiltOn's voucher. Every user has one, so that the BuiltOn view is always complete, and nothing changes it:
/// it is derived from the user's object id and creation time ([`Voucher::derived`]) instead of stored, which
/// saves about 300 bytes per user. Users created before that keep the voucher stored with them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Voucher {
    pub uuid: String,
    pub consumed: i64,
    pub initial_quantity: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub modified: OffsetDateTime,
}

impl Voucher {
    /// The voucher of the user with this object id, created at `created`: a version-4-shaped UUID from a hash
    /// of the object id (stable, distinct per user), valid for a year.
    pub fn derived(object_id: &ObjectId, created: OffsetDateTime) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new().chain_update(b"userbase voucher\0").chain_update(object_id.as_str()).finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Self {
            uuid: uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string(),
            consumed: 0,
            initial_quantity: 0,
            created,
            expires: created + time::Duration::days(365),
            modified: created,
        }
    }
}

/// BuiltOn-only attributes, rendered verbatim by that dialect (canonical-model.md 000.3 defaults). Stored as
/// JSON with the defaults left out, so a user who never set one stores `{}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BuiltonExtras {
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_company: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub national_id: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub new_customer: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub receive_notifications: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stripe_customer_id: String,
    /// Only for users created before vouchers were derived; see [`BuiltonExtras::voucher`].
    #[serde(rename = "voucher", default, skip_serializing_if = "Option::is_none")]
    pub stored_voucher: Option<Voucher>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_true(b: &bool) -> bool {
    *b
}

fn yes() -> bool {
    true
}

impl Default for BuiltonExtras {
    fn default() -> Self {
        Self {
            is_company: false,
            national_id: String::new(),
            new_customer: true,
            receive_notifications: true,
            stripe_customer_id: String::new(),
            stored_voucher: None,
        }
    }
}

impl BuiltonExtras {
    /// The user's voucher: the stored one of an older user, else the derived one.
    pub fn voucher(&self, object_id: &ObjectId, created: OffsetDateTime) -> Voucher {
        match &self.stored_voucher {
            Some(v) => v.clone(),
            None => Voucher::derived(object_id, created),
        }
    }
}

/// The profile fields a caller may write: everything of the canonical user but ids, status and timestamps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub auth_subject: Option<String>,
    pub email: Option<Email>,
    pub email_verified: bool,
    pub salutation: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub abbreviation: Option<String>,
    pub birth_date: Option<Date>,
    pub gender: Option<Gender>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub locale: Option<Locale>,
    pub country: Option<CountryCode>,
    pub company_name: Option<String>,
    pub login: Option<String>,
    pub debtor_id: Option<String>,
    pub tax_number: Option<String>,
    pub coc_number: Option<String>,
    pub pricelist_amount: Option<String>,
    pub pricelist_percentage: Option<String>,
    pub parent_group: Option<GroupRef>,
    pub external_refs: Vec<ExternalRef>,
    pub metadata: Metadata,
    pub tags: Vec<String>,
    pub bio: Option<String>,
    pub note: Option<String>,
    pub image_ref: Option<String>,
    pub avatar: Option<String>,
    pub default_payment_method_ref: Option<String>,
    pub roles: Vec<String>,
    pub default_organization_id: Option<i64>,
}

/// A stored user. `numeric_id` is assigned by the store in creation order; `version` counts writes.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub numeric_id: i64,
    pub public_id: PublicUserId,
    pub object_id: ObjectId,
    pub human_id: HumanId,
    pub project_id: ProjectId,
    pub profile: Profile,
    pub builton: BuiltonExtras,
    pub status: UserStatus,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub last_login_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
    pub version: i64,
}

impl User {
    pub fn is_deleted(&self) -> bool {
        self.status == UserStatus::Deleted
    }

    /// The display name: the explicit full name, else the join of first, middle and last names.
    pub fn display_name(&self) -> Option<String> {
        let p = &self.profile;
        if let Some(full) = &p.full_name {
            return Some(full.clone());
        }
        let parts: Vec<&str> = [&p.first_name, &p.middle_name, &p.last_name]
            .into_iter()
            .filter_map(|s| s.as_deref())
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// How a caller names one user. Each dialect accepts only its own encoding.
#[derive(Debug, Clone)]
pub enum UserKey {
    Public(PublicUserId),
    Object(ObjectId),
    Numeric(i64),
    AuthSubject(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builton_defaults_are_stored_as_an_empty_object() {
        assert_eq!(serde_json::to_string(&BuiltonExtras::default()).unwrap(), "{}");
        let read: BuiltonExtras = serde_json::from_str("{}").unwrap();
        assert_eq!(read, BuiltonExtras::default());
        let set = BuiltonExtras { new_customer: false, national_id: "X1".into(), ..BuiltonExtras::default() };
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"{"national_id":"X1","new_customer":false}"#);
        assert_eq!(serde_json::from_str::<BuiltonExtras>(&json).unwrap(), set);
    }

    #[test]
    fn a_stored_voucher_of_an_older_user_is_kept_and_others_are_derived() {
        let created = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let oid = ObjectId::generate(created);
        let older = r#"{"is_company":false,"national_id":"","new_customer":true,"receive_notifications":true,
            "stripe_customer_id":"","voucher":{"uuid":"f93548b4-ed76-4728-aa04-c5f4da9087be","consumed":0,
            "initial_quantity":0,"created":"2026-12-02T19:31:21Z","expires":"2027-12-02T19:31:21Z",
            "modified":"2026-12-02T19:31:21Z"}}"#;
        let older: BuiltonExtras = serde_json::from_str(older).unwrap();
        assert_eq!(older.voucher(&oid, created).uuid, "f93548b4-ed76-4728-aa04-c5f4da9087be");

        let derived = BuiltonExtras::default().voucher(&oid, created);
        assert_eq!(derived, Voucher::derived(&oid, created), "the same on every read");
        assert_eq!((derived.created, derived.expires), (created, created + time::Duration::days(365)));
        let parsed = uuid::Uuid::parse_str(&derived.uuid).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        let other = ObjectId::generate(created);
        assert_ne!(Voucher::derived(&other, created).uuid, derived.uuid);
    }
}
