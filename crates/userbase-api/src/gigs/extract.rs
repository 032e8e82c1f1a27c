//! Gigs extractors, in the documented order of checks (001.2): credentials first, then the path, then the
//! query or body; each failure in the Gigs error shape.

use axum::extract::{FromRequest, FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use userbase_core::address::AddressKey;
use userbase_core::ids::{AddressId, PublicUserId};
use userbase_core::user::UserKey;

use super::error::GigsError;
use crate::auth::Principal;
use crate::dialect;
use crate::AppState;

/// A JSON object body of type `T`.
#[derive(FromRequest)]
#[from_request(via(dialect::Json), rejection(GigsError))]
pub struct GigsJson<T>(pub T);

/// A strict query string: unknown, empty or ill-typed parameters are errors, never ignored.
#[derive(FromRequestParts)]
#[from_request(via(dialect::QueryNoEmpty), rejection(GigsError))]
pub struct GigsQuery<T>(pub T);

/// A path parameter by name (every Gigs route names its parameters).
fn path_param<'a>(params: &'a RawPathParams, name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}

async fn path_params(parts: &mut Parts, state: &AppState) -> Result<RawPathParams, GigsError> {
    RawPathParams::from_request_parts(parts, state).await.map_err(|_| GigsError::not_found("Not found."))
}

/// A secret key of the project named in the path; another project's key gets 403.
pub struct ProjectAdmin(pub Principal);

impl FromRequestParts<AppState> for ProjectAdmin {
    type Rejection = GigsError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, GigsError> {
        let dialect::SecretKey(principal) = dialect::SecretKey::from_request_parts(parts, state).await?;
        let params = path_params(parts, state).await?;
        if path_param(&params, "project") != Some(principal.project.id.as_str()) {
            return Err(GigsError::permission_denied());
        }
        Ok(ProjectAdmin(principal))
    }
}

/// The user named by the path's `{user}`; anything that is not a user id names no user.
pub struct UserPath(pub UserKey);

impl FromRequestParts<AppState> for UserPath {
    type Rejection = GigsError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, GigsError> {
        let params = path_params(parts, state).await?;
        path_param(&params, "user")
            .and_then(PublicUserId::parse)
            .map(|id| UserPath(UserKey::Public(id)))
            .ok_or_else(|| GigsError::not_found("User not found."))
    }
}

/// The user and address named by the path's `{user}` and `{address}`.
pub struct AddressPath(pub UserKey, pub AddressKey);

impl FromRequestParts<AppState> for AddressPath {
    type Rejection = GigsError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, GigsError> {
        let UserPath(user) = UserPath::from_request_parts(parts, state).await?;
        let params = path_params(parts, state).await?;
        let address = path_param(&params, "address")
            .and_then(AddressId::parse)
            .map(AddressKey::Public)
            .ok_or_else(|| GigsError::not_found("Address not found."))?;
        Ok(AddressPath(user, address))
    }
}
