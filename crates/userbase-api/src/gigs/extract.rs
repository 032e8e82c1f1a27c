//! Gigs request handling in the documented order (001.2): credentials first, then the path, then the
//! query or body; each failure in the Gigs error shape.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

use super::error::GigsError;
use crate::auth::{self, Principal};
use crate::body;
use crate::AppState;

/// A secret key of the project named in the path; another project's key gets 403.
pub async fn authorize(state: &AppState, headers: &HeaderMap, project: &str) -> Result<Principal, GigsError> {
    let principal = auth::secret_key(state, headers).await?;
    if principal.project.id.as_str() != project {
        return Err(GigsError::permission_denied());
    }
    Ok(principal)
}

/// A strict query string: unknown, empty or ill-typed parameters are errors, never ignored.
pub fn query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, GigsError> {
    let raw = raw.unwrap_or("");
    if body::query_has_nul(raw) {
        return Err(GigsError::invalid_property("query", "propertyInvalid", body::NUL_MESSAGE));
    }
    if raw.split('&').any(|pair| pair.ends_with('=')) {
        let name = raw.split('&').find(|p| p.ends_with('=')).unwrap_or("").trim_end_matches('=');
        return Err(GigsError::invalid_property(name, "propertyInvalid", format!("Parameter {name} cannot be empty.")));
    }
    serde_urlencoded::from_str(raw).map_err(|e| {
        let message = e.to_string();
        let property = message.split('`').nth(1).unwrap_or("query").to_owned();
        GigsError::invalid_property(&property, "propertyInvalid", format!("Invalid query parameter: {message}"))
    })
}

/// A JSON body of type `T`.
pub fn json<T: DeserializeOwned>(headers: &HeaderMap, bytes: Result<Bytes, BytesRejection>) -> Result<T, GigsError> {
    body::check_content_type(headers)?;
    Ok(body::parse_json(bytes)?)
}
