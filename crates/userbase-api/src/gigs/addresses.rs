//! `/projects/{project}/users/{user}/addresses`: the Gigs `userAddress` sub-resource over canonical
//! addresses. `line1` is the street line, `line2` the building line, `state` the region; addresses created
//! here are of type `home`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use userbase_core::address::{Address, AddressKey, AddressType};
use userbase_core::error::{FieldError, FieldErrors};
use userbase_core::ids::{AddressId, PublicUserId};
use userbase_core::patch::Patch;
use userbase_core::services::AddressPatch;
use userbase_core::user::UserKey;
use userbase_core::values::{parse_text, CountryCode, TextLimit};
use userbase_core::DomainError;

use super::error::GigsError;
use super::extract::{authorize, json, query};
use super::user_view::{gigs_time, GigsList};
use super::users::NoQuery;
use crate::AppState;

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 200;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GigsAddress<'a> {
    object: &'static str,
    id: &'a str,
    city: Option<&'a str>,
    country: Option<&'static str>,
    line1: Option<&'a str>,
    line2: Option<&'a str>,
    postal_code: Option<&'a str>,
    state: Option<&'a str>,
    created_at: String,
}

impl<'a> From<&'a Address> for GigsAddress<'a> {
    fn from(a: &'a Address) -> Self {
        let f = &a.fields;
        Self {
            object: "userAddress",
            id: a.public_id.as_str(),
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
struct AddressBody {
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressPageQuery {
    after: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

fn keys(user: &str, address: Option<&str>) -> Result<(UserKey, Option<AddressKey>), GigsError> {
    let user = PublicUserId::parse(user).map(UserKey::Public).ok_or_else(|| GigsError::not_found("User not found."))?;
    let address = match address {
        None => None,
        Some(a) => Some(
            AddressId::parse(a).map(AddressKey::Public).ok_or_else(|| GigsError::not_found("Address not found."))?,
        ),
    };
    Ok((user, address))
}

fn address_response(status: StatusCode, a: &Address) -> Response {
    (status, axum::Json(GigsAddress::from(a))).into_response()
}

pub async fn list_addresses(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((project, user)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, GigsError> {
    let principal = authorize(&state, &headers, &project).await?;
    let (user, _) = keys(&user, None)?;
    let q: AddressPageQuery = query(raw.as_deref())?;
    let limit = match &q.limit {
        None => DEFAULT_LIMIT,
        Some(l) => l.parse::<usize>().ok().filter(|l| *l <= MAX_LIMIT).ok_or_else(|| {
            GigsError::invalid_property("limit", "propertyInvalid", "limit must be an integer from 0 to 200.")
        })?,
    };
    if q.after.is_some() && q.before.is_some() {
        return Err(GigsError::invalid_property("after", "propertyInvalid", "after and before cannot be combined."));
    }
    // Newest first; a user has at most 100 addresses, so the page is cut in memory.
    let mut all = state.addresses.list(&principal.project, &user, None).await?;
    all.reverse();
    let find = |name: &str, id: &str| {
        all.iter().position(|a| a.public_id.as_str() == id).ok_or_else(|| {
            GigsError::invalid_property(
                name,
                "propertyInvalid",
                format!("{name} does not name an address of this user."),
            )
        })
    };
    let (start, end) = match (&q.after, &q.before) {
        (Some(id), _) => {
            let i = find("after", id)? + 1;
            (i, (i + limit).min(all.len()))
        }
        (_, Some(id)) => {
            let i = find("before", id)?;
            (i.saturating_sub(limit), i)
        }
        _ => (0, limit.min(all.len())),
    };
    let page = &all[start..end];
    let list = GigsList {
        object: "list",
        more_items_after: page.last().filter(|_| end < all.len()).map(|a| a.public_id.to_string()),
        more_items_before: page.first().filter(|_| start > 0).map(|a| a.public_id.to_string()),
        items: page.iter().map(GigsAddress::from).collect(),
    };
    Ok(axum::Json(list).into_response())
}

pub async fn create_address(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((project, user)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GigsError> {
    let principal = authorize(&state, &headers, &project).await?;
    let (user, _) = keys(&user, None)?;
    let _: NoQuery = query(raw.as_deref())?;
    let input: AddressBody = json(&headers, body)?;
    let fields = input.into_patch().map_err(DomainError::Invalid)?;
    let address = state.addresses.create(&principal.project, &user, fields).await?;
    Ok(address_response(StatusCode::CREATED, &address))
}

pub async fn get_address(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((project, user, address)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, GigsError> {
    let principal = authorize(&state, &headers, &project).await?;
    let (user, address) = keys(&user, Some(&address))?;
    let _: NoQuery = query(raw.as_deref())?;
    let key = address.ok_or_else(|| GigsError::not_found("Address not found."))?;
    let address = state.addresses.get(&principal.project, &user, &key).await?;
    Ok(address_response(StatusCode::OK, &address))
}

pub async fn delete_address(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((project, user, address)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, GigsError> {
    let principal = authorize(&state, &headers, &project).await?;
    let (user, address) = keys(&user, Some(&address))?;
    let _: NoQuery = query(raw.as_deref())?;
    let key = address.ok_or_else(|| GigsError::not_found("Address not found."))?;
    let address = state.addresses.delete(&principal.project, &user, &key, None).await?;
    Ok(address_response(StatusCode::OK, &address))
}
