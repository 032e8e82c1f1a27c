//! `POST /propeller/oauth2/token`: OAuth2 client credentials (RFC 6749 4.4). `client_id` is a secret key's
//! id, `client_secret` the secret key itself (form fields or HTTP Basic); the answer is a 30-minute bearer
//! token accepted wherever that key is. Errors follow RFC 6749 5.2.

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;

#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    #[allow(dead_code)]
    scope: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (status, axum::Json(json!({"error": error, "error_description": description}))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Client credentials from an `Authorization: Basic` header, if present.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

pub async fn issue_token(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: TokenForm = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "The body is not a valid form."),
    };
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only client_credentials is supported.",
            )
        }
        None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required."),
    }
    let (client_id, client_secret) = match (form.client_id, form.client_secret, basic_credentials(&headers)) {
        (Some(id), Some(secret), _) => (id, secret),
        (None, None, Some(basic)) => basic,
        _ => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "client_id and client_secret are required.")
        }
    };
    match state.keys.issue_access_token(&client_id, &client_secret).await {
        Ok(Some((token, expires_in))) => {
            let mut response = axum::Json(json!({
                "access_token": token,
                "expires_in": expires_in,
                "token_type": "Bearer",
                "scope": "profile",
            }))
            .into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Ok(None) => {
            state.metrics.auth_failure("oauth_invalid_client");
            oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unknown client or wrong secret.")
        }
        Err(e) => {
            tracing::error!(error = %e, "token issue failed");
            oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "The token could not be issued.")
        }
    }
}
