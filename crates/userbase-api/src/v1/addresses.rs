//! `/v1/users/{id}/addresses`: a user's addresses as a sub-resource.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use userbase_core::address::{Address, AddressKey, AddressType};
use userbase_core::ids::AddressId;
use userbase_core::DomainError;

use super::address_input::AddressInput;
use super::address_view::{AddressListView, AddressView};
use super::extract::{if_match, json_with_etag, Admin, V1Json, V1Query};
use super::users::user_key;
use super::Problem;
use crate::AppState;

fn address_key(id: &str) -> Result<AddressKey, Problem> {
    AddressId::parse(id).map(AddressKey::Public).ok_or_else(|| Problem::not_found("address"))
}

fn address_response(status: StatusCode, address: &Address, user_id: &str) -> Response {
    json_with_etag(status, &AddressView::new(address, user_id), address.version)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAddressesQuery {
    #[serde(rename = "type")]
    address_type: Option<String>,
}

/// List a user's addresses, optionally of one type.
#[utoipa::path(get, path = "/users/{id}/addresses", tag = "addresses", params(("id" = String, Path, description = "The user's id (`usr_...`)"), ListAddressesQuery),
    responses((status = 200, description = "The user's addresses", body = AddressListView)))]
pub async fn list_addresses(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path(user_id): Path<String>,
    V1Query(q): V1Query<ListAddressesQuery>,
) -> Result<Response, Problem> {
    let user = user_key(&user_id)?;
    let of_type = match q.address_type.as_deref() {
        None => None,
        Some(t) => Some(
            AddressType::parse("type", t)
                .map_err(|e| Problem::invalid_param("type", "invalid_address_type", e.message))?,
        ),
    };
    let addresses = state.addresses.list(&principal.project, &user, of_type).await?;
    let view = AddressListView {
        object: "list",
        data: addresses.iter().map(|a| AddressView::new(a, &user_id)).collect(),
        has_more: false,
    };
    Ok(axum::Json(view).into_response())
}

/// Add an address to a user.
#[utoipa::path(post, path = "/users/{id}/addresses", tag = "addresses", params(("id" = String, Path, description = "The user's id (`usr_...`)")), request_body = AddressInput,
    responses((status = 201, description = "Created", body = AddressView, headers(("ETag" = String, description = "The version, for If-Match")))))]
pub async fn create_address(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path(user_id): Path<String>,
    V1Json(input): V1Json<AddressInput>,
) -> Result<Response, Problem> {
    let user = user_key(&user_id)?;
    let fields = input.into_patch().map_err(DomainError::Invalid)?;
    let address = state.addresses.create(&principal.project, &user, fields).await?;
    let mut response = address_response(StatusCode::CREATED, &address, &user_id);
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/users/{user_id}/addresses/{}", address.public_id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Get one address of a user.
#[utoipa::path(get, path = "/users/{id}/addresses/{address_id}", tag = "addresses", params(("id" = String, Path, description = "The user's id (`usr_...`)"), ("address_id" = String, Path, description = "The address id (`adr_...`)")),
    responses((status = 200, description = "The address", body = AddressView, headers(("ETag" = String, description = "The version, for If-Match")))))]
pub async fn get_address(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path((user_id, address_id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let (user, key) = (user_key(&user_id)?, address_key(&address_id)?);
    let address = state.addresses.get(&principal.project, &user, &key).await?;
    Ok(address_response(StatusCode::OK, &address, &user_id))
}

/// Update an address: absent fields stay, `null` clears.
#[utoipa::path(patch, path = "/users/{id}/addresses/{address_id}", tag = "addresses", params(("id" = String, Path, description = "The user's id (`usr_...`)"), ("address_id" = String, Path, description = "The address id (`adr_...`)"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read; 412 if it is no longer current")),
    request_body = AddressInput, responses((status = 200, description = "The updated address", body = AddressView, headers(("ETag" = String, description = "The version, for If-Match")))))]
pub async fn update_address(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path((user_id, address_id)): Path<(String, String)>,
    headers: HeaderMap,
    V1Json(input): V1Json<AddressInput>,
) -> Result<Response, Problem> {
    let (user, key) = (user_key(&user_id)?, address_key(&address_id)?);
    let expected = if_match(&headers)?;
    let patch = input.into_patch().map_err(DomainError::Invalid)?;
    let address = state.addresses.update(&principal.project, &user, &key, patch, expected).await?;
    Ok(address_response(StatusCode::OK, &address, &user_id))
}

/// Delete an address.
#[utoipa::path(delete, path = "/users/{id}/addresses/{address_id}", tag = "addresses", params(("id" = String, Path, description = "The user's id (`usr_...`)"), ("address_id" = String, Path, description = "The address id (`adr_...`)"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read; 412 if it is no longer current")),
    responses((status = 200, description = "The deleted address, as it was", body = AddressView)))]
pub async fn delete_address(
    State(state): State<AppState>,
    Admin(principal): Admin,
    Path((user_id, address_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (user, key) = (user_key(&user_id)?, address_key(&address_id)?);
    let expected = if_match(&headers)?;
    let address = state.addresses.delete(&principal.project, &user, &key, expected).await?;
    Ok(address_response(StatusCode::OK, &address, &user_id))
}
