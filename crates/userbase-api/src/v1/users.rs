//! `/v1/users`: create, get, patch, delete (soft), restore and list.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use userbase_core::filter::parse as parse_filter;
use userbase_core::ids::PublicUserId;
use userbase_core::page::{cursor, parse_sort, PageParams, PageStart};
use userbase_core::store::UserFilter;
use userbase_core::user::{User, UserKey};
use userbase_core::values::MetadataLimits;
use userbase_core::DomainError;

use super::extract::{if_match, json_with_etag, Admin, V1Json, V1Query};
use super::problem::ProblemWire;
use super::user_input::UserInput;
use super::user_view::{UserListView, UserView};
use super::Problem;
use crate::auth::Principal;
use crate::AppState;

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 200;

/// A user id from the path; anything that is not one of our ids names no user.
pub fn user_key(id: &str) -> Result<UserKey, Problem> {
    PublicUserId::parse(id).map(UserKey::Public).ok_or_else(|| Problem::not_found("user"))
}

fn user_response(status: StatusCode, user: &User) -> Response {
    json_with_etag(status, &UserView::from(user), user.version)
}

/// Create a user.
#[utoipa::path(post, path = "/users", tag = "users", request_body = UserInput,
    responses((status = 201, description = "Created", body = UserView, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 409, description = "The email, login or an external ref is taken", body = ProblemWire, content_type = "application/problem+json")))]
pub async fn create_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    V1Json(input): V1Json<UserInput>,
) -> Result<Response, Problem> {
    let fields = input.into_patch().map_err(DomainError::Invalid)?;
    let user = state.users.create(&principal.project, fields, MetadataLimits::DEFAULT).await?;
    let mut response = user_response(StatusCode::CREATED, &user);
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/users/{}", user.public_id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Get a user (deleted users too).
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = String, Path, description = "The user's id (`usr_...`)")),
    responses((status = 200, description = "The user", body = UserView, headers(("ETag" = String, description = "The version, for If-Match")))))]
pub async fn get_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let key = user_key(&id)?;
    let user = state.users.get(&principal.project, &key).await?;
    Ok(user_response(StatusCode::OK, &user))
}

/// Update a user: absent fields stay, `null` clears.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = String, Path, description = "The user's id (`usr_...`)"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read; 412 if it is no longer current")), request_body = UserInput,
    responses((status = 200, description = "The updated user", body = UserView, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 409, description = "The email, login or an external ref is taken", body = ProblemWire, content_type = "application/problem+json")))]
pub async fn update_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    V1Json(input): V1Json<UserInput>,
) -> Result<Response, Problem> {
    let key = user_key(&id)?;
    let expected = if_match(&headers)?;
    let patch = input.into_patch().map_err(DomainError::Invalid)?;
    let user = state.users.update(&principal.project, &key, patch, MetadataLimits::DEFAULT, expected).await?;
    Ok(user_response(StatusCode::OK, &user))
}

/// Delete a user (soft: restorable until the project's retention ends).
#[utoipa::path(delete, path = "/users/{id}", tag = "users", params(("id" = String, Path, description = "The user's id (`usr_...`)"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read; 412 if it is no longer current")),
    responses((status = 200, description = "The deleted user", body = UserView, headers(("ETag" = String, description = "The version, for If-Match")))))]
pub async fn delete_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let key = user_key(&id)?;
    let expected = if_match(&headers)?;
    let user = state.users.delete(&principal.project, &key, expected).await?;
    Ok(user_response(StatusCode::OK, &user))
}

/// Restore a deleted user.
#[utoipa::path(post, path = "/users/{id}/restore", tag = "users", params(("id" = String, Path, description = "The user's id (`usr_...`)")),
    responses((status = 200, description = "The restored user", body = UserView, headers(("ETag" = String, description = "The version, for If-Match"))),
              (status = 409, description = "The email, login or an external ref was taken meanwhile", body = ProblemWire, content_type = "application/problem+json")))]
pub async fn restore_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let key = user_key(&id)?;
    let user = state.users.restore(&principal.project, &key).await?;
    Ok(user_response(StatusCode::OK, &user))
}

