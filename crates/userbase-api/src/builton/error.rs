//! BuiltOn error bodies (B1): `{"code", "message", "description", "error": {"type", "exception_description",
//! "params"}}`, with BuiltOn's statuses and types: 400 `ValidationError` and `FieldDoesNotExist`, 401
//! `AuthorizationError`, 404 `DoesNotExist`; for what B1 names by status only: 403 `AuthorizationError`,
//! 500 `InternalError`.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use userbase_core::error::{Conflict, FieldError};
use userbase_core::DomainError;

use crate::auth::AuthError;
use crate::dialect::{BodyError, DialectError, QueryError};

#[derive(Debug, Serialize)]
struct Detail {
    #[serde(rename = "type")]
    kind: &'static str,
    exception_description: String,
    params: String,
}

#[derive(Debug, Serialize)]
pub struct BuiltonError {
    #[serde(skip)]
    status: StatusCode,
    code: u16,
    message: String,
    description: String,
    error: Detail,
}

impl BuiltonError {
    fn new(status: StatusCode, kind: &'static str, message: &str, exception: String, params: String) -> Self {
        Self {
            status,
            code: status.as_u16(),
            message: message.to_owned(),
            description: exception.clone(),
            error: Detail { kind, exception_description: exception, params },
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AuthorizationError",
            "Authorization failed.",
            "A valid X-Builton-Api-Key and Authorization: Bearer token are required.".to_owned(),
            String::new(),
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "AuthorizationError",
            "Permission denied.",
            "The user does not have the right permissions for this action.".to_owned(),
            String::new(),
        )
    }

    /// 404 for the user named `id` in the path (an id the caller sent, shown back as BuiltOn does).
    pub fn user_not_found(id: &str) -> Self {
        let id: String = id.chars().take(64).collect();
        let exception = if id.is_empty() {
            "the User does not exist".to_owned()
        } else {
            format!("the User with id: '{id}' does not exist")
        };
        Self::new(StatusCode::NOT_FOUND, "DoesNotExist", "Getting user failed.", exception, id)
    }

    /// This error, naming the user `id` when it says a user does not exist.
    pub fn naming_user(self, id: &str) -> Self {
        if self.status == StatusCode::NOT_FOUND && self.message == "Getting user failed." {
            Self::user_not_found(id)
        } else {
            self
        }
    }

    pub fn route_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "DoesNotExist", "Not found.", "No such resource.".to_owned(), String::new())
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "ValidationError",
            "Method not allowed.",
            "The resource does not allow this method.".to_owned(),
            String::new(),
        )
    }

    /// 400 `ValidationError` about `params` (a field or parameter name).
    pub fn validation(params: &str, exception: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", "Validation failed.", exception.into(), params.to_owned())
    }

    /// 400 `FieldDoesNotExist`: a body names a field the user has not.
    pub fn field_does_not_exist(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "FieldDoesNotExist",
            "Validation failed.",
            format!("The field \"{field}\" does not exist on the document \"User\""),
            field.to_owned(),
        )
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "Internal error.",
            "An internal error occurred.".to_owned(),
            String::new(),
        )
    }

    fn fields(errors: Vec<FieldError>) -> Self {
        let errors = Self::wire_fields(errors);
        let params = errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(",");
        let exception = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        Self::validation(&params, exception)
    }
}

impl IntoResponse for BuiltonError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self)).into_response()
    }
}

impl DialectError for BuiltonError {
    /// BuiltOn's names for the canonical fields it shows under another name.
    fn wire_field(field: &str) -> Cow<'static, str> {
        Cow::Borrowed(match field {
            "mobile" => "mobile_phone_number",
            "image_ref" => "image",
            "default_payment_method_ref" => "default_payment_method",
            "auth_subject" => "auth_id",
            "postal_code" => "zip_code",
            "street" => "street_name",
            "region" => "state",
            "company" => "organization_name",
            other => return Cow::Owned(other.to_owned()),
        })
    }
}

impl From<DomainError> for BuiltonError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { resource: "user" } => Self::user_not_found(""),
            DomainError::NotFound { resource } => Self::new(
                StatusCode::NOT_FOUND,
                "DoesNotExist",
                "Not found.",
                format!("the {resource} does not exist"),
                String::new(),
            ),
            DomainError::Invalid(errors) => Self::fields(errors),
            DomainError::InvalidParameter(e) => Self::fields(vec![e]),
            // Emails are unique per project by default (decisions.md); BuiltOn reports it as invalid input.
            DomainError::Conflict(Conflict::Email) => {
                Self::validation("email", "Another user of this company already has this email address.")
            }
            DomainError::Conflict(c) => Self::validation(c.code(), c.message()),
            DomainError::PreconditionFailed => Self::new(
                StatusCode::CONFLICT,
                "ValidationError",
                "Update failed.",
                "The user changed while it was being updated.".to_owned(),
                String::new(),
            ),
            DomainError::Forbidden => Self::forbidden(),
            DomainError::QueryTooExpensive => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "QueryTooExpensive",
                "The query took too long.",
                "The query did not finish within the server's time limit; narrow it or run fewer at once.".to_owned(),
                String::new(),
            ),
            DomainError::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                Self::internal()
            }
        }
    }
}

/// The field serde names in "unknown field `x`, expected ...".
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

impl From<BodyError> for BuiltonError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => {
                let mut e = Self::validation("body", "The request body is too large.");
                e.status = StatusCode::PAYLOAD_TOO_LARGE;
                e.code = e.status.as_u16();
                e
            }
            BodyError::UnsupportedMediaType => {
                let mut e = Self::validation("body", "Send the body as application/json.");
                e.status = StatusCode::UNSUPPORTED_MEDIA_TYPE;
                e.code = e.status.as_u16();
                e
            }
            BodyError::NotAnObject => Self::validation("body", "The request body must be a JSON object."),
            BodyError::Malformed(msg) => Self::validation("body", format!("The request body is not valid JSON: {msg}")),
            BodyError::Invalid { path, message } => match unknown_field(&message) {
                Some(field) => Self::field_does_not_exist(field),
                None => Self::validation(if path.is_empty() { "body" } else { &path }, message),
            },
            BodyError::Unreadable => Self::validation("body", "The request body could not be read."),
        }
    }
}

impl From<QueryError> for BuiltonError {
    fn from(e: QueryError) -> Self {
        let param = match &e {
            QueryError::Invalid { param: Some(p), .. } | QueryError::Empty { param: p } => p.clone(),
            _ => "query".to_owned(),
        };
        Self::validation(&param, e.message())
    }
}

impl From<AuthError> for BuiltonError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing | AuthError::Invalid => Self::unauthorized(),
            AuthError::Forbidden | AuthError::MissingScope(_) => Self::forbidden(),
            AuthError::Internal(e) => e.into(),
        }
    }
}
