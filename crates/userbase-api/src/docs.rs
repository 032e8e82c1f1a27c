//! `/docs`: interactive documentation of the v1 API (Swagger UI). Its files are compiled into the binary
//! (the vendored Swagger UI), so the page works offline; it reads the document at `/v1/openapi.json`.

use axum::Router;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    let config = Config::new(["/v1/openapi.json"])
        // Swagger UI would otherwise send the document to an online validator.
        .validator_url("none")
        .persist_authorization(false)
        .try_it_out_enabled(true);
    SwaggerUi::new("/docs").config(config).into()
}
