//! Authentication: one place turns a credential into who is calling and decides what it may do. Each
//! surface only says which credentials it accepts and renders failures its own way.
//!
//! Credentials: secret keys and their OAuth2 access tokens (admin of a project); publishable keys (name a
//! project, grant nothing alone); end-user JWTs (with a publishable key); user-bound keys with scopes.
//! Admin surfaces call `secret_key`; end-user surfaces call `end_user_for` with the headers they read
//! (`EndUserHeaders`), which also enforces a user key's scopes; a surface that takes nothing but user keys in
//! a header of its own (BoltonSea's `X-API-KEY`) calls `user_key_in_header`.

mod jwks;
pub mod jwt;

pub use jwt::JwtVerifier;

use std::sync::Arc;

use axum::http::{header, HeaderMap};
use userbase_core::api_key::{required_scope, scope_allows, KeyId, KeyKind};
use userbase_core::project::Project;
use userbase_core::store::StoredKey;
use userbase_core::user::UserKey;
use userbase_core::DomainError;

use crate::AppState;

/// The header that names the project of an end-user call.
pub const PUBLISHABLE_KEY_HEADER: &str = "x-userbase-publishable-key";

/// A key (or a token bought with one) calling for a project.
#[derive(Debug, Clone)]
pub struct Principal {
    pub project: Arc<Project>,
    pub key_id: KeyId,
    pub kind: KeyKind,
}

/// An end user acting on their own account.
#[derive(Debug, Clone)]
pub struct EndUser {
    pub project: Arc<Project>,
    pub user: UserKey,
    /// A user-bound key's scopes; `None` for a JWT, which may do all a user may do to their account.
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug)]
pub enum AuthError {
    /// No credential was presented.
    Missing,
    /// A credential was presented but is not a live credential of ours.
    Invalid,
    /// The credential is genuine but may not do this.
    Forbidden,
    /// A user-bound key lacks the scope (named) that the request's method needs.
    MissingScope(&'static str),
    /// The credential could not be checked.
    Internal(DomainError),
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = headers.get(header::AUTHORIZATION).ok_or(AuthError::Missing)?;
    let value = value.to_str().map_err(|_| AuthError::Invalid)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Invalid);
    }
    Ok(token.trim())
}

/// Counts a failure in the metrics and logs it without the credential.
fn failed(state: &AppState, e: AuthError, reason: &'static str) -> AuthError {
    if !matches!(e, AuthError::Internal(_)) {
        state.metrics.auth_failure(reason);
        tracing::info!(reason, "authentication failed");
    }
    e
}

/// Records the key's use off the request path (at most one write a minute per key).
fn touch(state: &AppState, stored: &StoredKey) {
    if state.keys.claim_touch(&stored.key) {
        let (keys, key) = (state.keys.clone(), stored.key.clone());
        tokio::spawn(async move {
            if let Err(e) = keys.touch(&key).await {
                tracing::warn!(error = %e, key.id = %key.id, "could not record key use");
            }
        });
    }
}

/// Verifies a key or access token, of any kind.
async fn stored_key(state: &AppState, token: &str) -> Result<Arc<StoredKey>, AuthError> {
    let found = if token.starts_with("ub_at_") {
        state.keys.verify_access_token(token).await
    } else {
        state.keys.verify(token).await
    };
    let stored = found.map_err(AuthError::Internal)?.ok_or(AuthError::Invalid)?;
    touch(state, &stored);
    Ok(stored)
}

/// Verifies the bearer key (or access token) of a request.
pub async fn bearer_key(state: &AppState, headers: &HeaderMap) -> Result<Principal, AuthError> {
    let token = bearer_token(headers).map_err(|e| failed(state, e, "missing_or_malformed_header"))?;
    let stored = stored_key(state, token).await.map_err(|e| failed(state, e, "invalid_key"))?;
    Ok(Principal { project: stored.project.clone(), key_id: stored.key.id.clone(), kind: stored.key.kind })
}

/// Verifies the bearer key and requires a secret key (or its access token): full admin of its project.
pub async fn secret_key(state: &AppState, headers: &HeaderMap) -> Result<Principal, AuthError> {
    let principal = bearer_key(state, headers).await?;
    if principal.kind != KeyKind::Secret {
        return Err(failed(state, AuthError::Forbidden, "not_a_secret_key"));
    }
    Ok(principal)
}

/// A secret key (or its access token) as bearer together with a publishable key of the same project in the header
/// `publishable_header` (BuiltOn's service account: `Authorization: Bearer <key>` plus `X-Builton-Api-Key`).
/// A missing or unknown publishable key is `Missing`/`Invalid`; one of another project is `Forbidden`.
pub async fn secret_key_with_publishable(
    state: &AppState,
    headers: &HeaderMap,
    publishable_header: &'static str,
) -> Result<Principal, AuthError> {
    let principal = secret_key(state, headers).await?;
    let stored = publishable_key(state, headers, publishable_header).await?;
    if stored.project.id != principal.project.id {
        return Err(failed(state, AuthError::Forbidden, "publishable_key_of_another_project"));
    }
    Ok(principal)
}

/// The live publishable key in the header `name`.
async fn publishable_key(
    state: &AppState,
    headers: &HeaderMap,
    name: &'static str,
) -> Result<Arc<StoredKey>, AuthError> {
    let publishable = headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| failed(state, AuthError::Missing, "missing_publishable_key"))?;
    let stored =
        stored_key(state, publishable.trim()).await.map_err(|e| failed(state, e, "invalid_publishable_key"))?;
    if stored.key.kind != KeyKind::Publishable {
        return Err(failed(state, AuthError::Invalid, "invalid_publishable_key"));
    }
    Ok(stored)
}

