//! `/projects/{project}/users/{user}/addresses`: the Gigs `userAddress` sub-resource over canonical
//! addresses. `line1` is the street line, `line2` the building line, `state` the region; addresses created
//! here are of type `home`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use userbase_core::address::{Address, AddressType};
use userbase_core::error::{FieldError, FieldErrors};
use userbase_core::patch::Patch;
use userbase_core::services::AddressPatch;
use userbase_core::user::UserKey;
use userbase_core::values::{parse_text, CountryCode, TextLimit};
use userbase_core::DomainError;

use super::error::GigsError;
use super::extract::{AddressPath, GigsJson, GigsQuery, ProjectAdmin, UserPath};
use super::pagination::{GigsList, PageQuery};
use super::user_view::gigs_time;
use crate::dialect::NoParams;
use crate::AppState;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GigsAddress<'a> {
    object: &'static str,
    id: &'a str,
    /// The owning user's id (the published Gigs client reads it).
    user: &'a str,
    city: Option<&'a str>,
    country: Option<&'static str>,
    line1: Option<&'a str>,
    line2: Option<&'a str>,
    postal_code: Option<&'a str>,
    state: Option<&'a str>,
    created_at: String,
}

impl<'a> GigsAddress<'a> {
    fn new(a: &'a Address, user: &'a str) -> Self {
        let f = &a.fields;
        Self {
            object: "userAddress",
            id: a.public_id.as_str(),
            user,
            city: f.city.as_deref(),
            country: f.country.map(|c| c.as_str()),
            line1: f.street.as_deref(),
            line2: f.building.as_deref(),
            postal_code: f.postal_code.as_deref(),
            state: f.region.as_deref(),
            created_at: gigs_time(a.created_at),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddressBody {
    city: Option<String>,
    country: Option<String>,
    line1: Option<String>,
    line2: Option<String>,
    postal_code: Option<String>,
    state: Option<String>,
}

fn required(e: &mut FieldErrors, name: &str, value: Option<String>) -> Option<String> {
    match value {
        Some(v) if !v.is_empty() => e.take(parse_text(name, &v, TextLimit::Short)),
        _ => {
            e.push(FieldError::new(name, "propertyRequired", format!("{name} is required.")));
            None
        }
    }
}

fn optional(e: &mut FieldErrors, name: &str, value: Option<String>) -> Patch<String> {
    match value {
        Some(v) => e.take(parse_text(name, &v, TextLimit::Short)).map_or(Patch::Keep, Patch::Set),
        None => Patch::Keep,
    }
}

impl AddressBody {
    fn into_patch(self) -> Result<AddressPatch, Vec<FieldError>> {
        let mut e = FieldErrors::new();
        let city = required(&mut e, "city", self.city);
        let line1 = required(&mut e, "line1", self.line1);
        let country = match self.country {
            Some(c) => e.take(CountryCode::parse("country", &c)),
            None => {
                e.push(FieldError::new("country", "propertyRequired", "country is required."));
                None
            }
        };
        let patch = AddressPatch {
            address_type: Some(AddressType::Home),
            city: city.map_or(Patch::Keep, Patch::Set),
            street: line1.map_or(Patch::Keep, Patch::Set),
            country: country.map_or(Patch::Keep, Patch::Set),
            building: optional(&mut e, "line2", self.line2),
            postal_code: optional(&mut e, "postalCode", self.postal_code),
            region: optional(&mut e, "state", self.state),
            ..AddressPatch::default()
        };
        e.finish()?;
        Ok(patch)
    }
}

/// The public id of the user in the path (the Gigs paths name users by public id only).
fn user_id(user: &UserKey) -> &str {
    match user {
        UserKey::Public(id) => id.as_str(),
        _ => "",
    }
}

fn address_response(status: StatusCode, a: &Address, user: &UserKey) -> Response {
    (status, axum::Json(GigsAddress::new(a, user_id(user)))).into_response()
}

/// Newest first, paged by address id.
pub async fn list_addresses(
    State(state): State<AppState>,
    ProjectAdmin(principal): ProjectAdmin,
    UserPath(user): UserPath,
    GigsQuery(q): GigsQuery<PageQuery>,
) -> Result<Response, GigsError> {
    let page = state.addresses.page(&principal.project, &user, q.params()?).await?;
    let list = GigsList::of(&page, |a| a.public_id.as_str(), |a| GigsAddress::new(a, user_id(&user)));
    Ok(axum::Json(list).into_response())
}

pub async fn create_address(
    State(state): State<AppState>,
    ProjectAdmin(principal): ProjectAdmin,
    UserPath(user): UserPath,
    GigsQuery(NoParams {}): GigsQuery<NoParams>,
    GigsJson(input): GigsJson<AddressBody>,
) -> Result<Response, GigsError> {
    let fields = input.into_patch().map_err(DomainError::Invalid)?;
    let address = state.addresses.create(&principal.project, &user, fields).await?;
    Ok(address_response(StatusCode::CREATED, &address, &user))
}

pub async fn get_address(
    State(state): State<AppState>,
    ProjectAdmin(principal): ProjectAdmin,
    AddressPath(user, key): AddressPath,
    GigsQuery(NoParams {}): GigsQuery<NoParams>,
) -> Result<Response, GigsError> {
    let address = state.addresses.get(&principal.project, &user, &key).await?;
    Ok(address_response(StatusCode::OK, &address, &user))
}

pub async fn delete_address(
    State(state): State<AppState>,
    ProjectAdmin(principal): ProjectAdmin,
    AddressPath(user, key): AddressPath,
    GigsQuery(NoParams {}): GigsQuery<NoParams>,
) -> Result<Response, GigsError> {
    let address = state.addresses.delete(&principal.project, &user, &key, None).await?;
    Ok(address_response(StatusCode::OK, &address, &user))
}
