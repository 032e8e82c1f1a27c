//! The Gigs dialect (dialect-gigs.md), mounted at `/gigs`: a client configured with base URL
//! `http://host:port/gigs` in place of `https://api.gigs.com` works unchanged. This module only translates
//! between the Gigs wire format and the domain.

mod addresses;
mod error;
mod extract;
mod pagination;
mod user_input;
mod user_view;
mod users;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use userbase_core::values::MetadataLimits;

use crate::AppState;

/// Gigs' metadata limits: 10 keys, 40-character keys, 255-character values.
const METADATA_LIMITS: MetadataLimits = MetadataLimits { max_keys: 10, max_key_chars: 40, max_value_chars: 255 };

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{project}/users", get(users::list_users).post(users::create_user))
        // A literal segment wins over `{user}`: POST here is the search; GET is the user with id "search" (404).
        .route("/projects/{project}/users/search", post(users::search_users).get(users::get_user_named_search))
        .route(
            "/projects/{project}/users/{user}",
            get(users::get_user).patch(users::update_user).delete(users::delete_user),
        )
        .route(
            "/projects/{project}/users/{user}/addresses",
            get(addresses::list_addresses).post(addresses::create_address),
        )
        .route(
            "/projects/{project}/users/{user}/addresses/{address}",
            get(addresses::get_address).delete(addresses::delete_address),
        )
        .fallback(|| async { error::GigsError::not_found("Not found.").into_response() })
        .method_not_allowed_fallback(|| async {
            (
                StatusCode::METHOD_NOT_ALLOWED,
                axum::Json(serde_json::json!({"object": "error", "type": "methodNotAllowed", "message": "Method not allowed."})),
            )
        })
}
