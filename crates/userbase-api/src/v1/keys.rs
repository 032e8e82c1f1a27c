//! `/v1/keys`: the project's API keys, managed with a secret key. The plaintext of a new key is in the
//! create answer only; lists show ids and prefixes. Deleting a key revokes it (the record stays).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use userbase_core::api_key::{ApiKey, KeyId, KeyKind, NewKey};
use userbase_core::ids::PublicUserId;
use userbase_core::user::UserKey;
use userbase_core::DomainError;

use super::extract::{Admin, V1Json};
use super::Problem;
use crate::AppState;

/// The project's keys.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = KeyList)]
struct KeyListView<'a> {
    object: &'static str,
    #[schema(value_type = Vec<KeyView>)]
    data: Vec<KeyView<'a>>,
    has_more: bool,
}

/// An API key (its secret only in the answer to a create).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Key)]
pub(super) struct KeyView<'a> {
    object: &'static str,
    id: &'a str,
    /// `secret`, `publishable` or `user`.
    kind: &'static str,
    name: Option<&'a str>,
    prefix: &'a str,
    user_id: Option<&'a str>,
    scopes: &'a [String],
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    last_used_at: Option<OffsetDateTime>,
    /// Only in the answer to a create.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

pub(super) fn view<'a>(key: &'a ApiKey, user_id: Option<&'a str>, secret: Option<&'a str>) -> KeyView<'a> {
    KeyView {
        object: "key",
        id: key.id.as_str(),
        kind: key.kind.as_str(),
        name: key.name.as_deref(),
        prefix: &key.prefix,
        user_id,
        scopes: &key.scopes,
        created_at: key.created_at,
        expires_at: key.expires_at,
        revoked_at: key.revoked_at,
        last_used_at: key.last_used_at,
        secret,
    }
}

/// A key to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    /// `secret`, `publishable` or `user`.
    kind: String,
    /// 1 to 100 characters.
    name: Option<String>,
    /// For a user key: the user it acts as.
    user_id: Option<String>,
    /// For a user key: what it may do: `read`, `create`, `update`, `delete` or `manage` (all).
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
}

/// Create a key. The answer is the only time its secret is shown.
#[utoipa::path(post, path = "/keys", tag = "keys", request_body = KeyInput,
    responses((status = 201, description = "Created; `secret` holds the key", body = KeyView),
              (status = 404, description = "`user_id` names no user of this project", body = super::problem::ProblemWire,
               content_type = "application/problem+json")))]
pub async fn create_key(
    State(state): State<AppState>,
    Admin(principal): Admin,
    V1Json(input): V1Json<KeyInput>,
) -> Result<Response, Problem> {
    let kind = KeyKind::parse(&input.kind)
        .ok_or_else(|| DomainError::invalid("kind", "invalid_kind", "kind is secret, publishable or user."))?;
    if input.name.as_ref().is_some_and(|n| n.is_empty() || n.chars().count() > 100) {
        return Err(DomainError::invalid("name", "invalid_name", "A key name is 1 to 100 characters.").into());
    }
    if input.expires_at.is_some_and(|t| t <= OffsetDateTime::now_utc()) {
        return Err(DomainError::invalid("expires_at", "in_the_past", "expires_at must be in the future.").into());
    }
    let user_id = match &input.user_id {
        None => None,
        Some(id) => {
            let key = PublicUserId::parse(id).map(UserKey::Public).ok_or_else(DomainError::user_not_found)?;
            Some(state.users.get(&principal.project, &key).await?.numeric_id)
        }
    };
    let new = NewKey {
        project_id: principal.project.id.clone(),
        kind,
        name: input.name,
        user_id,
        scopes: input.scopes,
        expires_at: input.expires_at,
    };
    let created = state.keys.create(new).await?;
    let body = view(&created.record, input.user_id.as_deref(), Some(&created.plaintext));
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// List the project's keys (without secrets).
#[utoipa::path(get, path = "/keys", tag = "keys",
    responses((status = 200, description = "The keys", body = KeyListView)))]
pub async fn list_keys(State(state): State<AppState>, Admin(principal): Admin) -> Result<Response, Problem> {
    let keys = state.keys.list(&principal.project.id).await?;
    let data = keys.iter().map(|k| view(&k.key, k.user.as_ref().map(|u| u.as_str()), None)).collect();
    Ok(axum::Json(KeyListView { object: "list", data, has_more: false }).into_response())
}

/// Revoke a key: it stops working at once on this server, and on every other server on the same database
/// within half a second.
#[utoipa::path(delete, path = "/keys/{id}", tag = "keys", params(("id" = String, Path, description = "The key's id")),
    responses((status = 200, description = "The revoked key", body = KeyView)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = KeyId::parse(&id).ok_or_else(|| Problem::not_found("key"))?;
    let key = state.keys.revoke_in_project(&principal.project.id, &id).await?;
    let user_id = state.keys.user_of(&key).await?;
    Ok(axum::Json(view(&key, user_id.as_ref().map(|u| u.as_str()), None)).into_response())
}
