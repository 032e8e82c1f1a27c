//! `/v1/project`: the calling key's project and its settings, including end-user JWT verification and the
//! geocoder.
//! The HS256 secret is write-only: answers say whether one is set.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use userbase_core::patch::Patch;
use userbase_core::project::Project;
use userbase_core::services::ProjectUpdate;
use userbase_core::DomainError;

use super::extract::{Admin, V1Json};
use super::Problem;
use crate::auth::jwt::check_settings;
use crate::AppState;

/// How end-user JWTs are verified. The HS256 secret is write-only.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = JwtSettings)]
struct JwtView<'a> {
    hs256_secret_set: bool,
    public_keys_pem: &'a [String],
    #[schema(value_type = Option<Object>)]
    jwks: Option<serde_json::Value>,
    jwks_url: Option<&'a str>,
    issuer: Option<&'a str>,
    audience: Option<&'a str>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ProjectSettings)]
struct SettingsView<'a> {
    default_locale: &'a str,
    email_unique: bool,
    /// Days a deleted user stays restorable before the retention purge removes it for good.
    deleted_retention_days: u32,
    jwt: JwtView<'a>,
    /// The Nominatim-compatible service that locates addresses written without coordinates (asked at
    /// `{geocoder_url}/search`); `null`: none, addresses stay without coordinates.
    geocoder_url: Option<&'a str>,
}

/// A project (tenant).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Project)]
struct ProjectView<'a> {
    object: &'static str,
    id: &'a str,
    name: &'a str,
    settings: SettingsView<'a>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

fn view(p: &Project) -> Response {
    let s = &p.settings;
    axum::Json(ProjectView {
        object: "project",
        id: p.id.as_str(),
        name: &p.name,
        settings: SettingsView {
            default_locale: &s.default_locale,
            email_unique: s.email_unique,
            deleted_retention_days: s.deleted_retention_days,
            jwt: JwtView {
                hs256_secret_set: s.jwt.hs256_secret.is_some(),
                public_keys_pem: &s.jwt.public_keys_pem,
                jwks: s.jwt.jwks.as_deref().and_then(|d| serde_json::from_str(d).ok()),
                jwks_url: s.jwt.jwks_url.as_deref(),
                issuer: s.jwt.issuer.as_deref(),
                audience: s.jwt.audience.as_deref(),
            },
            geocoder_url: s.geocoder_url.as_deref(),
        },
        created_at: p.created_at,
        updated_at: p.updated_at,
    })
    .into_response()
}

/// End-user JWT settings to change: absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = JwtSettingsInput)]
pub struct JwtInput {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    hs256_secret: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    public_keys_pem: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    jwks: Patch<serde_json::Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    jwks_url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    issuer: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    audience: Patch<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    name: Option<String>,
    default_locale: Option<String>,
    jwt: Option<JwtInput>,
    /// An http(s) URL of a Nominatim-compatible geocoder; `null` removes it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    geocoder_url: Patch<String>,
    /// Days a deleted user stays restorable before the retention purge removes it for good (0 to 3650; 0:
    /// at the next purge).
    #[schema(minimum = 0, maximum = 3650)]
    deleted_retention_days: Option<u32>,
}

/// The calling key's project and its settings.
#[utoipa::path(get, path = "/project", tag = "project",
    responses((status = 200, description = "The project", body = ProjectView)))]
pub async fn get_project(Admin(principal): Admin) -> Response {
    view(&principal.project)
}

/// Change the project's name, default locale, end-user JWT settings, geocoder or retention of deleted users.
///
/// Inside `jwt`, absent fields stay and `null` clears; `geocoder_url: null` removes the geocoder. A JWKS or
/// geocoder URL whose host the server's outbound-address policy refuses (loopback, private and other non-public
/// addresses, unless the server's operator allows them) is a 422 `outbound_address_refused` naming the field.
#[utoipa::path(patch, path = "/project", tag = "project", request_body = ProjectInput,
    responses((status = 200, description = "The project", body = ProjectView)))]
pub async fn update_project(
    State(state): State<AppState>,
    Admin(principal): Admin,
    V1Json(input): V1Json<ProjectInput>,
) -> Result<Response, Problem> {
    let jwt = match input.jwt {
        None => None,
        Some(j) => {
            let mut jwt = principal.project.settings.jwt.clone();
            j.hs256_secret.apply_to(&mut jwt.hs256_secret);
            match j.public_keys_pem {
                Patch::Keep => {}
                Patch::Clear => jwt.public_keys_pem.clear(),
                Patch::Set(keys) => jwt.public_keys_pem = keys,
            }
            j.jwks.map(|doc| doc.to_string()).apply_to(&mut jwt.jwks);
            j.jwks_url.apply_to(&mut jwt.jwks_url);
            j.issuer.apply_to(&mut jwt.issuer);
            j.audience.apply_to(&mut jwt.audience);
            check_settings(&jwt).map_err(DomainError::Invalid)?;
            Some(jwt)
        }
    };
    let geocoder_url = match input.geocoder_url {
        Patch::Keep => None,
        Patch::Clear => Some(None),
        Patch::Set(url) => Some(Some(url)),
    };
    let update = ProjectUpdate {
        name: input.name,
        default_locale: input.default_locale,
        jwt,
        geocoder_url,
        deleted_retention_days: input.deleted_retention_days,
    };
    let project = state.projects.update(&principal.project.id, update).await?;
    Ok(view(&project))
}
