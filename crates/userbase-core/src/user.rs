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

/// BuiltOn's voucher, created with every user so that the BuiltOn view is always complete.
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

/// BuiltOn-only attributes, rendered verbatim by that dialect (canonical-model.md 000.3 defaults).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BuiltonExtras {
    pub is_company: bool,
    pub national_id: String,
    pub new_customer: bool,
    pub receive_notifications: bool,
    pub stripe_customer_id: String,
    pub voucher: Voucher,
}

impl BuiltonExtras {
    pub fn new_for(created: OffsetDateTime) -> Self {
        let uuid: [u8; 16] = rand::random();
        let hex: String = uuid.iter().map(|b| format!("{b:02x}")).collect();
        // Version 4 layout: 8-4-4-4-12 with the version and variant nibbles set.
        let uuid = format!(
            "{}-{}-4{}-{:x}{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[13..16],
            (u8::from_str_radix(&hex[16..17], 16).unwrap_or(0) & 0x3) | 0x8,
            &hex[17..20],
            &hex[20..32]
        );
        Self {
            is_company: false,
            national_id: String::new(),
            new_customer: true,
            receive_notifications: true,
            stripe_customer_id: String::new(),
            voucher: Voucher {
                uuid,
                consumed: 0,
                initial_quantity: 0,
                created,
                expires: created + time::Duration::days(365),
                modified: created,
            },
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
