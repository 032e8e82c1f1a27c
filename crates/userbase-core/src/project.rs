//! Projects (tenants) and their settings.

use time::OffsetDateTime;

use crate::ids::ProjectId;

/// Per-project settings, stored as one document so that later settings need no schema change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ProjectSettings {
    /// The locale a user without one is shown with (Gigs `preferredLocale`), BCP 47.
    pub default_locale: String,
    /// Whether live users of the project must have distinct emails (case-insensitively).
    pub email_unique: bool,
    /// How long soft-deleted users stay restorable before they are purged.
    pub deleted_retention_days: u32,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        Self { default_locale: "en-US".to_owned(), email_unique: true, deleted_retention_days: 30 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub settings: ProjectSettings,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}