/// The list parameters: a query string on `GET /v1/users`, a JSON body on `POST /v1/users/search` (for
/// filters too long for a URL).
#[derive(Debug, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
#[schema(as = UserSearch)]
pub struct ListQuery {
    /// Page size, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    #[schema(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The page after this user id (default order only).
    starting_after: Option<String>,
    /// The page before this user id (default order only).
    ending_before: Option<String>,
    /// `next_cursor` or `previous_cursor` of an earlier answer.
    cursor: Option<String>,
    /// Exact email, case-insensitive.
    email: Option<String>,
    /// Also list deleted users.
    include_deleted: Option<bool>,
    /// A filter expression, e.g. `last_name sw "van" and (metadata.plan eq "pro" or tags co "vip")`:
    /// operators `eq ne co sw ew pr gt ge lt le`, `and or not`, parentheses.
    filter: Option<String>,
    /// `-created_at,last_name`: sort keys, `-` for descending.
    sort: Option<String>,
    /// `total` adds the number of matching users to the answer.
    include: Option<String>,
}

/// Where the page starts: the one of `starting_after`, `ending_before` and `cursor` given, if any.
fn start(q: &ListQuery) -> Result<PageStart, Problem> {
    let given = [q.starting_after.is_some(), q.ending_before.is_some(), q.cursor.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(Problem::bad_request(
            "conflicting_parameters",
            "Use at most one of starting_after, ending_before and cursor.",
        ));
    }
    Ok(match (&q.starting_after, &q.ending_before, &q.cursor) {
        (Some(id), _, _) => PageStart::AfterId { param: "starting_after", id: id.clone() },
        (_, Some(id), _) => PageStart::BeforeId { param: "ending_before", id: id.clone() },
        (_, _, Some(cursor)) => PageStart::Cursor { param: "cursor", cursor: cursor.clone() },
        _ => PageStart::First,
    })
}

/// List and search users: filter, sort and page.
#[utoipa::path(get, path = "/users", tag = "users", params(ListQuery),
    responses((status = 200, description = "A page of users", body = UserListView)))]
pub async fn list_users(
    State(state): State<AppState>,
    Admin(principal): Admin,
    V1Query(q): V1Query<ListQuery>,
) -> Result<Response, Problem> {
    list(&state, &principal, q).await
}

/// List and search users with the parameters in a JSON body (for filters too long for a URL).
#[utoipa::path(post, path = "/users/search", tag = "users", request_body = ListQuery,
    responses((status = 200, description = "A page of users", body = UserListView)))]
pub async fn search_users(
    State(state): State<AppState>,
    Admin(principal): Admin,
    V1Json(q): V1Json<ListQuery>,
) -> Result<Response, Problem> {
    list(&state, &principal, q).await
}

async fn list(state: &AppState, principal: &Principal, q: ListQuery) -> Result<Response, Problem> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::invalid_param("limit", "out_of_range", format!("limit is 1 to {MAX_LIMIT}.")));
    }
    if q.email.as_deref().is_some_and(|e| e.trim().is_empty()) {
        return Err(Problem::invalid_param("email", "empty", "email cannot be empty."));
    }
    let include_total = match q.include.as_deref() {
        None => false,
        Some("total") => true,
        Some(_) => return Err(Problem::invalid_param("include", "invalid_include", "include takes the value total.")),
    };
    let expr = match q.filter.as_deref() {
        None => None,
        Some(text) => Some(parse_filter(text).map_err(Problem::invalid_filter)?),
    };
    let sort = match q.sort.as_deref() {
        None => Vec::new(),
        Some(spec) => parse_sort(spec).map_err(|e| Problem::invalid_param("sort", e.code, e.message))?,
    };
    let start = start(&q)?;
    let backwards = start.reads_backwards(&sort);
    let filter = UserFilter::live()
        .with_email(q.email.as_deref())
        .including_deleted(q.include_deleted.unwrap_or(false))
        .matching(expr);
    let params = PageParams::first(limit).starting(start).sorted(sort.clone()).with_total(include_total);
    let page = state.users.list(&principal.project, &filter, params).await?;
    let view = UserListView {
        object: "list",
        next_cursor: cursor::next(&page, &sort, |u| u.numeric_id),
        previous_cursor: cursor::previous(&page, &sort, |u| u.numeric_id),
        has_more: if backwards { page.more_before } else { page.more_after },
        total: page.total,
        total_is_estimate: page.total.map(|_| page.total_is_estimate),
        data: page.items.iter().map(UserView::from).collect(),
    };
    Ok(axum::Json(view).into_response())
}
