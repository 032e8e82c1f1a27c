//! `/users`: create-or-login (`POST /users`, and the deprecated `POST /v2/users` both SDKs call), retrieve,
//! update and soft delete one user (`{id}` or `me`), and the admin list and search.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use userbase_core::address::AddressKind;
use userbase_core::filter::builders::{all_of, quick_search, tag_expression, time_window};
use userbase_core::filter::TimeField;
use userbase_core::page::{SortField, SortKey};
use userbase_core::project::Project;
use userbase_core::services::AddressService;
use userbase_core::store::UserFilter;
use userbase_core::user::{User, UserKey};
use userbase_core::values::MetadataLimits;
use userbase_core::DomainError;

use super::error::BuiltonError;
use super::extract::{Admin, AnyCaller, BuiltonJson, BuiltonQuery, Target};
use super::pagination::{list_response, page_params, sort_order, unix_seconds};
use super::user_input::{AddressChanges, UserBody};
use super::user_view::BuiltonUser;
use crate::auth::{Caller, EndUser};
use crate::dialect::NoParams;
use crate::AppState;

/// BuiltOn users carry no metadata; the canonical limits apply to what other surfaces write.
pub const LIMITS: MetadataLimits = MetadataLimits::DEFAULT;

/// The parameters of a single-user read: `expand` (sent by the SDKs on request) is accepted and changes
/// nothing, since no reference of a user is expandable here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadQuery {
    #[allow(dead_code)]
    expand: Option<String>,
}

/// The user with all their addresses, as BuiltOn shows them.
pub async fn user_response(state: &AppState, project: &Project, user: &User) -> Result<Response, BuiltonError> {
    let addresses = state.addresses.of_user(project, user).await?;
    Ok(axum::Json(BuiltonUser::new(user, project, &addresses)).into_response())
}

/// Replaces the address kinds a body sent (`addresses`, `billing_address`).
pub async fn apply_address_changes(
    state: &AppState,
    project: &Project,
    user: &User,
    changes: AddressChanges,
) -> Result<(), BuiltonError> {
    let key = UserKey::Numeric(user.numeric_id);
    if let Some(list) = changes.list {
        state.addresses.replace_kind(project, &key, AddressKind::List, list).await?;
    }
    if let Some(billing) = changes.billing {
        state.addresses.replace_kind(project, &key, AddressKind::Billing, billing.into_iter().collect()).await?;
    }
    Ok(())
}

/// `POST /users`, `POST /v2/users`: with an end user's JWT, create-or-login by its `sub` (a login ignores
/// the body); with a service account, always a new user (without `auth_id`).
pub async fn create_user(
    State(state): State<AppState>,
    AnyCaller(caller): AnyCaller,
    BuiltonQuery(NoParams {}): BuiltonQuery<NoParams>,
    BuiltonJson(input): BuiltonJson<UserBody>,
) -> Result<Response, BuiltonError> {
    let (patch, addresses) = input.into_patch(true).map_err(DomainError::Invalid)?;
    // A new user's addresses are written after it: what that write would refuse is refused before.
    let mut new_addresses: Vec<_> = addresses.list.iter().flatten().cloned().collect();
    new_addresses.extend(addresses.billing.iter().flatten().cloned());
    AddressService::check_new(0, &new_addresses)?;
    let project = caller.project().clone();
    let (user, created) = match &caller {
        Caller::Admin(_) => (state.users.create(&project, patch, LIMITS).await?, true),
        Caller::EndUser(EndUser { user: UserKey::AuthSubject(subject), .. }) => {
            let signed_in = state.users.sign_in(&project, subject, patch, LIMITS).await?;
            (signed_in.user, signed_in.created)
        }
        // A key bound to a user: that user exists already; this is a login.
        Caller::EndUser(me) => (state.users.get(&project, &me.user).await?, false),
    };
    if created && !addresses.is_empty() {
        apply_address_changes(&state, &project, &user, addresses).await?;
    }
    user_response(&state, &project, &user).await
}

pub async fn get_user(
    State(state): State<AppState>,
    target: Target,
    BuiltonQuery(_): BuiltonQuery<ReadQuery>,
) -> Result<Response, BuiltonError> {
    let user = state.users.get(&target.project, &target.user).await.map_err(|e| named(e, &target))?;
    user_response(&state, &target.project, &user).await
}

/// Partial: only the keys sent change; `modified` changes on every update.
pub async fn update_user(
    State(state): State<AppState>,
    target: Target,
    BuiltonQuery(NoParams {}): BuiltonQuery<NoParams>,
    BuiltonJson(input): BuiltonJson<UserBody>,
) -> Result<Response, BuiltonError> {
    // The user's own update keys leave out `image`: only a service account may send it (000.4).
    if !target.admin && input.sets_image() {
        return Err(BuiltonError::field_does_not_exist("image"));
    }
    let (patch, addresses) = input.into_patch(false).map_err(DomainError::Invalid)?;
    // The user and its addresses are written in two steps: what the second would refuse is refused first.
    if let Some(list) = &addresses.list {
        state.addresses.check_replace(&target.project, &target.user, AddressKind::List, list).await?;
    }
    if let Some(billing) = &addresses.billing {
        let billing: Vec<_> = billing.iter().cloned().collect();
        state.addresses.check_replace(&target.project, &target.user, AddressKind::Billing, &billing).await?;
    }
    let user =
        state.users.update(&target.project, &target.user, patch, LIMITS, None).await.map_err(|e| named(e, &target))?;
    apply_address_changes(&state, &target.project, &user, addresses).await?;
    user_response(&state, &target.project, &user).await
}

