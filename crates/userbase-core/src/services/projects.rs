//! Projects: creation, lookup and the first-start bootstrap.

use std::sync::Arc;

use crate::api_key::{GeneratedKey, KeyKind, NewKey};
use crate::error::{Conflict, DomainError, FieldError};
use crate::ids::ProjectId;
use crate::outbound::{OutboundCheck, OUTBOUND_ADDRESS_REFUSED};
use crate::project::{JwtSettings, Project, ProjectSettings};
use crate::store::Store;
use crate::time_util::now_utc;
use crate::values::Locale;

use super::KeyService;

#[derive(Debug, Clone)]
pub struct NewProject {
    pub id: ProjectId,
    pub name: Option<String>,
    pub settings: ProjectSettings,
}

/// A change to a project; `None` leaves a part as it is, `jwt` replaces the JWT settings whole,
/// `geocoder_url: Some(None)` removes the geocoder.
#[derive(Debug, Clone, Default)]
pub struct ProjectUpdate {
    pub name: Option<String>,
    pub default_locale: Option<String>,
    pub jwt: Option<JwtSettings>,
    pub geocoder_url: Option<Option<String>>,
    /// Days a deleted user stays restorable before the retention purge removes it for good.
    pub deleted_retention_days: Option<u32>,
}

/// The longest retention of deleted users a project may set (ten years).
pub const MAX_DELETED_RETENTION_DAYS: u32 = 3650;

/// A geocoder URL: `http(s)://host[:port][/path]`, without query, fragment or blanks (the service appends
/// `/search?...`); kept without a trailing `/`.
pub fn parse_geocoder_url(url: &str) -> Result<String, DomainError> {
    let invalid = || {
        DomainError::invalid(
            "geocoder_url",
            "invalid_url",
            "A geocoder URL is an http(s) URL with a host and no query or fragment.",
        )
    };
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).ok_or_else(invalid)?;
    let host = rest.split('/').next().unwrap_or("");
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '\\');
    if url.len() > 2_000 || host.is_empty() || host.starts_with(':') || rest.contains(bad_char) {
        return Err(invalid());
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The checks on JWT settings that need no cryptography.
fn check_jwt(jwt: &JwtSettings) -> Result<(), DomainError> {
    if jwt.hs256_secret.as_ref().is_some_and(|s| s.len() < 32) {
        return Err(DomainError::invalid("jwt.hs256_secret", "too_short", "An HS256 secret is at least 32 bytes."));
    }
    if let Some(doc) = &jwt.jwks {
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(doc);
        if !parsed.is_ok_and(|v| v["keys"].is_array()) {
            return Err(DomainError::invalid(
                "jwt.jwks",
                "invalid_jwks",
                "A JWKS is a JSON object with a \"keys\" array.",
            ));
        }
    }
    if let Some(url) = &jwt.jwks_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2_000 {
            return Err(DomainError::invalid("jwt.jwks_url", "invalid_url", "A JWKS URL is an http(s) URL."));
        }
    }
    Ok(())
}

#[derive(Clone)]
pub struct ProjectService {
    store: Arc<dyn Store>,
    /// Verified keys carry their project's settings; a change must reach this cache at once.
    keys: Option<super::KeyService>,
    /// The server's outbound-address policy, for settings naming a URL the server will call.
    outbound: Option<Arc<dyn OutboundCheck>>,
}

