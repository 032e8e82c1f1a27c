//! userbase's own API, `/v1`: snake_case JSON, RFC 9457 problems, cursor pagination.

mod address_input;
mod address_view;
mod addresses;
mod bulk;
mod cursor;
mod extract;
pub mod idempotency;
mod keys;
mod me;
mod organizations;
mod pricing;
mod problem;
mod project;
mod records;
mod user_input;
mod user_view;
mod users;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

pub use bulk::{bulk_mode, parse_item};
pub use problem::Problem;
pub use user_view::UserView;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/keys", get(keys::list_keys).post(keys::create_key))
        .route("/keys/{id}", axum::routing::delete(keys::revoke_key))
        .route("/organizations", get(organizations::list_organizations).post(organizations::create_organization))
        .route(
            "/organizations/{id}",
            get(organizations::get_organization)
                .patch(organizations::update_organization)
                .delete(organizations::delete_organization),
        )
        .route("/organizations/{id}/members", get(organizations::list_members))
        .route(
            "/organizations/{id}/members/{user_id}",
            axum::routing::put(organizations::put_member).delete(organizations::remove_member),
        )
        .route("/users/{id}/organizations", get(organizations::list_user_organizations))
        .route(
            "/users/{id}/pricing",
            get(pricing::list_pricing).post(pricing::put_pricing).delete(pricing::delete_pricing),
        )
        .route("/users/{id}/{collection}", get(records::list_records).post(records::create_record))
        .route(
            "/users/{id}/{collection}/{record_id}",
            get(records::get_record).patch(records::update_record).delete(records::delete_record),
        )
        .route("/users/{id}/default_organization", axum::routing::put(organizations::set_default_organization))
        .route("/me", get(me::get_me).patch(me::update_me).delete(me::delete_me))
        .route("/project", get(project::get_project).patch(project::update_project))
        .route("/users", get(users::list_users).post(users::create_user))
        .route("/users/search", post(users::search_users))
        .route("/users/bulk", post(bulk::bulk_users))
        .route("/users/{id}", get(users::get_user).patch(users::update_user).delete(users::delete_user))
        .route("/users/{id}/restore", post(users::restore_user))
        .route("/users/{id}/addresses", get(addresses::list_addresses).post(addresses::create_address))
        .route(
            "/users/{id}/addresses/{address_id}",
            get(addresses::get_address).patch(addresses::update_address).delete(addresses::delete_address),
        )
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "route_not_found", "Not found", "No such endpoint.") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
                "This endpoint does not support this method.",
            )
        })
}