/// Who calls a surface that serves both admins and end users on the same routes (BuiltOn).
#[derive(Debug, Clone)]
pub enum Caller {
    /// A secret key, with the project's publishable key.
    Admin(Principal),
    /// An end user (JWT plus publishable key, or a user-bound key whose scopes allow the method).
    EndUser(EndUser),
}

impl Caller {
    pub fn project(&self) -> &Arc<Project> {
        match self {
            Caller::Admin(p) => &p.project,
            Caller::EndUser(u) => &u.project,
        }
    }
}

/// An admin or an end user, told apart by the bearer: a secret key is an admin (see
/// `secret_key_with_publishable`), anything else goes through `end_user_for`.
pub async fn admin_or_end_user(
    state: &AppState,
    headers: &HeaderMap,
    from: EndUserHeaders,
    method: &str,
) -> Result<Caller, AuthError> {
    // A secret key (`ub_sk_`) or its access token (`ub_at_`); user-bound keys and JWTs are end users.
    let is_admin_credential = bearer_token(headers).is_ok_and(|t| t.starts_with("ub_sk_") || t.starts_with("ub_at_"));
    if is_admin_credential {
        return Ok(Caller::Admin(secret_key_with_publishable(state, headers, from.publishable_key).await?));
    }
    Ok(Caller::EndUser(end_user_for(state, headers, from, method).await?))
}

/// Where a surface reads end-user credentials: each surface names its headers, `auth` does the rest.
#[derive(Debug, Clone, Copy)]
pub struct EndUserHeaders {
    /// Names the project of an end-user JWT sent as `Authorization: Bearer` (BuiltOn: `X-Builton-Api-Key`).
    pub publishable_key: &'static str,
    /// Carries a user-bound key (BoltonSea: `X-API-KEY`); `None` reads it from `Authorization: Bearer`.
    pub user_key: Option<&'static str>,
}

impl EndUserHeaders {
    /// v1: a JWT or a user key as bearer, the project's publishable key in `X-Userbase-Publishable-Key`.
    pub const V1: Self = Self { publishable_key: PUBLISHABLE_KEY_HEADER, user_key: None };
}

/// The user a user-bound key acts as; any other live key is genuine but no end user.
async fn user_key(state: &AppState, text: &str) -> Result<EndUser, AuthError> {
    let stored = stored_key(state, text).await.map_err(|e| failed(state, e, "invalid_key"))?;
    match (stored.key.kind, stored.key.user_id) {
        (KeyKind::User, Some(id)) => Ok(EndUser {
            project: stored.project.clone(),
            user: UserKey::Numeric(id),
            scopes: Some(stored.key.scopes.clone()),
        }),
        _ => Err(failed(state, AuthError::Forbidden, "not_an_end_user_credential")),
    }
}

/// An end user: a user-bound key, or a JWT as bearer together with the project's publishable key.
pub async fn end_user(state: &AppState, headers: &HeaderMap, from: EndUserHeaders) -> Result<EndUser, AuthError> {
    if let Some(value) = from.user_key.and_then(|name| headers.get(name)) {
        let text = value.to_str().map_err(|_| failed(state, AuthError::Invalid, "invalid_key"))?;
        return user_key(state, text.trim()).await;
    }
    let token = bearer_token(headers).map_err(|e| failed(state, e, "missing_or_malformed_header"))?;
    if token.starts_with("ub_") {
        return user_key(state, token).await;
    }
    let stored = publishable_key(state, headers, from.publishable_key).await?;
    let subject = state
        .jwt
        .verify(&stored.project.settings.jwt, token)
        .await
        .map_err(|e| failed(state, AuthError::Invalid, e.reason()))?;
    Ok(EndUser { project: stored.project.clone(), user: UserKey::AuthSubject(subject), scopes: None })
}

/// An end user whose credential allows `method`: a JWT may do all a user may do to their own account; a
/// user-bound key only what its scopes allow (see `required_scope`).
pub async fn end_user_for(
    state: &AppState,
    headers: &HeaderMap,
    from: EndUserHeaders,
    method: &str,
) -> Result<EndUser, AuthError> {
    let user = end_user(state, headers, from).await?;
    match &user.scopes {
        Some(scopes) if !scope_allows(scopes, method) => {
            Err(failed(state, AuthError::MissingScope(required_scope(method)), "missing_scope"))
        }
        _ => Ok(user),
    }
}

/// A user-bound key sent in the header `name` (BoltonSea's `X-API-KEY`), whose scopes allow `method`. The
/// header carries nothing else: a secret or publishable key, an access token or a JWT there is no credential
/// of this surface (`Invalid`), and neither is a key whose user was deleted (key verification refuses it).
pub async fn user_key_in_header(
    state: &AppState,
    headers: &HeaderMap,
    name: &'static str,
    method: &str,
) -> Result<EndUser, AuthError> {
    let value = headers.get(name).ok_or_else(|| failed(state, AuthError::Missing, "missing_or_malformed_header"))?;
    let text = value.to_str().map_err(|_| failed(state, AuthError::Invalid, "missing_or_malformed_header"))?.trim();
    if text.is_empty() {
        return Err(failed(state, AuthError::Missing, "missing_or_malformed_header"));
    }
    let stored = stored_key(state, text).await.map_err(|e| failed(state, e, "invalid_key"))?;
    let (KeyKind::User, Some(id)) = (stored.key.kind, stored.key.user_id) else {
        return Err(failed(state, AuthError::Invalid, "not_a_user_key"));
    };
    if !scope_allows(&stored.key.scopes, method) {
        return Err(failed(state, AuthError::MissingScope(required_scope(method)), "missing_scope"));
    }
    Ok(EndUser { project: stored.project.clone(), user: UserKey::Numeric(id), scopes: Some(stored.key.scopes.clone()) })
}
