//! `/projects/{project}/users`: list, create, retrieve, update, delete and search.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use userbase_core::project::Project;
use userbase_core::store::UserFilter;
use userbase_core::user::User;
use userbase_core::DomainError;

use super::error::GigsError;
use super::extract::{GigsJson, GigsQuery, ProjectAdmin, UserPath};
use super::pagination::{GigsList, PageQuery};
use super::user_input::{SearchBody, UserBody};
use super::user_view::GigsUser;
use crate::dialect::NoParams;
use crate::AppState;

fn user_response(status: StatusCode, user: &User, project: &Project) -> Response {
    (status, axum::Json(GigsUser::new(user, project))).into_response()
}

async fn list(state: &AppState, project: &Project, page: PageQuery, filter: UserFilter) -> Result<Response, GigsError> {
    let page = state.users.list(project, &filter, page.params()?).await?;
    let list = GigsList::of(&page, |u| u.public_id.as_str(), |u| GigsUser::new(u, project));
    Ok(axum::Json(list).into_response())
}

pub async fn list_users(
    State(state): State<AppState>,
    ProjectAdmin(principal): ProjectAdmin,
    GigsQuery(page): GigsQuery<PageQuery>,
) -> Result<Response, GigsError> {
    list(&state, &principal.project, page, UserFilter::live()).await
}

pub async fn search_users(
    State(state): State<AppState>,
    ProjectAdmin(principal): ProjectAdmin,
    GigsQuery(page): GigsQuery<PageQuery>,
    GigsJson(search): GigsJson<SearchBody>,
) -> Result<Response, GigsError> {
    if search.email.as_deref() == Some("") {
        return Err(GigsError::invalid_property("email", "propertyInvalid", "email cannot be empty."));
    }
    let filter = UserFilter::live().with_email(search.email.as_deref());
    list(&state, &principal.project, page, filter).await
}

pub async fn create_user(
    State(state): State<AppState>,
    ProjectAdmin(principal): ProjectAdmin,
    GigsQuery(NoParams {}): GigsQuery<NoParams>,
    GigsJson(input): GigsJson<UserBody>,
) -> Result<Response, GigsError> {
    let fields = input.into_patch(true).map_err(DomainError::Invalid)?;
    let user = state.users.create(&principal.project, fields, super::METADATA_LIMITS).await?;
    Ok(user_response(StatusCode::CREATED, &user, &principal.project))
}

pub async fn get_user(
    State(state): State<AppState>,
    ProjectAdmin(principal): ProjectAdmin,
    UserPath(key): UserPath,
    GigsQuery(NoParams {}): GigsQuery<NoParams>,
) -> Result<Response, GigsError> {
    let user = state.users.get(&principal.project, &key).await?;
    Ok(user_response(StatusCode::OK, &user, &principal.project))
}

pub async fn update_user(
    State(state): State<AppState>,
    ProjectAdmin(principal): ProjectAdmin,
    UserPath(key): UserPath,
    GigsQuery(NoParams {}): GigsQuery<NoParams>,
    GigsJson(input): GigsJson<UserBody>,
) -> Result<Response, GigsError> {
    let patch = input.into_patch(false).map_err(DomainError::Invalid)?;
    let user = state.users.update(&principal.project, &key, patch, super::METADATA_LIMITS, None).await?;
    Ok(user_response(StatusCode::OK, &user, &principal.project))
}

/// Answers with the user as it was just before the deletion (its Gigs fields do not change).
pub async fn delete_user(
    State(state): State<AppState>,
    ProjectAdmin(principal): ProjectAdmin,
    UserPath(key): UserPath,
    GigsQuery(NoParams {}): GigsQuery<NoParams>,
) -> Result<Response, GigsError> {
    let user = state.users.delete(&principal.project, &key, None).await?;
    Ok(user_response(StatusCode::OK, &user, &principal.project))
}

/// `GET /users/search` names the user with id `search`: after the usual checks, a 404.
pub async fn get_user_named_search(ProjectAdmin(_): ProjectAdmin) -> Result<Response, GigsError> {
    Err(GigsError::not_found("User not found."))
}
