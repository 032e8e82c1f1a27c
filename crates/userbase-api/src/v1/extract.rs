//! v1 extractors: credentials, JSON bodies, query strings and `If-Match`, each failing with a `Problem`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use userbase_core::DomainError;

use super::Problem;
use crate::auth::{self, Principal};
use crate::body;
use crate::AppState;

/// A caller holding a secret key: full admin of its project.
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        Ok(Admin(auth::secret_key(state, &parts.headers).await?))
    }
}

/// A JSON body of type `T` (which should deny unknown fields).
pub struct V1Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for V1Json<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Problem> {
        body::check_content_type(req.headers())?;
        let bytes = Bytes::from_request(req, state).await;
        Ok(V1Json(body::parse_json(bytes)?))
    }
}

/// A query string of type `T` (which should deny unknown fields).
pub struct V1Query<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for V1Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if parts.uri.query().is_some_and(body::query_has_nul) {
            return Err(Problem::bad_request("invalid_parameter", body::NUL_MESSAGE));
        }
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(q)) => Ok(V1Query(q)),
            Err(e) => Err(Problem::bad_request("invalid_parameter", e.body_text())),
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
