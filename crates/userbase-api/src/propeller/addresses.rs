//! `/users/{lookupKey}/{lookupValue}/addresses[...]`: list by type, create, bulk upsert by code, get, patch
//! (echoing only the changed fields and the id), delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};
use userbase_core::address::{AddressKey, AddressType};
use userbase_core::services::AddressAction;
use userbase_core::user::UserKey;
use userbase_core::DomainError;

use super::address_input::read_address;
use super::address_view::address_view;
use super::error::PropellerError;
use super::extract::{AddressPath, Admin, JsonMap, PropellerJson, PropellerQuery, UserPath};
use super::schema::{Obj, Violations};
use super::user_input::{verdict, PayloadErrors};
use super::users::{envelope, find_user, LookupQuery};
use crate::AppState;

/// `?type=` filters the list; `source`/`language` disambiguate a `sourceId`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(rename = "type")]
    address_type: Option<String>,
    source: Option<String>,
    #[allow(dead_code)]
    language: Option<String>,
}

/// The action of a bulk result.
pub fn action_name(action: AddressAction) -> &'static str {
    match action {
        AddressAction::Created => "create",
        AddressAction::Updated => "update",
    }
}

pub async fn list_addresses(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: UserPath,
    PropellerQuery(q): PropellerQuery<ListQuery>,
) -> Result<Response, PropellerError> {
    let project = &principal.project;
    let of_type = match q.address_type.as_deref() {
        None | Some("") => None,
        Some(t) => Some(
            AddressType::parse("type", t)
                .map_err(|_| PropellerError::schema(vec![format!("#/type: {t} is not a valid enum value")]))?,
        ),
    };
    let user = find_user(&state, project, &path, q.source.as_deref(), true).await?;
    let list = state.addresses.list(project, &UserKey::Numeric(user.numeric_id), of_type).await?;
    let items: Vec<Value> = list.iter().map(|a| Value::Object(address_view(a))).collect();
    let total = items.len();
    Ok(envelope(StatusCode::OK, Value::Array(items), "", Some(total)))
}

pub async fn create_address(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: UserPath,
    PropellerQuery(q): PropellerQuery<LookupQuery>,
    PropellerJson(body): JsonMap,
) -> Result<Response, PropellerError> {
    let project = &principal.project;
    let user = find_user(&state, project, &path, q.source(), true).await?;
    let (mut v, mut e) = (Violations::default(), PayloadErrors::default());
    let patch = read_address(&Obj::new("#", &body), true, &mut v, &mut e);
    verdict(v, e)?;
    let address = state.addresses.create(project, &UserKey::Numeric(user.numeric_id), patch).await?;
    Ok(envelope(StatusCode::CREATED, Value::Object(address_view(&address)), "Address created", Some(1)))
}

pub async fn bulk_addresses(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: UserPath,
    PropellerQuery(q): PropellerQuery<LookupQuery>,
    PropellerJson(body): JsonMap,
) -> Result<Response, PropellerError> {
    let project = &principal.project;
    let user = find_user(&state, project, &path, q.source(), true).await?;
    let o = Obj::new("#", &body);
    let (mut v, mut e) = (Violations::default(), PayloadErrors::default());
    o.allow(&["addresses"], &mut v);
    o.require(&["addresses"], &mut v);
    let items = o.objects("addresses", &mut v).unwrap_or_default();
    let patches: Vec<_> = items.iter().map(|item| read_address(item, true, &mut v, &mut e)).collect();
    verdict(v, e)?;
    let codes: Vec<Option<String>> = patches
        .iter()
        .map(|p| match &p.code {
            userbase_core::patch::Patch::Set(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let mut results = state.addresses.upsert_by_code(project, vec![(user.numeric_id, patches)]).await?;
    let written = results.pop().unwrap_or_else(|| Err(DomainError::Internal("no address result".into())))?;
    let data: Vec<Value> = written
        .iter()
        .zip(codes)
        .map(|((action, a), code)| {
            json!({"action": action_name(*action), "id": a.numeric_id, "key": code, "lookupKey": "code", "success": true})
        })
        .collect();
    let total = data.len();
    Ok(envelope(StatusCode::OK, Value::Array(data), "Completed", Some(total)))
}

/// The user and the address key of an address path; an id we never issue names no address.
async fn address_of(
    state: &AppState,
    principal: &crate::auth::Principal,
    path: &AddressPath,
    source: Option<&str>,
) -> Result<(UserKey, AddressKey), PropellerError> {
    let user = find_user(state, &principal.project, &path.user, source, true).await?;
    let id = path.id.ok_or_else(|| PropellerError::address_not_found(&path.raw, &path.user.named))?;
    Ok((UserKey::Numeric(user.numeric_id), AddressKey::Numeric(id)))
}

/// A core error, with "address not found" in the words of this path.
fn not_found_here(path: &AddressPath) -> impl Fn(DomainError) -> PropellerError + '_ {
    move |e| match e {
        DomainError::NotFound { resource: "address" } => PropellerError::address_not_found(&path.raw, &path.user.named),
        other => other.into(),
    }
}

pub async fn get_address(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: AddressPath,
    PropellerQuery(q): PropellerQuery<LookupQuery>,
) -> Result<Response, PropellerError> {
    let (user, key) = address_of(&state, &principal, &path, q.source()).await?;
    let address = state.addresses.get(&principal.project, &user, &key).await.map_err(not_found_here(&path))?;
    Ok(envelope(StatusCode::OK, Value::Object(address_view(&address)), "", Some(1)))
}

pub async fn update_address(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: AddressPath,
    PropellerQuery(q): PropellerQuery<LookupQuery>,
    PropellerJson(body): JsonMap,
) -> Result<Response, PropellerError> {
    let (user, key) = address_of(&state, &principal, &path, q.source()).await?;
    let (mut v, mut e) = (Violations::default(), PayloadErrors::default());
    let patch = read_address(&Obj::new("#", &body), false, &mut v, &mut e);
    verdict(v, e)?;
    let address =
        state.addresses.update(&principal.project, &user, &key, patch, None).await.map_err(not_found_here(&path))?;
    // Only the fields sent (as stored now) and the id are echoed (QUIRK).
    let view = address_view(&address);
    let mut echo: serde_json::Map<String, Value> =
        view.iter().filter(|(k, _)| body.contains_key(k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    echo.insert("id".into(), json!(address.numeric_id));
    Ok(envelope(StatusCode::OK, Value::Object(echo), "Address updated", Some(1)))
}

pub async fn delete_address(
    State(state): State<AppState>,
    Admin(principal): Admin,
    path: AddressPath,
    PropellerQuery(q): PropellerQuery<LookupQuery>,
) -> Result<Response, PropellerError> {
    let (user, key) = address_of(&state, &principal, &path, q.source()).await?;
    state.addresses.delete(&principal.project, &user, &key, None).await.map_err(not_found_here(&path))?;
    Ok(envelope(StatusCode::OK, json!({}), "Address deleted", None))
}
