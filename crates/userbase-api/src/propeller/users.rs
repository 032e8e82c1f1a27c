//! `/users` and `/users/{lookupKey}/{lookupValue}`: create, get, patch, recycle-bin delete, and the admin
//! list. Handlers extract, call a service or two, render.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use userbase_core::organization::Organization;
use userbase_core::patch::Patch;
use userbase_core::project::Project;
use userbase_core::user::{User, UserKey};
use userbase_core::values::{GroupRef, MetadataLimits};

use super::error::PropellerError;
use super::extract::{Admin, JsonMap, Lookup, PropellerJson, PropellerQuery, UserPath};
use super::pagination;
use super::schema::{Obj, Violations};
use super::user_input::{verdict, PayloadErrors, UserInput, USER_KEYS};
use super::user_view::{user_view, Expands};
use crate::AppState;

/// `{"data": ..., "messages": [...], "total": n}` (`total` left out where the contract leaves it out).
pub fn envelope(status: StatusCode, data: Value, message: &str, total: Option<usize>) -> Response {
    let messages: Vec<&str> = if message.is_empty() { Vec::new() } else { vec![message] };
    let body = match total {
        Some(total) => json!({"data": data, "messages": messages, "total": total}),
        None => json!({"data": data, "messages": messages}),
    };
    (status, axum::Json(body)).into_response()
}

/// The live user a lookup names. `as_parent`: the user owns the sub-resource asked for, so a missing user
/// is 70007 ParentUserNotFound rather than 70006.
pub async fn find_user(
    state: &AppState,
    project: &Project,
    path: &UserPath,
    source: Option<&str>,
    as_parent: bool,
) -> Result<User, PropellerError> {
    let missing = || {
        if as_parent {
            PropellerError::parent_user_not_found(&path.named)
        } else {
            PropellerError::user_not_found(&path.named)
        }
    };
    match &path.lookup {
        Lookup::Id(None) => Err(missing()),
        Lookup::Id(Some(id)) => match state.users.get(project, &UserKey::Numeric(*id)).await {
            Err(userbase_core::DomainError::NotFound { .. }) => Err(missing()),
            other => Ok(other?),
        },
        Lookup::SourceId(source_id) => {
            let mut found = state.users.find_by_external_id(project, source, source_id).await?;
            match found.len() {
                0 => Err(missing()),
                1 => Ok(found.remove(0)),
                _ => Err(PropellerError::multiple_users()),
            }
        }
    }
}

/// The query of a single-user route: `source` (and `language`, which users ignore) disambiguate a
/// `sourceId`; `expands` on reads.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    source: Option<String>,
    #[allow(dead_code)]
    language: Option<String>,
    expands: Option<String>,
}

impl LookupQuery {
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }
}

/// The organization a `parent` names (`{id}` an existing one, `{source, sourceId}` found or created).
async fn resolve_parent(
    state: &AppState,
    project: &Project,
    parent: &Patch<GroupRef>,
) -> Result<Option<Organization>, PropellerError> {
    match parent {
        Patch::Set(group) => Ok(Some(state.organizations.resolve_group(project, group).await?)),
        _ => Ok(None),
    }
}

/// Reads a user body (its unknown keys refused), answering its schema or payload errors.
fn read_body(body: &serde_json::Map<String, Value>) -> Result<UserInput, PropellerError> {
    let o = Obj::new("#", body);
    let (mut v, mut e) = (Violations::default(), PayloadErrors::default());
    o.allow(&USER_KEYS, &mut v);
    let input = UserInput::read(&o, &mut v, &mut e);
    verdict(v, e)?;
    Ok(input)
}

