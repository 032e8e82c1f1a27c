//! The BuiltOn dialect (dialect-builton.md), mounted at `/builton`: a client configured with endpoint
//! `http://host:port/builton/` (Python SDK) or `http://host:port/builton` (JavaScript SDK) in place of
//! `https://api.builton.dev` works unchanged. This module only translates between BuiltOn's wire format and
//! the domain: every success is 200 with a JSON body, lists are bare arrays with `X-Pagination-Total`, and
//! every answer carries BuiltOn's CORS headers.

mod addresses;
mod error;
mod extract;
mod pagination;
mod records;
mod user_input;
mod user_view;
mod users;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;

use crate::AppState;

/// The header that carries the company's publishable key (matched in any case).
pub const API_KEY_HEADER: &str = "x-builton-api-key";

/// BuiltOn's CORS headers (B8), on every answer.
const CORS: [(&str, &str); 4] = [
    ("access-control-allow-origin", "*"),
    ("access-control-allow-methods", "PUT, GET, POST, DELETE, OPTIONS"),
    (
        "access-control-allow-headers",
        "Origin, Accept, Content-Type, X-Requested-With, X-CSRF-Token, Authorization, X-BuiltOn-Api-Key, \
         X-Kvass-Api-Key, X-Share-Api-Key",
    ),
    ("access-control-expose-headers", "X-Pagination-Total"),
];

/// Adds the CORS headers; answers a preflight (`OPTIONS`) itself, with 200 and no credentials needed.
async fn cors(request: Request, next: Next) -> Response {
    let mut response =
        if request.method() == Method::OPTIONS { StatusCode::OK.into_response() } else { next.run(request).await };
    for (name, value) in CORS {
        response.headers_mut().insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    response
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(users::list_users).post(users::create_user))
        .route("/v2/users", post(users::create_user))
        // A literal segment wins over `{id}`.
        .route("/users/search", get(users::search_users))
        .route("/users/{id}", get(users::get_user).put(users::update_user).delete(users::delete_user))
        .route("/users/{id}/addresses", put(addresses::update_addresses))
        .route("/users/{id}/orders", get(records::list_orders))
        .route("/users/{id}/payment_methods", get(records::list_payment_methods))
        .route("/users/{id}/subscriptions", get(records::list_subscriptions))
        .fallback(|| async { error::BuiltonError::route_not_found().into_response() })
        .method_not_allowed_fallback(|| async { error::BuiltonError::method_not_allowed().into_response() })
        .layer(axum::middleware::from_fn(cors))
}
