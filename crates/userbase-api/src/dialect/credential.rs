//! Credential extractors shared by the dialects. Which credential a route takes is a dialect's choice; who
//! the credential is and what it may do is decided in `auth`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::{self, AuthError, Principal};
use crate::AppState;

/// A caller holding a secret key (or its OAuth2 access token) as `Authorization: Bearer`: full admin of
/// its project.
pub struct SecretKey(pub Principal);

impl FromRequestParts<AppState> for SecretKey {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthError> {
        Ok(SecretKey(auth::secret_key(state, &parts.headers).await?))
    }
}
