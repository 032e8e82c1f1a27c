//! The Propeller dialect, mounted at `/propeller`. For now its OAuth2 token endpoint (the users API comes
//! with the Propeller issue).

mod oauth;

use axum::routing::post;
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/oauth2/token", post(oauth::issue_token))
}
