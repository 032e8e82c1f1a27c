//! `/users`: the key's own user ("the currently logged-in user": read, replace, delete, default account),
//! creating users, and finding a user of the key's project by email.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use userbase_core::organization::{DefaultOrganization, OrganizationKey};
use userbase_core::project::Project;
use userbase_core::user::User;
use userbase_core::values::Email;

use super::error::BoltonSeaError;
use super::extract::{BoltonSeaJson, EmailPath, KeyUser};
use super::user_input::{DefaultAccountBody, UserBody};
use super::user_view::BoltonSeaUser;
use super::{DEFAULT_ORGANIZATION_NAME, LIMITS, OWNER_ROLE};
use crate::AppState;

/// The user as BoltonSea shows it, with its default account and role there.
async fn user_response(
    state: &AppState,
    project: &Project,
    user: &User,
    status: StatusCode,
) -> Result<Response, BoltonSeaError> {
    let default = state.organizations.default_of(project, user).await?;
    Ok((status, axum::Json(BoltonSeaUser::new(user, default.as_ref()))).into_response())
}

/// `GET /users`, `GET /users/me`.
pub async fn get_me(State(state): State<AppState>, KeyUser(me): KeyUser) -> Result<Response, BoltonSeaError> {
    let user = state.users.get(&me.project, &me.user).await?;
    user_response(&state, &me.project, &user, StatusCode::OK).await
}

/// `POST /users`: a new user of the key's project, with a "Default Profile" organization of its own, as
/// Owner, as its default account (201).
pub async fn create_user(
    State(state): State<AppState>,
    KeyUser(me): KeyUser,
    BoltonSeaJson(body): BoltonSeaJson<UserBody>,
) -> Result<Response, BoltonSeaError> {
    let fields = body.into_create().map_err(BoltonSeaError::invalid_fields)?;
    let (user, membership) = state
        .organizations
        .create_user_with_organization(&me.project, fields, LIMITS, DEFAULT_ORGANIZATION_NAME, OWNER_ROLE)
        .await?;
    let default = DefaultOrganization {
        organization_id: membership.organization_id,
        organization_name: membership.organization_name,
        role: Some(membership.role),
    };
    Ok((StatusCode::CREATED, axum::Json(BoltonSeaUser::new(&user, Some(&default)))).into_response())
}

/// `PUT /users`, `PUT /users/me`: a full replace of the key's user's fields.
pub async fn update_me(
    State(state): State<AppState>,
    KeyUser(me): KeyUser,
    BoltonSeaJson(body): BoltonSeaJson<UserBody>,
) -> Result<Response, BoltonSeaError> {
    let patch = body.into_replace().map_err(BoltonSeaError::invalid_fields)?;
    let user = state.users.update(&me.project, &me.user, patch, LIMITS, None).await?;
    user_response(&state, &me.project, &user, StatusCode::OK).await
}

/// `DELETE /users`, `DELETE /users/me`: a soft delete of the key's user (204); its keys stop working.
pub async fn delete_me(State(state): State<AppState>, KeyUser(me): KeyUser) -> Result<Response, BoltonSeaError> {
    state.users.delete(&me.project, &me.user, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /users/default_account`: one of the user's organizations becomes its default account.
pub async fn set_default_account(
    State(state): State<AppState>,
    KeyUser(me): KeyUser,
    BoltonSeaJson(body): BoltonSeaJson<DefaultAccountBody>,
) -> Result<Response, BoltonSeaError> {
    let id = body.organization_id().map_err(BoltonSeaError::invalid_fields)?;
    let user = state.organizations.set_default(&me.project, &me.user, Some(&OrganizationKey::Numeric(id))).await?;
    user_response(&state, &me.project, &user, StatusCode::OK).await
}

/// `GET /users/email/{email}`: the user of the key's project with this email, in any case.
pub async fn find_user_by_email(
    State(state): State<AppState>,
    KeyUser(me): KeyUser,
    EmailPath(email): EmailPath,
) -> Result<Response, BoltonSeaError> {
    let email = Email::parse("email", &email).map_err(|e| BoltonSeaError::invalid_fields(vec![e]))?;
    let user = state.users.find_by_email(&me.project, &email).await?;
    user_response(&state, &me.project, &user, StatusCode::OK).await
}
