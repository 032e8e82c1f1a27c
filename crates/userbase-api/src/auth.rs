//! Authentication: one place turns a credential into a `Principal` (project, credential kind) and decides
//! what it may do. Each surface only says which credentials it accepts and renders failures its own way.

use axum::http::{header, HeaderMap};
use userbase_core::api_key::{KeyId, KeyKind};
use userbase_core::project::Project;
use userbase_core::DomainError;

use crate::AppState;

/// Who is calling, for which project.
#[derive(Debug, Clone)]
pub struct Principal {
    pub project: Project,
    pub key_id: KeyId,
    pub kind: KeyKind,
}

#[derive(Debug)]
pub enum AuthError {
    /// No credential was presented.
    Missing,
    /// A credential was presented but is not a live credential of ours.
    Invalid,
    /// The credential is genuine but may not do this.
    Forbidden,
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

/// Verifies the bearer key of a request.
pub async fn bearer_key(state: &AppState, headers: &HeaderMap) -> Result<Principal, AuthError> {
    let token = bearer_token(headers)?;
    let stored = state.keys.verify(token).await.map_err(AuthError::Internal)?;
    let stored = stored.ok_or_else(|| {
        tracing::info!("authentication failed: unknown, revoked or expired key");
        AuthError::Invalid
    })?;
    Ok(Principal { project: stored.project, key_id: stored.key.id, kind: stored.key.kind })
}

/// Verifies the bearer key and requires it to be a secret key (full admin of its project).
pub async fn secret_key(state: &AppState, headers: &HeaderMap) -> Result<Principal, AuthError> {
    let principal = bearer_key(state, headers).await?;
    if principal.kind != KeyKind::Secret {
        return Err(AuthError::Forbidden);
    }
    Ok(principal)
}
