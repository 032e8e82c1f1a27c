//! Projects (tenants) and their settings.

use time::OffsetDateTime;

use crate::ids::ProjectId;

/// How end-user JWTs of the project are verified. Keys may be an HS256 secret, PEM public keys
/// (RS256/ES256/EdDSA), a JWKS document, or a JWKS URL; `iss` and `aud` are required when set.
/// `Debug` leaves the HS256 secret out: settings travel inside `Project` and `Principal`, which are logged.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct JwtSettings {
    pub hs256_secret: Option<String>,
    pub public_keys_pem: Vec<String>,
    /// A JWKS document (`{"keys": [...]}`), kept in the database so every server shares it.
    pub jwks: Option<String>,
    pub jwks_url: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

impl JwtSettings {
    /// Whether any key is configured at all.
    pub fn has_keys(&self) -> bool {
        self.hs256_secret.is_some()
            || !self.public_keys_pem.is_empty()
            || self.jwks.is_some()
            || self.jwks_url.is_some()
    }
}

impl std::fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSettings")
            .field("hs256_secret", &self.hs256_secret.as_ref().map(|_| "<redacted>"))
            .field("public_keys_pem", &self.public_keys_pem.len())
            .field("jwks", &self.jwks.is_some())
            .field("jwks_url", &self.jwks_url)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

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
    /// End-user JWT verification; none configured means end-user tokens are refused.
    pub jwt: JwtSettings,
    /// A Nominatim-compatible geocoding service (`http(s)://host[/path]`, asked at `{url}/search`) that
    /// locates addresses written without coordinates; none (the default) leaves them without.
    pub geocoder_url: Option<String>,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        Self {
            default_locale: "en-US".to_owned(),
            email_unique: true,
            deleted_retention_days: 30,
            jwt: JwtSettings::default(),
            geocoder_url: None,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_stored_before_a_setting_existed_read_with_its_default() {
        // As stored before `geocoder_url` (one JSON document, every field defaulted when absent).
        let old = r#"{"default_locale":"nb-NO","email_unique":false,"deleted_retention_days":7,"jwt":{}}"#;
        let settings: ProjectSettings = serde_json::from_str(old).unwrap();
        assert_eq!(settings.geocoder_url, None);
        assert_eq!((settings.default_locale.as_str(), settings.email_unique), ("nb-NO", false));
        let round =
            serde_json::to_value(ProjectSettings { geocoder_url: Some("http://geo".into()), ..settings }).unwrap();
        assert_eq!(round["geocoder_url"], "http://geo");
    }

    #[test]
    fn debug_output_never_shows_the_hs256_secret() {
        let jwt =
            JwtSettings { hs256_secret: Some("a-very-secret-shared-key-of-32-bytes".into()), ..Default::default() };
        let settings = ProjectSettings { jwt, ..Default::default() };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("a-very-secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
