//! `/v1/me`: an end user reads, updates and deletes their own account, with a JWT (plus the project's
//! publishable key in `X-Userbase-Publishable-Key`) or a user-bound key whose scopes allow the method.
//! Fields only a secret key may write (status, external refs, roles, auth subject, email verification)
//! are read-only here.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use userbase_core::error::FieldError;
use userbase_core::values::MetadataLimits;
use userbase_core::DomainError;

use super::extract::{json_with_etag, V1Json};
use super::user_input::UserInput;
use super::user_view::UserView;
use super::Problem;
use crate::auth::{self, EndUser};
use crate::AppState;

/// An end user whose credential allows the request's method.
pub struct Me(pub EndUser);

impl FromRequestParts<AppState> for Me {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let user = auth::end_user(state, &parts.headers).await?;
        if !user.may(parts.method.as_str()) {
            let scope = match parts.method {
                Method::GET | Method::HEAD => "read",
                Method::POST => "create",
                Method::PUT | Method::PATCH => "update",
                Method::DELETE => "delete",
                _ => "manage",
            };
            state.metrics.auth_failure("missing_scope");
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "Forbidden",
                format!("This key lacks the '{scope}' scope."),
            ));
        }
        Ok(Me(user))
    }
}

pub async fn get_me(State(state): State<AppState>, Me(me): Me) -> Result<Response, Problem> {
    let user = state.users.get(&me.project, &me.user).await?;
    Ok(json_with_etag(StatusCode::OK, &UserView::from(&user), user.version))
}

pub async fn update_me(
    State(state): State<AppState>,
    Me(me): Me,
    V1Json(input): V1Json<UserInput>,
) -> Result<Response, Problem> {
    let patch = input.into_patch().map_err(DomainError::Invalid)?;
    let mut read_only = Vec::new();
    for (sent, field) in [
        (patch.status.is_some(), "status"),
        (patch.external_refs.is_some(), "external_refs"),
        (patch.roles.is_some(), "roles"),
        (!patch.auth_subject.is_keep(), "auth_subject"),
        (patch.email_verified.is_some(), "email_verified"),
    ] {
        if sent {
            read_only.push(FieldError::new(field, "read_only", "Only a secret key may change this field."));
        }
    }
    if !read_only.is_empty() {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "read_only_fields",
            "Forbidden",
            "Some fields are read-only here.",
        )
        .with_errors(read_only));
    }
    let user = state.users.update(&me.project, &me.user, patch, MetadataLimits::V1, None).await?;
    Ok(json_with_etag(StatusCode::OK, &UserView::from(&user), user.version))
}

pub async fn delete_me(State(state): State<AppState>, Me(me): Me) -> Result<Response, Problem> {
    let user = state.users.delete(&me.project, &me.user, None).await?;
    Ok(json_with_etag(StatusCode::OK, &UserView::from(&user), user.version))
}
