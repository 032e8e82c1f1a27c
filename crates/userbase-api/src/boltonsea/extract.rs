//! BoltonSea extractors: the key's user first (`X-API-KEY`, whose access flags must allow the method), then
//! the body; each failure in BoltonSea's error shape.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;

use super::error::BoltonSeaError;
use super::API_KEY_HEADER;
use crate::auth::{self, EndUser};
use crate::dialect;
use crate::AppState;

/// A JSON object body of type `T`.
#[derive(FromRequest)]
#[from_request(via(dialect::Json), rejection(BoltonSeaError))]
pub struct BoltonSeaJson<T>(pub T);

/// The user an `X-API-KEY` acts as ("the currently logged-in user"), when the key's flags allow the method.
pub struct KeyUser(pub EndUser);

impl FromRequestParts<AppState> for KeyUser {
    type Rejection = BoltonSeaError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, BoltonSeaError> {
        let method = parts.method.as_str();
        Ok(KeyUser(auth::user_key_in_header(state, &parts.headers, API_KEY_HEADER, method).await?))
    }
}

/// The `{email}` of `/users/email/{email}`, percent-decoded (checked as an email by the handler).
pub struct EmailPath(pub String);

impl FromRequestParts<AppState> for EmailPath {
    type Rejection = BoltonSeaError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, BoltonSeaError> {
        let axum::extract::Path(email) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| BoltonSeaError::bad_request("The email in the path is not valid percent-encoded UTF-8"))?;
        Ok(EmailPath(email))
    }
}
