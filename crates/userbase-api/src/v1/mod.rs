//! userbase's own API, `/v1`: snake_case JSON, RFC 9457 problems, cursor pagination.

mod address_input;
mod address_view;
mod addresses;
mod bulk;
mod extract;
pub mod idempotency;
mod keys;
mod me;
pub mod openapi;
mod organizations;
mod personal_data;
mod pricing;
mod problem;
mod project;
pub mod query_guard;
mod records;
mod user_input;
mod user_view;
mod users;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use bulk::{bulk_mode, parse_item};
pub use problem::Problem;
pub use user_view::UserView;

use crate::AppState;

/// The v1 routes, each registered from its handler's `#[utoipa::path]` (see `openapi`), plus the document
/// itself. Paths are relative to `/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::search_users))
        .routes(routes!(bulk::bulk_users))
        .routes(routes!(users::get_user, users::update_user, users::delete_user))
        .routes(routes!(users::restore_user))
        .routes(routes!(personal_data::erase_user))
        .routes(routes!(personal_data::export_user))
        .routes(routes!(addresses::list_addresses, addresses::create_address))
        .routes(routes!(addresses::get_address, addresses::update_address, addresses::delete_address))
        .routes(routes!(organizations::list_organizations, organizations::create_organization))
        .routes(routes!(
            organizations::get_organization,
            organizations::update_organization,
            organizations::delete_organization
        ))
        .routes(routes!(organizations::list_members))
        .routes(routes!(organizations::put_member, organizations::remove_member))
        .routes(routes!(organizations::list_user_organizations))
        .routes(routes!(organizations::set_default_organization))
        .routes(routes!(pricing::list_pricing, pricing::put_pricing, pricing::delete_pricing))
        .routes(routes!(records::orders::list_orders, records::orders::create_order))
        .routes(routes!(records::orders::get_order, records::orders::update_order, records::orders::delete_order))
        .routes(routes!(
            records::payment_methods::list_payment_methods,
            records::payment_methods::create_payment_method
        ))
        .routes(routes!(
            records::payment_methods::get_payment_method,
            records::payment_methods::update_payment_method,
            records::payment_methods::delete_payment_method
        ))
        .routes(routes!(records::subscriptions::list_subscriptions, records::subscriptions::create_subscription))
        .routes(routes!(
            records::subscriptions::get_subscription,
            records::subscriptions::update_subscription,
            records::subscriptions::delete_subscription
        ))
        .routes(routes!(me::get_me, me::update_me, me::delete_me))
        .routes(routes!(project::get_project, project::update_project))
        .routes(routes!(keys::list_keys, keys::create_key))
        .routes(routes!(keys::revoke_key))
        .route("/openapi.json", get(serve_openapi))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "route_not_found", "Not found", "No such endpoint.") })
}

/// Answers for a known path with a method it does not take (axum's own answer is an empty 405).
pub fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
        "This endpoint does not support this method.",
    )
}

async fn serve_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi::document_json())
}