/// Soft delete: 200 with the user, `deleted: true`; a deleted user is not found again.
pub async fn delete_user(
    State(state): State<AppState>,
    target: Target,
    BuiltonQuery(NoParams {}): BuiltonQuery<NoParams>,
) -> Result<Response, BuiltonError> {
    let user = state.users.delete(&target.project, &target.user, None).await.map_err(|e| named(e, &target))?;
    user_response(&state, &target.project, &user).await
}

/// A not-found error naming the id the client sent.
pub fn named(e: DomainError, target: &Target) -> BuiltonError {
    BuiltonError::from(e).naming_user(&target.wire_id)
}

/// The parameters of `GET /users` and `GET /users/search` (000.5).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    size: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    from_date: Option<String>,
    to_date: Option<String>,
    date_filter: Option<String>,
    tags: Option<String>,
    include_deleted: Option<String>,
    /// The search text (`/users/search` only).
    query: Option<String>,
}

/// `true` or `false` (also `1`/`0`), case-insensitively.
pub fn boolean(param: &str, value: Option<&str>) -> Result<bool, BuiltonError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(BuiltonError::validation(param, format!("{param} is true or false."))),
    }
}

/// `sort`: `created`, `modified`, `email`, `first_name` or `last_name`, `-` for descending.
fn user_sort(spec: &str) -> Result<Vec<SortKey>, BuiltonError> {
    let (descending, name) = sort_order(spec);
    let field = match name {
        "created" => SortField::CreatedAt,
        "modified" => SortField::UpdatedAt,
        "email" => SortField::Email,
        "first_name" => SortField::FirstName,
        "last_name" => SortField::LastName,
        _ => {
            return Err(BuiltonError::validation(
                "sort",
                "sort is one of created, modified, email, first_name, last_name (with - for descending).",
            ))
        }
    };
    Ok(vec![SortKey { field, descending }])
}

/// `date_filter`: which time `from_date`/`to_date` bound.
fn user_date_field(name: Option<&str>) -> Result<TimeField, BuiltonError> {
    match name.unwrap_or("created") {
        "created" => Ok(TimeField::CreatedAt),
        "modified" => Ok(TimeField::UpdatedAt),
        "last_login" => Ok(TimeField::LastLoginAt),
        _ => Err(BuiltonError::validation("date_filter", "date_filter is one of created, modified, last_login.")),
    }
}

async fn list(state: &AppState, project: &Project, q: ListQuery, search: bool) -> Result<Response, BuiltonError> {
    if !search && q.query.is_some() {
        return Err(BuiltonError::validation("query", "query is a parameter of /users/search."));
    }
    let mut parts = Vec::new();
    if let Some(tags) = q.tags.as_deref() {
        parts.extend(tag_expression(tags).map_err(|e| BuiltonError::validation("tags", e.to_string()))?);
    }
    parts.extend(q.query.as_deref().and_then(quick_search));
    let from = q.from_date.as_deref().map(|t| unix_seconds("from_date", t)).transpose()?;
    let to = q.to_date.as_deref().map(|t| unix_seconds("to_date", t)).transpose()?;
    parts.extend(time_window(user_date_field(q.date_filter.as_deref())?, from, to));
    let sort = user_sort(q.sort.as_deref().unwrap_or(if search { "-created" } else { "created" }))?;
    let filter = UserFilter::live()
        .including_deleted(boolean("include_deleted", q.include_deleted.as_deref())?)
        .matching(all_of(parts));
    let params = page_params(q.size.as_deref(), q.page.as_deref())?.sorted(sort);
    let page = state.users.list(project, &filter, params).await?;
    let addresses = state.addresses.of_users(project, &page.items).await?;
    let items = page.items.iter().zip(&addresses).map(|(u, a)| BuiltonUser::new(u, project, a)).collect();
    Ok(list_response(items, page.total))
}

/// Admin: the company's users (no date window unless asked; see 000.5).
pub async fn list_users(
    State(state): State<AppState>,
    Admin(principal): Admin,
    BuiltonQuery(q): BuiltonQuery<ListQuery>,
) -> Result<Response, BuiltonError> {
    list(&state, &principal.project, q, false).await
}

/// Admin: users whose names, email or human id contain `query`, or whose id it is; newest first.
pub async fn search_users(
    State(state): State<AppState>,
    Admin(principal): Admin,
    BuiltonQuery(q): BuiltonQuery<ListQuery>,
) -> Result<Response, BuiltonError> {
    list(&state, &principal.project, q, true).await
}
