//! BoltonSea errors in the Spring Boot default shape (dialect-boltonsea.md 003.4):
//! `{"timestamp","status","error","message","path"}`, plus `errors` (each invalid field with its message)
//! when fields are at fault. Statuses: 400 invalid input, 401 no usable key, 403 a missing access flag or an
//! organization the user is not a member of, 404, 405, 409 a taken email or `other_id`, 415.
//!
//! The path is the request's, under the mount point (`/users/email/x%40y.com`, as the vendor would show it):
//! an error is rendered where it arises without it, and `with_request_path` adds it on the way out.

use std::borrow::Cow;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use userbase_core::error::{Conflict, FieldError};
use userbase_core::time_util::now_utc;
use userbase_core::DomainError;

use super::user_view::iso_millis;
use crate::auth::AuthError;
use crate::dialect::{BodyError, DialectError, QueryError};

/// One invalid field, as listed in `errors`.
#[derive(Debug, Clone, Serialize)]
pub struct InvalidField {
    field: String,
    message: String,
}

#[derive(Debug, Clone)]
pub struct BoltonSeaError {
    status: StatusCode,
    message: String,
    errors: Vec<InvalidField>,
}

#[derive(Serialize)]
struct Wire<'a> {
    timestamp: String,
    status: u16,
    error: &'a str,
    message: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "<[InvalidField]>::is_empty")]
    errors: &'a [InvalidField],
}

impl BoltonSeaError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), errors: Vec::new() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "Request method not supported for this path")
    }

    /// 400 naming every invalid field, in the message and in `errors`.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        let errors = Self::wire_fields(errors);
        let named: Vec<String> = errors.iter().map(|f| format!("{} ({})", f.field, f.message)).collect();
        let message = match named.as_slice() {
            [one] => format!("Invalid field: {one}"),
            _ => format!("Invalid fields: {}", named.join("; ")),
        };
        let mut e = Self::bad_request(message);
        e.errors = errors.into_iter().map(|f| InvalidField { field: f.field, message: f.message }).collect();
        e
    }

    /// The response for a request to `path`.
    fn render(&self, path: &str) -> Response {
        let wire = Wire {
            timestamp: iso_millis(now_utc()),
            status: self.status.as_u16(),
            error: self.status.canonical_reason().unwrap_or(""),
            message: &self.message,
            path,
            errors: &self.errors,
        };
        (self.status, axum::Json(wire)).into_response()
    }
}

impl IntoResponse for BoltonSeaError {
    /// Complete but for the path, which `with_request_path` fills in from the error kept in the extensions.
    fn into_response(self) -> Response {
        let mut response = self.render("");
        response.extensions_mut().insert(self);
        response
    }
}

/// Renders a BoltonSea error again with the path of the request that caused it.
pub async fn with_request_path(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<BoltonSeaError>() {
        Some(error) => error.render(&path),
        None => response,
    }
}

impl DialectError for BoltonSeaError {
    /// BoltonSea's names for canonical fields.
    fn wire_field(field: &str) -> Cow<'static, str> {
        Cow::Borrowed(match field {
            "country" => "country_id",
            f if f.starts_with("other_id") => "other_id",
            other => return Cow::Owned(other.to_owned()),
        })
    }
}

impl From<DomainError> for BoltonSeaError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { resource: "organization" } => Self::not_found("Organization not found"),
            DomainError::NotFound { resource: "user" } => Self::not_found("User not found"),
            DomainError::NotFound { .. } => Self::not_found("Not found"),
            // Making an organization the default account of a user who does not belong to it.
            DomainError::Invalid(errors) if errors.iter().any(|f| f.code == "not_a_member") => {
                Self::new(StatusCode::FORBIDDEN, "The user is not a member of this organization")
            }
            DomainError::Invalid(errors) => Self::invalid_fields(errors),
            DomainError::InvalidParameter(e) => Self::invalid_fields(vec![e]),
            DomainError::Conflict(Conflict::Email) => {
                Self::new(StatusCode::CONFLICT, "A user with this email address already exists")
            }
            DomainError::Conflict(Conflict::ExternalRef) => {
                Self::new(StatusCode::CONFLICT, "A user with this other_id already exists")
            }
            DomainError::Conflict(c) => Self::new(StatusCode::CONFLICT, c.message()),
            DomainError::PreconditionFailed => {
                Self::new(StatusCode::CONFLICT, "The user changed while it was being updated; try again")
            }
            DomainError::Forbidden => Self::new(StatusCode::FORBIDDEN, "Access denied"),
            DomainError::QueryTooExpensive => {
                Self::bad_request("The query did not finish within the server's time limit")
            }
            DomainError::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "An internal error occurred")
            }
        }
    }
}

impl From<BodyError> for BoltonSeaError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => {
                Self::bad_request(format!("The request body is larger than {} bytes", crate::MAX_BODY_BYTES))
            }
            BodyError::UnsupportedMediaType => {
                Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json (UTF-8)")
            }
            BodyError::NotAnObject => Self::bad_request("The request body must be a JSON object"),
            BodyError::Malformed(msg) => Self::bad_request(format!("Malformed JSON request: {msg}")),
            BodyError::Invalid { path, message } if path.is_empty() => {
                Self::bad_request(format!("Invalid request body: {message}"))
            }
            BodyError::Invalid { path, message } => {
                Self::invalid_fields(vec![FieldError::new(path, "invalid", message)])
            }
            BodyError::Unreadable => Self::bad_request("The request body could not be read"),
        }
    }
}

impl From<QueryError> for BoltonSeaError {
    fn from(e: QueryError) -> Self {
        Self::bad_request(e.message())
    }
}

impl From<AuthError> for BoltonSeaError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing => Self::new(StatusCode::UNAUTHORIZED, "An X-API-KEY header is required"),
            AuthError::Invalid | AuthError::Forbidden => {
                Self::new(StatusCode::UNAUTHORIZED, "The X-API-KEY is not a valid user API key")
            }
            AuthError::MissingScope(scope) => {
                Self::new(StatusCode::FORBIDDEN, format!("The API key lacks the '{scope}' access this request needs"))
            }
            AuthError::Internal(e) => e.into(),
        }
    }
}
