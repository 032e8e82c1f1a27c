//! `/v1/me`: an end user reads, updates and deletes their own account, with a JWT (plus the project's
//! publishable key in `X-Userbase-Publishable-Key`) or a user-bound key whose scopes allow the method.
//! Fields only a secret key may write (status, external refs, roles, auth subject, email verification)
//! are read-only here.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use userbase_core::error::FieldError;
use userbase_core::values::MetadataLimits;
use userbase_core::DomainError;

use super::extract::{json_with_etag, V1Json};
use super::problem::ProblemWire;
use super::user_input::UserInput;
use super::user_view::UserView;
use super::Problem;
use crate::auth::{self, EndUser, EndUserHeaders};
use crate::AppState;

/// An end user whose credential allows the request's method.
pub struct Me(pub EndUser);

impl FromRequestParts<AppState> for Me {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        Ok(Me(auth::end_user_for(state, &parts.headers, EndUserHeaders::V1, parts.method.as_str()).await?))
    }
}

/// The signed-in end user's own account.
#[utoipa::path(get, path = "/me", tag = "me", security(("end_user" = [], "publishable_key" = []), ("end_user" = [])),
    responses((status = 200, description = "The user", body = UserView, headers(("ETag" = String, description = "The version, for If-Match")))))]
pub async fn get_me(State(state): State<AppState>, Me(me): Me) -> Result<Response, Problem> {
    let user = state.users.get(&me.project, &me.user).await?;
    Ok(json_with_etag(StatusCode::OK, &UserView::from(&user), user.version))
}

/// Update the signed-in end user's own account (admin-only fields are read-only here: 403).
#[utoipa::path(patch, path = "/me", tag = "me", security(("end_user" = [], "publishable_key" = []), ("end_user" = [])), request_body = UserInput,
    responses((status = 200, description = "The updated user", body = UserView, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 409, description = "The email or login is taken", body = ProblemWire, content_type = "application/problem+json")))]
pub async fn update_me(
    State(state): State<AppState>,
    Me(me): Me,
    V1Json(input): V1Json<UserInput>,
) -> Result<Response, Problem> {
    let patch = input.into_patch().map_err(DomainError::Invalid)?;
    let read_only: Vec<FieldError> = patch
        .admin_only_fields()
        .into_iter()
        .map(|field| FieldError::new(field, "read_only", "Only a secret key may change this field."))
        .collect();
    if !read_only.is_empty() {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "read_only_fields",
            "Forbidden",
            "Some fields are read-only here.",
        )
        .with_errors(read_only));
    }
    let user = state.users.update(&me.project, &me.user, patch, MetadataLimits::DEFAULT, None).await?;
    Ok(json_with_etag(StatusCode::OK, &UserView::from(&user), user.version))
}

/// Delete the signed-in end user's own account (soft).
#[utoipa::path(delete, path = "/me", tag = "me", security(("end_user" = [], "publishable_key" = []), ("end_user" = [])),
    responses((status = 200, description = "The deleted user", body = UserView, headers(("ETag" = String, description = "The version, for If-Match")))))]
pub async fn delete_me(State(state): State<AppState>, Me(me): Me) -> Result<Response, Problem> {
    let user = state.users.delete(&me.project, &me.user, None).await?;
    Ok(json_with_etag(StatusCode::OK, &UserView::from(&user), user.version))
}
