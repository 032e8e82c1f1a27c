//! Query strings, parsed strictly into a type that denies unknown fields: unknown and ill-typed parameters
//! are errors, never ignored, and a NUL character (which PostgreSQL cannot store) is refused up front.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::NUL_MESSAGE;

#[derive(Debug)]
pub enum QueryError {
    /// A parameter holds the NUL character (`%00`).
    Nul,
    /// A parameter is given with no value (`?limit=`); only dialects that refuse those see this.
    Empty { param: String },
    /// Unknown parameter, or a value of the wrong type. `param` names it when the parser says which.
    Invalid { param: Option<String>, message: String },
}

impl QueryError {
    /// The message to show a client.
    pub fn message(&self) -> String {
        match self {
            QueryError::Nul => NUL_MESSAGE.to_owned(),
            QueryError::Empty { param } => format!("Parameter {param} cannot be empty."),
            QueryError::Invalid { message, .. } => format!("Failed to deserialize query string: {message}"),
        }
    }
}

/// Whether a query string carries a NUL character (`%00`).
fn has_nul(raw: &str) -> bool {
    raw.as_bytes().windows(3).any(|w| w == b"%00") || raw.contains('\0')
}

/// Parses a raw query string (absent = empty) into `T`.
pub fn parse_query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, QueryError> {
    let raw = raw.unwrap_or("");
    if has_nul(raw) {
        return Err(QueryError::Nul);
    }
    serde_urlencoded::from_str(raw).map_err(|e| {
        let message = e.to_string();
        // serde names the offending field in backquotes: "unknown field `x`, expected ...".
        let param = message.split('`').nth(1).map(str::to_owned);
        QueryError::Invalid { param, message }
    })
}

/// The first parameter given without a value, if any.
pub fn empty_param(raw: Option<&str>) -> Option<&str> {
    raw?.split('&').find(|pair| pair.ends_with('=')).map(|p| p.trim_end_matches('='))
}

/// A query string decoded into `T`; a dialect wraps it to render failures its own way.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = QueryError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, QueryError> {
        parse_query(parts.uri.query()).map(Query)
    }
}

/// A query string decoded into `T`, where a parameter given without a value is an error too (Gigs).
pub struct QueryNoEmpty<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryNoEmpty<T> {
    type Rejection = QueryError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, QueryError> {
        let raw = parts.uri.query();
        if has_nul(raw.unwrap_or("")) {
            return Err(QueryError::Nul);
        }
        if let Some(param) = empty_param(raw) {
            return Err(QueryError::Empty { param: param.to_owned() });
        }
        parse_query(raw).map(QueryNoEmpty)
    }
}

/// A query string without parameters: any parameter is unknown.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}
