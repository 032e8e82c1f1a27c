//! v1 extractors: credentials, JSON bodies, query strings and `If-Match`, each failing with a `Problem`.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use userbase_core::DomainError;
use userbase_core::FieldError;

use super::Problem;
use crate::auth::Principal;
use crate::dialect::{self, DialectError, QueryError};
use crate::AppState;

/// A caller holding a secret key: full admin of its project.
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let dialect::SecretKey(principal) = dialect::SecretKey::from_request_parts(parts, state).await?;
        Ok(Admin(principal))
    }
}

/// A JSON object body of type `T` (which should deny unknown fields).
#[derive(FromRequest)]
#[from_request(via(dialect::Json), rejection(Problem))]
pub struct V1Json<T>(pub T);

/// A query string of type `T` (which should deny unknown fields).
#[derive(FromRequestParts)]
#[from_request(via(dialect::Query), rejection(Problem))]
pub struct V1Query<T>(pub T);

impl DialectError for Problem {}

impl From<QueryError> for Problem {
    fn from(e: QueryError) -> Self {
        match &e {
            QueryError::Invalid { param: Some(param), .. } => Problem::bad_request("invalid_parameter", e.message())
                .with_errors(vec![FieldError::new(param.clone(), "invalid", e.message())]),
            _ => Problem::bad_request("invalid_parameter", e.message()),
        }
    }
}

/// The version named by `If-Match`, if any. `*` matches any version; an ETag we never issued matches none.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let value = value.to_str().unwrap_or("").trim();
    if value == "*" {
        return Ok(None);
    }
    let version = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).and_then(|v| v.parse::<i64>().ok());
    // An unknown ETag can never match: -1 is no version.
    Ok(Some(version.unwrap_or(-1)))
}

/// The strong ETag of a resource version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A JSON response carrying the strong ETag of the resource version it shows.
pub fn json_with_etag<T: Serialize>(status: StatusCode, body: &T, version: i64) -> Response {
    let bytes = match serde_json::to_vec(body) {
        Ok(b) => b,
        Err(e) => return Problem::from(DomainError::Internal(e.to_string())).into_response(),
    };
    let mut response = (status, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(tag) = HeaderValue::from_str(&etag(version)) {
        headers.insert(header::ETAG, tag);
    }
    response
}
