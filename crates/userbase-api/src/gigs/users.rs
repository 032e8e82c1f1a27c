//! `/projects/{project}/users`: list, create, retrieve, update, delete and search.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use userbase_core::ids::PublicUserId;
use userbase_core::page::PageRequest;
use userbase_core::project::Project;
use userbase_core::store::UserFilter;
use userbase_core::user::{User, UserKey};
use userbase_core::values::email::normalize_email;
use userbase_core::values::MetadataLimits;
use userbase_core::DomainError;

use super::error::GigsError;
use super::extract::{authorize, json, query};
use super::pagination::PageQuery;
use super::user_input::{SearchBody, UserBody};
use super::user_view::{GigsList, GigsUser};
use crate::AppState;

fn user_key(id: &str) -> Result<UserKey, GigsError> {
    PublicUserId::parse(id).map(UserKey::Public).ok_or_else(|| GigsError::not_found("User not found."))
}

fn user_response(status: StatusCode, user: &User, project: &Project) -> Response {
    (status, axum::Json(GigsUser::new(user, project))).into_response()
}

/// A query string without parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

async fn list(
    state: &AppState,
    project: &Project,
    page: &PageQuery,
    filter: UserFilter,
) -> Result<Response, GigsError> {
    let params = page.resolve(state, project).await?;
    let request = PageRequest { position: params.position, limit: params.limit, sort: vec![] };
    let page = state.users.list(project, &filter, request).await?;
    let list = GigsList {
        object: "list",
        more_items_after: page.items.last().filter(|_| page.more_after).map(|u| u.public_id.to_string()),
        more_items_before: page.items.first().filter(|_| page.more_before).map(|u| u.public_id.to_string()),
        items: page.items.iter().map(|u| GigsUser::new(u, project)).collect(),
    };
    Ok(axum::Json(list).into_response())
}

pub async fn list_users(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, GigsError> {
    let principal = authorize(&state, &headers, &project).await?;
    let page: PageQuery = query(raw.as_deref())?;
    list(&state, &principal.project, &page, UserFilter::default()).await
}

pub async fn search_users(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GigsError> {
    let principal = authorize(&state, &headers, &project).await?;
    let page: PageQuery = query(raw.as_deref())?;
    let search: SearchBody = json(&headers, body)?;
    if search.email.as_deref() == Some("") {
        return Err(GigsError::invalid_property("email", "propertyInvalid", "email cannot be empty."));
    }
    let filter = UserFilter { email_normalized: search.email.as_deref().map(normalize_email), ..UserFilter::default() };
    list(&state, &principal.project, &page, filter).await
}

pub async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GigsError> {
    let principal = authorize(&state, &headers, &project).await?;
    let _: NoQuery = query(raw.as_deref())?;
    let input: UserBody = json(&headers, body)?;
    let fields = input.into_patch(true).map_err(DomainError::Invalid)?;
    let user = state.users.create(&principal.project, fields, MetadataLimits::GIGS).await?;
    Ok(user_response(StatusCode::CREATED, &user, &principal.project))
}

pub async fn get_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((project, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, GigsError> {
    let principal = authorize(&state, &headers, &project).await?;
    let key = user_key(&id)?;
    let _: NoQuery = query(raw.as_deref())?;
    let user = state.users.get(&principal.project, &key).await?;
    Ok(user_response(StatusCode::OK, &user, &principal.project))
}

pub async fn update_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((project, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GigsError> {
    let principal = authorize(&state, &headers, &project).await?;
    let key = user_key(&id)?;
    let _: NoQuery = query(raw.as_deref())?;
    let input: UserBody = json(&headers, body)?;
    let patch = input.into_patch(false).map_err(DomainError::Invalid)?;
    let user = state.users.update(&principal.project, &key, patch, MetadataLimits::GIGS, None).await?;
    Ok(user_response(StatusCode::OK, &user, &principal.project))
}

/// Answers with the user as it was just before the deletion (its Gigs fields do not change).
pub async fn delete_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((project, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, GigsError> {
    let principal = authorize(&state, &headers, &project).await?;
    let key = user_key(&id)?;
    let _: NoQuery = query(raw.as_deref())?;
    let user = state.users.delete(&principal.project, &key, None).await?;
    Ok(user_response(StatusCode::OK, &user, &principal.project))
}

/// `GET /users/search` names the user with id `search`: after the usual checks, a 404.
pub async fn get_user_named_search(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(project): Path<String>,
) -> Result<Response, GigsError> {
    authorize(&state, &headers, &project).await?;
    Err(GigsError::not_found("User not found."))
}
