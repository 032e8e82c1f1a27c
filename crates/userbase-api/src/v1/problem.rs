//! v1 errors: RFC 9457 `application/problem+json` with a stable machine `code` and per-field `errors`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use userbase_core::error::{Conflict, FieldError};
use userbase_core::filter::FilterError;
use userbase_core::outbound::OUTBOUND_ADDRESS_REFUSED;
use userbase_core::DomainError;

use crate::auth::AuthError;
use crate::dialect::BodyError;

/// One invalid field of a request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    /// The field's path in the request, e.g. `email` or `addresses[0].city`.
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// A problem document. Its `type` is derived from `code` when it is written.
#[derive(Debug)]
pub struct Problem {
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    pub errors: Vec<ProblemField>,
    /// For a bad filter expression: the character offset of the problem.
    pub position: Option<u32>,
}

/// An RFC 9457 problem document: what went wrong, with a stable machine-readable `code`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub(crate) struct ProblemWire<'a> {
    /// `/problems/<code>`.
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    detail: &'a str,
    /// Stable machine-readable reason, e.g. `validation_failed`, `user_not_found`, `email_taken`.
    code: &'static str,
    /// Per-field errors (validation failures).
    #[serde(skip_serializing_if = "<[ProblemField]>::is_empty")]
    #[schema(value_type = Option<Vec<ProblemField>>)]
    errors: &'a [ProblemField],
    /// For a bad filter expression: the character offset of the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<u32>,
}

impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ProblemWire {
            kind: format!("/problems/{}", self.code),
            title: self.title,
            status: self.status,
            detail: &self.detail,
            code: self.code,
            errors: &self.errors,
            position: self.position,
        }
        .serialize(s)
    }
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self { title, status: status.as_u16(), detail: detail.into(), code, errors: vec![], position: None }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors =
            errors.into_iter().map(|e| ProblemField { field: e.field, code: e.code, message: e.message }).collect();
        self
    }

    pub fn not_found(resource: &'static str) -> Self {
        let (code, detail) = match resource {
            "user" => ("user_not_found", "No such user in this project."),
            "project" => ("project_not_found", "No such project."),
            "key" => ("key_not_found", "No such key."),
            "address" => ("address_not_found", "No such address of this user."),
            "organization" => ("organization_not_found", "No such organization in this project."),
            "record" => ("record_not_found", "No such record of this user."),
            "membership" => ("membership_not_found", "The user is not a member of this organization."),
            _ => ("not_found", "No such resource."),
        };
        Self::new(StatusCode::NOT_FOUND, code, "Not found", detail)
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    pub fn invalid_filter(e: FilterError) -> Self {
        let mut p = Self::bad_request("invalid_filter", format!("The filter is invalid: {e}."))
            .with_errors(vec![FieldError::new("filter", "invalid_filter", e.message.clone())]);
        p.position = Some(u32::try_from(e.position).unwrap_or(u32::MAX));
        p
    }

    pub fn invalid_param(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::bad_request("invalid_parameter", format!("Query parameter '{field}' is invalid: {message}"))
            .with_errors(vec![FieldError::new(field, code, message)])
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let unauthorized = status == StatusCode::UNAUTHORIZED;
        let mut response = (status, axum::Json(self)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<DomainError> for Problem {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { resource } => Problem::not_found(resource),
            DomainError::Invalid(errors) => {
                let detail = match errors.as_slice() {
                    [one] => format!("{}: {}", one.field, one.message),
                    _ => format!("{} fields are invalid.", errors.len()),
                };
                // A setting naming an address the server will not call gets its own code, so a client can
                // tell "fix the value" from "ask the operator" (the field errors carry it too).
                let (code, title) = if errors.iter().all(|e| e.code == OUTBOUND_ADDRESS_REFUSED) {
                    (OUTBOUND_ADDRESS_REFUSED, "Outbound address refused")
                } else {
                    ("validation_failed", "Validation failed")
                };
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, title, detail).with_errors(errors)
            }
            DomainError::InvalidParameter(e) => Problem::invalid_param(&e.field, e.code, e.message),
            DomainError::Conflict(c) => {
                let field = match c {
                    Conflict::Email => "email",
                    Conflict::ExternalRef => "external_refs",
                    Conflict::AuthSubject => "auth_subject",
                    Conflict::ProjectId => "id",
                };
                Problem::new(StatusCode::CONFLICT, c.code(), "Conflict", c.message())
                    .with_errors(vec![FieldError::new(field, c.code(), c.message())])
            }
            DomainError::PreconditionFailed => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "Precondition failed",
                "The resource changed since the version named in If-Match.",
            ),
            DomainError::Forbidden => Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", "Not allowed."),
            // 422, not 503: the server is healthy and the same request would time out again, so retrying it
            // as is does not help; the client narrows the filter (or runs fewer at once).
            DomainError::QueryTooExpensive => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "query_too_expensive",
                "Query too expensive",
                "The query did not finish within the server's time limit; narrow the filter, leave out \
                 include=total, or run fewer such requests at once.",
            ),
            DomainError::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Internal error",
                    "Something went wrong on our side; the request id identifies it in the server's logs.",
                )
            }
        }
    }
}

impl From<BodyError> for Problem {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "Payload too large",
                format!("The request body is over {} bytes.", crate::MAX_BODY_BYTES),
            ),
            BodyError::UnsupportedMediaType => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
                "Send the body as application/json.",
            ),
            BodyError::Malformed(msg) => {
                Problem::bad_request("malformed_json", format!("The body is not valid JSON: {msg}"))
            }
            BodyError::NotAnObject => Problem::bad_request("invalid_body", "The body must be a JSON object.")
                .with_errors(vec![FieldError::new("body", "not_an_object", "The body must be a JSON object.")]),
            BodyError::Invalid { path, message } => {
                let field = if path.is_empty() { "body".to_owned() } else { path };
                let code = if message.starts_with("unknown field") { "unknown_field" } else { "invalid_type" };
                Problem::bad_request("invalid_body", format!("{field}: {message}"))
                    .with_errors(vec![FieldError::new(field, code, message)])
            }
            BodyError::Unreadable => Problem::bad_request("unreadable_body", "The request body could not be read."),
        }
    }
}

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Unauthenticated",
                "Send a key, access token or end-user token as 'Authorization: Bearer <credential>'.",
            ),
            AuthError::Invalid => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Unauthenticated",
                "The key is not valid, or has been revoked or has expired.",
            ),
            AuthError::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                "This credential may not call this endpoint.",
            ),
            AuthError::MissingScope(scope) => Problem::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "Forbidden",
                format!("This key lacks the '{scope}' scope."),
            ),
            AuthError::Internal(e) => e.into(),
        }
    }
}
