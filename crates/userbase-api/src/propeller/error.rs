//! Propeller error envelopes (002.3): `{"error": {"code", "status", "type", "messages", "moreInfo"}}` with
//! the numeric codes and verbatim messages of the contract (typos included), for every failure of the kit
//! and of core.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use userbase_core::error::Conflict;
use userbase_core::DomainError;

use crate::auth::AuthError;
use crate::dialect::{BodyError, DialectError, QueryError};

#[derive(Debug)]
pub struct PropellerError {
    status: StatusCode,
    code: u32,
    kind: &'static str,
    messages: Vec<String>,
}

/// How a user was named in the path, for the messages that repeat it (`User with sourceId [146991] not found`).
#[derive(Debug, Clone)]
pub struct Named {
    pub key: &'static str,
    pub value: String,
}

impl PropellerError {
    pub fn new(status: StatusCode, code: u32, kind: &'static str, messages: Vec<String>) -> Self {
        Self { status, code, kind, messages }
    }

    fn bad(code: u32, kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, kind, vec![message.into()])
    }

    /// The contract's PROPOSED 401 (code 10001 is a placeholder of ours, not a documented code).
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 10001, "Unauthorized", vec!["Invalid or expired access token".into()])
    }

    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self::bad(10005, "InvalidJSONPayload", message)
    }

    pub fn invalid_lookup_key(key: &str) -> Self {
        Self::bad(
            10006,
            "InvalidLookupKey",
            format!("Invalid lookup key [{key}], key must contain one of the following values: [id,sourceId]"),
        )
    }

    /// 10007 with one message per violation (`#: extraneous key [x] is not permitted`).
    pub fn schema(messages: Vec<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 10007, "SchemaValidationException", messages)
    }

    pub fn route_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10008, "NotFound", vec!["Resource not found".into()])
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, 10008, "NotFound", vec!["Method not allowed".into()])
    }

    pub fn pagination(message: impl Into<String>) -> Self {
        Self::bad(10015, "PaginatedResponseException", message)
    }

    pub fn lookup_key_not_found(messages: Vec<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 10016, "LookupKeyNotFound", messages)
    }

    pub fn payload(messages: Vec<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 10017, "PayloadValidationError", messages)
    }

    pub fn user_exists() -> Self {
        Self::bad(70004, "UserExists", "User already exists")
    }

    pub fn multiple_users() -> Self {
        Self::bad(70005, "UserMultipleFound", "Multuple users found. Please provide additional filters")
    }

    pub fn user_not_found(named: &Named) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            70006,
            "UserNotFound",
            vec![format!("User with {} [{}] not found", named.key, named.value)],
        )
    }

    pub fn parent_user_not_found(named: &Named) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            70007,
            "ParentUserNotFound",
            vec![format!("Parent resource [User] with {} [{}] not found", named.key, named.value)],
        )
    }

    pub fn address_not_found(address: &str, named: &Named) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            90006,
            "AddressNotFound",
            vec![format!("Address with id [{address}] not found for [User] with {} [{}]", named.key, named.value)],
        )
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            10007,
            "SchemaValidationException",
            vec![format!("#: the request body is larger than {limit} bytes")],
        )
    }

    /// The first message, for per-item bulk results.
    pub fn message(&self) -> String {
        self.messages.join("; ")
    }
}

impl IntoResponse for PropellerError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "code": self.code,
            "status": self.status.as_u16(),
            "type": self.kind,
            "messages": self.messages,
            "moreInfo": format!("https://www.propel.us/docs/errors/{}", self.code),
        }});
        (self.status, axum::Json(body)).into_response()
    }
}

impl DialectError for PropellerError {
    /// Propeller spells fields in camelCase, some under other names (U2).
    fn wire_field(field: &str) -> Cow<'static, str> {
        Cow::Borrowed(match field {
            "salutation" => "title",
            "first_name" => "firstName",
            "middle_name" => "middleName",
            "last_name" => "lastName",
            "full_name" => "fullName",
            "birth_date" => "dateOfBirth",
            "company_name" => "company",
            "debtor_id" => "debtorId",
            "tax_number" => "taxNumber",
            "coc_number" => "cocNumber",
            "pricelist_amount" => "pricelistAmount",
            "pricelist_percentage" => "pricelistPercentage",
            "locale" => "primaryLanguage",
            "parent_group" => "parent",
            "external_refs" => "sourceId",
            "postal_code" => "postalCode",
            "number_extension" => "numberExtension",
            "is_default" => "isDefault",
            other => return Cow::Owned(other.to_owned()),
        })
    }
}

impl From<DomainError> for PropellerError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { resource: "address" } => {
                Self::new(StatusCode::NOT_FOUND, 90006, "AddressNotFound", vec!["Address does not exist".into()])
            }
            DomainError::NotFound { .. } => {
                Self::new(StatusCode::NOT_FOUND, 70006, "UserNotFound", vec!["User does not exist".into()])
            }
            DomainError::Invalid(errors) => Self::payload(
                Self::wire_fields(errors).into_iter().map(|f| format!("#/{}: {}", f.field, f.message)).collect(),
            ),
            DomainError::InvalidParameter(e) => Self::payload(vec![format!("#/{}: {}", e.field, e.message)]),
            DomainError::Conflict(Conflict::Email | Conflict::ExternalRef | Conflict::AuthSubject) => {
                Self::user_exists()
            }
            DomainError::Conflict(c) => Self::bad(10017, "PayloadValidationError", c.message()),
            DomainError::PreconditionFailed => Self::new(
                StatusCode::CONFLICT,
                10017,
                "PayloadValidationError",
                vec!["The user changed while it was being updated; try again".into()],
            ),
            DomainError::Forbidden => Self::unauthorized(),
            DomainError::QueryTooExpensive => Self::pagination("The query did not finish within the time limit"),
            DomainError::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    10000,
                    "InternalServerError",
                    vec!["An internal error occurred".into()],
                )
            }
        }
    }
}

impl From<BodyError> for PropellerError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => Self::too_large(crate::MAX_BODY_BYTES),
            BodyError::UnsupportedMediaType => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                10005,
                "InvalidJSONPayload",
                vec!["Send the body as application/json".into()],
            ),
            BodyError::Malformed(_) | BodyError::Unreadable => Self::invalid_json("Invalid JSON payload"),
            BodyError::NotAnObject => Self::schema(vec!["#: expected type: JSONObject, found: JSONArray".into()]),
            BodyError::Invalid { path, message } => {
                let at = if path.is_empty() { "#".to_owned() } else { format!("#/{path}") };
                Self::schema(vec![format!("{at}: {message}")])
            }
        }
    }
}

impl From<QueryError> for PropellerError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::Invalid { param: Some(p), .. } if e.message().contains("unknown field") => {
                Self::schema(vec![format!("#: extraneous key [{p}] is not permitted")])
            }
            other => Self::schema(vec![format!("#: {}", other.message())]),
        }
    }
}

impl From<AuthError> for PropellerError {
    fn from(e: AuthError) -> Self {
        match e {
            // A publishable key, a user key or an end-user JWT is no OAuth client: 401 like a bad token.
            AuthError::Missing | AuthError::Invalid | AuthError::Forbidden | AuthError::MissingScope(_) => {
                Self::unauthorized()
            }
            AuthError::Internal(e) => e.into(),
        }
    }
}
