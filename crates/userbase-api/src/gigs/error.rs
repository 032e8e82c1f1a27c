//! Gigs error objects: `{"object":"error","type":...,"message":...}` plus optional `code` and `details`,
//! with the statuses of the Gigs contract (001.4): 400 malformed, 401 unauthenticated, 403
//! permissionDenied, 404 notFound, 409 conflict, 422 invalid.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use userbase_core::error::{Conflict, FieldError};
use userbase_core::DomainError;

use crate::auth::AuthError;
use crate::dialect::{BodyError, DialectError, QueryError};

#[derive(Debug, Serialize)]
pub struct PropertyErrorDetail {
    object: &'static str,
    code: &'static str,
    message: String,
    property: String,
}

#[derive(Debug, Serialize)]
pub struct GigsError {
    #[serde(skip)]
    status: StatusCode,
    object: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<PropertyErrorDetail>,
}

impl GigsError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, object: "error", kind, code: None, message: message.into(), details: Vec::new() }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "Invalid authorization token")
    }

    pub fn permission_denied() -> Self {
        Self::new(StatusCode::FORBIDDEN, "permissionDenied", "The API key does not grant access to this project.")
    }

    pub fn not_found(message: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "notFound", message)
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    /// 422 `invalid`, naming the offending properties.
    pub fn invalid(message: impl Into<String>, errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message);
        e.details = errors
            .into_iter()
            .map(|f| PropertyErrorDetail {
                object: "propertyErrorDetail",
                code: f.code,
                message: f.message,
                property: f.field,
            })
            .collect();
        e
    }

    /// 422 `invalid` for one property.
    pub fn invalid_property(property: &str, code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::invalid(message.clone(), vec![FieldError::new(property, code, message)])
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }
}

impl IntoResponse for GigsError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self)).into_response()
    }
}

impl DialectError for GigsError {
    /// Gigs spells properties in camelCase; domain field names are snake_case.
    fn wire_field(field: &str) -> Cow<'static, str> {
        Cow::Borrowed(match field {
            "full_name" => "fullName",
            "locale" => "preferredLocale",
            "email_verified" => "emailVerified",
            "postal_code" => "postalCode",
            "street" => "line1",
            "building" => "line2",
            "region" => "state",
            other => return Cow::Owned(other.to_owned()),
        })
    }
}

impl From<DomainError> for GigsError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { resource: "address" } => GigsError::not_found("Address not found."),
            DomainError::NotFound { .. } => GigsError::not_found("User not found."),
            DomainError::Invalid(errors) => {
                let errors = Self::wire_fields(errors);
                let message = match errors.as_slice() {
                    [one] => format!("Invalid value for property {}: {}", one.field, one.message),
                    _ => "Invalid values for several properties.".to_owned(),
                };
                GigsError::invalid(message, errors)
            }
            DomainError::InvalidParameter(e) => GigsError::invalid_property(&e.field, "propertyInvalid", e.message),
            DomainError::Conflict(Conflict::Email) => {
                GigsError::new(StatusCode::CONFLICT, "conflict", "A user with this email already exists.")
                    .with_code("userAlreadyExists")
            }
            DomainError::Conflict(c) => GigsError::new(StatusCode::CONFLICT, "conflict", c.message()),
            DomainError::PreconditionFailed => {
                GigsError::new(StatusCode::CONFLICT, "conflict", "The user changed while it was being updated.")
            }
            DomainError::Forbidden => GigsError::permission_denied(),
            DomainError::QueryTooExpensive => GigsError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "The query did not finish within the server's time limit; narrow it or run fewer at once.",
            )
            .with_code("queryTooExpensive"),
            DomainError::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                GigsError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "An internal error occurred.")
            }
        }
    }
}

impl From<BodyError> for GigsError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => {
                GigsError::new(StatusCode::PAYLOAD_TOO_LARGE, "malformed", "The request body is too large.")
            }
            BodyError::UnsupportedMediaType => {
                GigsError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "malformed", "Send the body as application/json.")
            }
            BodyError::NotAnObject => GigsError::malformed("The request body must be a JSON object."),
            BodyError::Malformed(msg) => GigsError::malformed(format!("The request body is not valid JSON: {msg}")),
            BodyError::Invalid { path, message } => {
                let property = if path.is_empty() { "body".to_owned() } else { path };
                let code = if message.starts_with("unknown field") { "propertyUnknown" } else { "propertyInvalid" };
                GigsError::invalid_property(&property, code, message)
            }
            BodyError::Unreadable => GigsError::malformed("The request body could not be read."),
        }
    }
}

impl From<QueryError> for GigsError {
    fn from(e: QueryError) -> Self {
        let property = match &e {
            QueryError::Nul => "query".to_owned(),
            QueryError::Empty { param } => param.clone(),
            QueryError::Invalid { param, .. } => param.clone().unwrap_or_else(|| "query".to_owned()),
        };
        let message = match &e {
            QueryError::Invalid { message, .. } => format!("Invalid query parameter: {message}"),
            _ => e.message(),
        };
        GigsError::invalid_property(&property, "propertyInvalid", message)
    }
}

impl From<AuthError> for GigsError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing | AuthError::Invalid => GigsError::unauthenticated(),
            AuthError::Forbidden | AuthError::MissingScope(_) => GigsError::permission_denied(),
            AuthError::Internal(e) => e.into(),
        }
    }
}