impl ProjectService {
    pub const BOOTSTRAP_PROJECT: &'static str = "default";

    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, keys: None, outbound: None }
    }

    /// URLs the server will call (JWKS, geocoder) are checked against `outbound` when they are written.
    pub fn with_outbound_check(mut self, outbound: Arc<dyn OutboundCheck>) -> Self {
        self.outbound = Some(outbound);
        self
    }

    /// Refuses new URL settings whose host the outbound policy refuses, each named by its field. A URL left as
    /// it was is not checked again: changing the project's name must not fail because the policy changed.
    async fn check_outbound(&self, before: &Project, after: &Project) -> Result<(), DomainError> {
        let Some(outbound) = &self.outbound else { return Ok(()) };
        let urls = [
            ("jwt.jwks_url", &before.settings.jwt.jwks_url, &after.settings.jwt.jwks_url),
            ("geocoder_url", &before.settings.geocoder_url, &after.settings.geocoder_url),
        ];
        let mut errors = Vec::new();
        for (field, old, new) in urls {
            let Some(url) = new.as_deref().filter(|_| old != new) else { continue };
            if let Err(reason) = outbound.check(url).await {
                errors.push(FieldError::new(field, OUTBOUND_ADDRESS_REFUSED, reason));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(errors))
        }
    }

    /// Project changes made through this service also clear `keys`' cache of verified keys.
    pub fn with_key_cache(mut self, keys: super::KeyService) -> Self {
        self.keys = Some(keys);
        self
    }

    pub async fn create(&self, new: NewProject) -> Result<Project, DomainError> {
        Locale::parse("settings.default_locale", &new.settings.default_locale)
            .map_err(|e| DomainError::Invalid(vec![e]))?;
        let name = new.name.unwrap_or_else(|| new.id.as_str().to_owned());
        if name.is_empty() || name.chars().count() > 200 {
            return Err(DomainError::Invalid(vec![FieldError::new(
                "name",
                "invalid_name",
                "A project name is 1 to 200 characters.",
            )]));
        }
        let now = now_utc();
        let project = Project { id: new.id, name, settings: new.settings, created_at: now, updated_at: now };
        self.store.insert_project(&project).await?;
        Ok(project)
    }

    /// Changes a project's name, default locale, JWT settings or geocoder (already checked by the caller's surface
    /// for what needs cryptography, such as PEM keys).
    pub async fn update(&self, id: &ProjectId, update: ProjectUpdate) -> Result<Project, DomainError> {
        let before = self.get(id).await?;
        let mut project = before.clone();
        if let Some(name) = update.name {
            if name.is_empty() || name.chars().count() > 200 {
                return Err(DomainError::invalid("name", "invalid_name", "A project name is 1 to 200 characters."));
            }
            project.name = name;
        }
        if let Some(locale) = update.default_locale {
            let locale = Locale::parse("default_locale", &locale).map_err(|e| DomainError::Invalid(vec![e]))?;
            project.settings.default_locale = locale.as_str().to_owned();
        }
        if let Some(jwt) = update.jwt {
            check_jwt(&jwt)?;
            project.settings.jwt = jwt;
        }
        if let Some(days) = update.deleted_retention_days {
            if days > MAX_DELETED_RETENTION_DAYS {
                return Err(DomainError::invalid(
                    "deleted_retention_days",
                    "out_of_range",
                    "Deleted users are kept 0 to 3650 days.",
                ));
            }
            project.settings.deleted_retention_days = days;
        }
        if let Some(geocoder_url) = update.geocoder_url {
            project.settings.geocoder_url = geocoder_url.as_deref().map(parse_geocoder_url).transpose()?;
        }
        self.check_outbound(&before, &project).await?;
        project.updated_at = now_utc();
        self.store.update_project(&project).await?;
        if let Some(keys) = &self.keys {
            keys.forget_project(&project.id);
        }
        Ok(project)
    }

    pub async fn get(&self, id: &ProjectId) -> Result<Project, DomainError> {
        self.store.get_project(id).await?.ok_or(DomainError::NotFound { resource: "project" })
    }

    pub async fn list(&self) -> Result<Vec<Project>, DomainError> {
        Ok(self.store.list_projects().await?)
    }

    /// On a database without projects, creates project `default` and a secret key for it, and returns the
    /// key so that it can be shown once. Several processes starting at once create at most one project.
    pub async fn bootstrap(&self, keys: &KeyService) -> Result<Option<GeneratedKey>, DomainError> {
        if !self.store.list_projects().await?.is_empty() {
            return Ok(None);
        }
        let id = ProjectId::from_stored(Self::BOOTSTRAP_PROJECT.to_owned());
        let created = self
            .create(NewProject { id: id.clone(), name: Some("Default project".into()), settings: Default::default() })
            .await;
        match created {
            Ok(_) => {}
            Err(DomainError::Conflict(Conflict::ProjectId)) => return Ok(None),
            Err(e) => return Err(e),
        }
        let key = keys
            .create(NewKey {
                project_id: id,
                kind: KeyKind::Secret,
                name: Some("bootstrap".into()),
                user_id: None,
                scopes: vec![],
                expires_at: None,
            })
            .await?;
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_geocoder_url;

    #[test]
    fn geocoder_urls_are_http_urls_with_a_host_and_no_query() {
        for (url, kept) in [
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("https://nominatim.example.org/", "https://nominatim.example.org"),
            ("https://geo.example/nominatim/", "https://geo.example/nominatim"),
        ] {
            assert_eq!(parse_geocoder_url(url).ok().as_deref(), Some(kept), "{url}");
        }
        for url in [
            "ftp://geo",
            "geo.example",
            "http://",
            "https:///x",
            "http://:80",
            "http://geo?key=1",
            "http://geo/#x",
            "http://ge o",
        ] {
            assert!(parse_geocoder_url(url).is_err(), "{url}");
        }
    }
}
