//! Typed errors of the domain. Each API dialect renders them in its own documented shape.

use std::fmt;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field in the canonical model, e.g. `email` or `metadata.plan`.
    pub field: String,
    /// Stable machine code, e.g. `invalid_email`.
    pub code: &'static str,
    /// Human-readable explanation, safe to show to the caller (never echoes secrets).
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// What a uniqueness rule protects; tells a dialect which conflict to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Another live user of the project has this email (case-insensitively).
    Email,
    /// Another live user of the project has this `(source, source_id)` external reference.
    ExternalRef,
    /// Another live user of the project has this `auth_subject`.
    AuthSubject,
    /// A project with this id exists already.
    ProjectId,
}

impl Conflict {
    pub fn code(self) -> &'static str {
        match self {
            Conflict::Email => "email_taken",
            Conflict::ExternalRef => "external_ref_taken",
            Conflict::AuthSubject => "auth_subject_taken",
            Conflict::ProjectId => "project_exists",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Conflict::Email => "Another user of this project already has this email address.",
            Conflict::ExternalRef => "Another user of this project already has this external reference.",
            Conflict::AuthSubject => "Another user of this project already has this auth subject.",
            Conflict::ProjectId => "A project with this id already exists.",
        }
    }
}

/// Everything a service call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{resource} not found")]
    NotFound { resource: &'static str },
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// A query parameter names nothing usable: a cursor of no item, a cursor of another sort.
    #[error("invalid parameter: {0}")]
    InvalidParameter(FieldError),
    #[error("conflict: {}", .0.code())]
    Conflict(Conflict),
    #[error("the resource changed since it was read")]
    PreconditionFailed,
    #[error("forbidden")]
    Forbidden,
    /// A read (a filter, a count) did not finish within the server's time bound: a client error, since the same
    /// request would fail again; a narrower filter or fewer such requests at once succeed.
    #[error("the query took longer than the server allows")]
    QueryTooExpensive,
    /// A failure of the storage layer or another dependency; details are logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn user_not_found() -> Self {
        DomainError::NotFound { resource: "user" }
    }
}

/// Collects field errors so that a caller sees every problem of a request at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Keeps the value of `r`, or records its error and gives `None`.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded, else every recorded error.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}
