//! The BoltonSea dialect (dialect-boltonsea.md, with the paths of decisions.md "Surfaces"), mounted at
//! `/boltonsea`: what a client sends to `https://api.boltonsea.com/...` works at `http://host:port/boltonsea/...`.
//! Every request carries a user-bound key in `X-API-KEY`; its user is "the currently logged-in user" and its
//! scopes are BoltonSea's access flags (read GET, create POST, update PUT, delete DELETE, manage all). This
//! module only translates between the BoltonSea wire format and the domain.

mod error;
mod extract;
mod user_input;
mod user_view;
mod users;

use axum::routing::{get, put};
use axum::Router;
use userbase_core::values::MetadataLimits;

use crate::AppState;
use error::BoltonSeaError;

/// The header that carries the key.
const API_KEY_HEADER: &str = "x-api-key";

/// The source of the external ref that holds a user's `other_id`.
const OTHER_ID_SOURCE: &str = "other_id";

/// What every user created here gets (BoltonSea's sign-up, 003.3): an organization of this name, as Owner.
const DEFAULT_ORGANIZATION_NAME: &str = "Default Profile";
const OWNER_ROLE: &str = "Owner";

/// BoltonSea users carry no metadata; the canonical limits apply to what other surfaces write.
const LIMITS: MetadataLimits = MetadataLimits::DEFAULT;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(users::get_me).post(users::create_user).put(users::update_me).delete(users::delete_me))
        .route("/users/me", get(users::get_me).put(users::update_me).delete(users::delete_me))
        .route("/users/default_account", put(users::set_default_account))
        .route("/users/email/{email}", get(users::find_user_by_email))
        .fallback(|| async { BoltonSeaError::not_found("No endpoint for this path") })
        .method_not_allowed_fallback(|| async { BoltonSeaError::method_not_allowed() })
        .layer(axum::middleware::from_fn(error::with_request_path))
}
