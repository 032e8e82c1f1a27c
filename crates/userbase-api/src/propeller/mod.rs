//! The Propeller dialect (dialect-propeller.md), mounted at `/propeller`: `POST /propeller/oauth2/token`
//! issues access tokens, and `/propeller/v2` serves the users API, so that an integration written for
//! `https://api.helice.cloud/v2` works against `http://host:port/propeller/v2`. This module only translates
//! between Propeller's wire format and the domain.

mod address_input;
mod address_view;
mod addresses;
mod bulk;
mod error;
mod extract;
mod oauth;
mod pagination;
mod pricing;
mod schema;
mod user_input;
mod user_view;
mod users;

use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::Router;

use crate::AppState;
use error::PropellerError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/oauth2/token", post(oauth::issue_token)).nest("/v2", v2())
}

/// The users API. Literal segments (`bulk`) win over lookup keys; trailing slashes are optional (the docs
/// write both).
fn v2() -> Router<AppState> {
    let user = "/users/{lookup_key}/{lookup_value}";
    let mut router = Router::new();
    for slash in ["", "/"] {
        router = router
            .route(&format!("/users{slash}"), post(users::create_user).get(users::list_users))
            .route(&format!("/users/bulk/sourceId{slash}"), post(bulk::bulk_by_source_id))
            .route(&format!("/users/bulk/id{slash}"), post(bulk::bulk_by_id))
            .route(&format!("{user}{slash}"), get(users::get_user).patch(users::update_user).delete(users::delete_user))
            .route(&format!("{user}/addresses{slash}"), get(addresses::list_addresses).post(addresses::create_address))
            .route(&format!("{user}/addresses/bulk{slash}"), post(addresses::bulk_addresses))
            .route(
                &format!("{user}/addresses/{{address_id}}{slash}"),
                get(addresses::get_address).patch(addresses::update_address).delete(addresses::delete_address),
            )
            .route(&format!("{user}/pricing{slash}"), post(pricing::create_pricing).delete(pricing::delete_pricing));
    }
    // A catch-all route, since a fallback of a router nested twice is not reached.
    router
        .route("/{*rest}", any(|| async { PropellerError::route_not_found().into_response() }))
        .fallback(|| async { PropellerError::route_not_found().into_response() })
        .method_not_allowed_fallback(|| async { PropellerError::method_not_allowed().into_response() })
}