pub async fn create_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    PropellerJson(body): JsonMap,
) -> Result<Response, PropellerError> {
    let project = &principal.project;
    let input = read_body(&body)?;
    let mut patch = input.patch;
    patch.external_refs = input.source_ref.map(|r| vec![r]);
    if let Some(language) = input.language {
        patch.locale = Patch::Set(language);
    }
    let parent = resolve_parent(&state, project, &input.parent).await?;
    if let Some(org) = &parent {
        patch.parent_group = Patch::Set(GroupRef::Id { id: org.numeric_id });
    }
    let user = state.users.create(project, patch, MetadataLimits::DEFAULT).await?;
    if let Some(org) = parent {
        state.organizations.ensure_member(project, org.numeric_id, user.numeric_id).await?;
    }
    // The create answer echoes the body as sent (`debtorId` stays a number: QUIRK) with the new id.
    let mut data = body;
    data.insert("id".into(), json!(user.numeric_id));
    Ok(envelope(StatusCode::CREATED, Value::Object(data), "User created", Some(1)))
}

pub async fn get_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: UserPath,
    PropellerQuery(q): PropellerQuery<LookupQuery>,
) -> Result<Response, PropellerError> {
    let user = find_user(&state, &principal.project, &path, q.source.as_deref(), false).await?;
    let mut expands = Expands::default();
    for part in q.expands.as_deref().unwrap_or("").split(',').map(str::trim) {
        match part {
            "sources" => expands.sources = true,
            "parent" => expands.parent = true,
            _ => {}
        }
    }
    Ok(envelope(StatusCode::OK, user_view(&user, expands), "", Some(1)))
}

pub async fn update_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: UserPath,
    PropellerQuery(q): PropellerQuery<LookupQuery>,
    PropellerJson(body): JsonMap,
) -> Result<Response, PropellerError> {
    let project = &principal.project;
    let user = find_user(&state, project, &path, q.source.as_deref(), false).await?;
    let input = read_body(&body)?;
    let mut patch = input.patch;
    if let Some(r) = input.source_ref {
        // `source` + `sourceId` is the user's first external ref; the others stay.
        let mut refs: Vec<_> = user.profile.external_refs.iter().skip(1).filter(|x| **x != r).cloned().collect();
        refs.insert(0, r);
        patch.external_refs = Some(refs);
    }
    if let Some(language) = input.language {
        // C16: a locale that already has this language (nl-BE for NL) is kept.
        if user.profile.locale.as_ref().is_none_or(|l| l.language() != language.language()) {
            patch.locale = Patch::Set(language);
        }
    }
    let parent = resolve_parent(&state, project, &input.parent).await?;
    match (&parent, &input.parent) {
        (Some(org), _) => patch.parent_group = Patch::Set(GroupRef::Id { id: org.numeric_id }),
        (None, Patch::Clear) => patch.parent_group = Patch::Clear,
        _ => {}
    }
    let key = UserKey::Numeric(user.numeric_id);
    let updated = state.users.update(project, &key, patch, MetadataLimits::DEFAULT, None).await?;
    if let Some(org) = parent {
        state.organizations.ensure_member(project, org.numeric_id, updated.numeric_id).await?;
    }
    Ok(envelope(StatusCode::OK, user_view(&updated, Expands::default()), "User updated", Some(1)))
}

pub async fn delete_user(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: UserPath,
    PropellerQuery(q): PropellerQuery<LookupQuery>,
) -> Result<Response, PropellerError> {
    let project = &principal.project;
    let user = find_user(&state, project, &path, q.source.as_deref(), false).await?;
    // The recycle bin is the soft delete: the user is kept, restorable through v1, and hidden here.
    state.users.delete(project, &UserKey::Numeric(user.numeric_id), None).await?;
    Ok(envelope(StatusCode::OK, json!({}), "User deleted", None))
}

/// `GET /users?page=&offset=`: the project's users, oldest first, in Propeller's paginated envelope.
pub async fn list_users(
    State(state): State<AppState>,
    Admin(principal): Admin,
    query: pagination::PageQuery,
) -> Result<Response, PropellerError> {
    let (page, size) = (query.page, query.offset);
    let found = state.users.list(&principal.project, &Default::default(), query.params()).await?;
    let items: Vec<Value> = found.items.iter().map(|u| user_view(u, Expands::default())).collect();
    Ok(pagination::paginated(items, page, size, found.total.unwrap_or(0)))
}
