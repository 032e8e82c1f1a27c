//! Propeller extractors, in the order the vendor checks: the bearer credential (an OAuth2 access token or
//! a secret key), then the lookup key in the path, then the query or body; each failure in the Propeller
//! error envelope.

use axum::extract::{FromRequest, FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use serde_json::{Map, Value};

use super::error::{Named, PropellerError};
use crate::auth::Principal;
use crate::dialect;
use crate::AppState;

/// A JSON object body, kept as a map for the schema checks of `schema.rs`.
#[derive(FromRequest)]
#[from_request(via(dialect::Json), rejection(PropellerError))]
pub struct PropellerJson<T>(pub T);

/// A JSON object body as a map.
pub type JsonMap = PropellerJson<Map<String, Value>>;

/// A strict query string.
#[derive(FromRequestParts)]
#[from_request(via(dialect::Query), rejection(PropellerError))]
pub struct PropellerQuery<T>(pub T);

/// The caller: a secret key of the project, or its OAuth2 access token.
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = PropellerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PropellerError> {
        let dialect::SecretKey(principal) = dialect::SecretKey::from_request_parts(parts, state).await?;
        Ok(Admin(principal))
    }
}

/// How the path names a user (002.3 "Lookup keys").
#[derive(Debug, Clone)]
pub enum Lookup {
    /// `/users/id/{n}`; `None` for a value that is no integer id we issue (it names no user).
    Id(Option<i64>),
    /// `/users/sourceId/{value}`.
    SourceId(String),
}

/// The lookup key and value of `/users/{lookupKey}/{lookupValue}`, as named (for messages) and parsed.
pub struct UserPath {
    pub named: Named,
    pub lookup: Lookup,
}

async fn params(parts: &mut Parts, state: &AppState) -> Result<RawPathParams, PropellerError> {
    RawPathParams::from_request_parts(parts, state).await.map_err(|_| PropellerError::route_not_found())
}

fn param<'a>(params: &'a RawPathParams, name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}

impl FromRequestParts<AppState> for UserPath {
    type Rejection = PropellerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PropellerError> {
        let params = params(parts, state).await?;
        let (key, value) = (param(&params, "lookup_key").unwrap_or(""), param(&params, "lookup_value").unwrap_or(""));
        let (key, lookup) = match key {
            "id" => ("id", Lookup::Id(value.parse::<i64>().ok().filter(|id| *id > 0))),
            "sourceId" => ("sourceId", Lookup::SourceId(value.to_owned())),
            other => return Err(PropellerError::invalid_lookup_key(other)),
        };
        Ok(UserPath { named: Named { key, value: value.to_owned() }, lookup })
    }
}

/// The `{address_id}` of an address path, with the user's path; `None` names no address.
pub struct AddressPath {
    pub user: UserPath,
    pub raw: String,
    pub id: Option<i64>,
}

impl FromRequestParts<AppState> for AddressPath {
    type Rejection = PropellerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PropellerError> {
        let user = UserPath::from_request_parts(parts, state).await?;
        let params = params(parts, state).await?;
        let raw = param(&params, "address_id").unwrap_or("").to_owned();
        let id = raw.parse::<i64>().ok().filter(|id| *id > 0);
        Ok(AddressPath { user, raw, id })
    }
}
