//! BuiltOn extractors, in the order BuiltOn checks (000.2): the credentials (`X-Builton-Api-Key` with a
//! service-account key or an end user's JWT as `Authorization: Bearer`), then the user the path names (an
//! ObjectId or `me`), then the query or body; each failure in BuiltOn's error shape.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use userbase_core::ids::ObjectId;
use userbase_core::project::Project;
use userbase_core::user::UserKey;
use userbase_core::DomainError;

use super::error::BuiltonError;
use super::user_input::{AddressBody, AddressesBody};
use crate::auth::{self, Caller, EndUserHeaders, Principal};
use crate::dialect::{self, ObjectOrArray};
use crate::AppState;

/// BuiltOn's credential headers: the publishable key in `X-Builton-Api-Key` (any case), the JWT as bearer.
const HEADERS: EndUserHeaders = EndUserHeaders { publishable_key: super::API_KEY_HEADER, user_key: None };

/// A JSON object body of type `T`.
#[derive(FromRequest)]
#[from_request(via(dialect::Json), rejection(BuiltonError))]
pub struct BuiltonJson<T>(pub T);

/// A strict query string: unknown or ill-typed parameters are errors, never ignored.
#[derive(FromRequestParts)]
#[from_request(via(dialect::Query), rejection(BuiltonError))]
pub struct BuiltonQuery<T>(pub T);

/// `PUT .../addresses`: `{"addresses": [...]}` or a bare `[...]`.
pub struct AddressesInput(pub Vec<AddressBody>);

impl FromRequest<AppState> for AddressesInput {
    type Rejection = BuiltonError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, BuiltonError> {
        let dialect::JsonObjectOrArray(body) =
            dialect::JsonObjectOrArray::<AddressesBody, AddressBody>::from_request(req, state).await?;
        Ok(AddressesInput(match body {
            ObjectOrArray::Object(wrapped) => wrapped.addresses,
            ObjectOrArray::Array(items) => items,
        }))
    }
}

/// Whoever calls, admin or end user.
pub struct AnyCaller(pub Caller);

impl FromRequestParts<AppState> for AnyCaller {
    type Rejection = BuiltonError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, BuiltonError> {
        Ok(AnyCaller(auth::admin_or_end_user(state, &parts.headers, HEADERS, parts.method.as_str()).await?))
    }
}

/// A service account (the Admin Role routes); an end user gets 403.
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = BuiltonError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, BuiltonError> {
        match AnyCaller::from_request_parts(parts, state).await?.0 {
            Caller::Admin(principal) => Ok(Admin(principal)),
            Caller::EndUser(_) => Err(BuiltonError::forbidden()),
        }
    }
}

/// The user the path's `{id}` names, as the caller may reach it: an admin names any user of its project by
/// ObjectId (`me` names none: 404); an end user names their own account, as `me` or by its ObjectId (any
/// other id: 403).
pub struct Target {
    pub project: Arc<Project>,
    pub user: UserKey,
    /// The id as the client wrote it, for errors.
    pub wire_id: String,
    /// The caller is a service account (admin), not the end user.
    pub admin: bool,
}

impl FromRequestParts<AppState> for Target {
    type Rejection = BuiltonError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, BuiltonError> {
        let AnyCaller(caller) = AnyCaller::from_request_parts(parts, state).await?;
        let params =
            RawPathParams::from_request_parts(parts, state).await.map_err(|_| BuiltonError::route_not_found())?;
        let wire_id = params.iter().find(|(n, _)| *n == "id").map(|(_, v)| v.to_owned()).unwrap_or_default();
        let user = match &caller {
            Caller::Admin(_) => match ObjectId::parse(&wire_id) {
                Some(id) => UserKey::Object(id),
                None => return Err(BuiltonError::user_not_found(&wire_id)),
            },
            Caller::EndUser(me) if wire_id == "me" => me.user.clone(),
            Caller::EndUser(me) => match state.users.get(&me.project, &me.user).await {
                Ok(own) if own.object_id.as_str() == wire_id => UserKey::Object(own.object_id),
                Ok(_) | Err(DomainError::NotFound { .. }) => return Err(BuiltonError::forbidden()),
                Err(e) => return Err(e.into()),
            },
        };
        let admin = matches!(caller, Caller::Admin(_));
        Ok(Target { project: caller.project().clone(), user, wire_id, admin })
    }
}
