//! `Idempotency-Key` on v1 POSTs: the first request with a key runs and its response is stored; a retry
//! with the same key and body gets that response again (`Idempotent-Replayed: true`) for 24 hours; the same
//! key with another body is a 422. Bulk imports are left out: their re-runs are idempotent by design.

use std::collections::BTreeMap;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use userbase_core::idempotency::{request_hash, valid_key, Admission, StoredResponse};
use userbase_core::ids::ProjectId;
use userbase_core::DomainError;

use super::Problem;
use crate::{auth, AppState, MAX_BODY_BYTES};

const HEADER: &str = "idempotency-key";
/// Response headers worth replaying.
const KEPT_HEADERS: [&str; 3] = ["content-type", "location", "etag"];
/// Largest response stored for replay.
const MAX_STORED_RESPONSE: usize = 4 * 1024 * 1024;

pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || req.uri().path().ends_with("/users/bulk") {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER).map(|v| v.to_str().unwrap_or("").to_owned()) else {
        return next.run(req).await;
    };
    // Unauthenticated requests go on to be refused by the handler, in the usual order.
    let Ok(principal) = auth::secret_key(&state, req.headers()).await else {
        return next.run(req).await;
    };
    if !valid_key(&key) {
        return Problem::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key is 1 to 255 visible ASCII characters.",
        )
        .into_response();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return Problem::from(crate::dialect::BodyError::TooLarge).into_response();
    };
    let hash = request_hash(parts.method.as_str(), parts.uri.path(), &bytes);
    let project = principal.project.id.clone();
    // From the claim on, the request runs to its end in a task of its own even if the client hangs up: a
    // claim left open would answer every retry with 409 for the whole replay window, and a write done but
    // not recorded would be done again by a retry.
    let task = tokio::spawn(run_once(state.clone(), project.clone(), key.clone(), hash, parts, bytes, next));
    match task.await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "an idempotent request failed");
            if let Err(e) = state.idempotency.release(&project, &key).await {
                tracing::warn!(error = %e, "could not release an idempotency key");
            }
            Problem::from(DomainError::Internal("the request failed".into())).into_response()
        }
    }
}

/// Claims the key, then runs the request once and stores its response, or answers from the stored one.
async fn run_once(
    state: AppState,
    project: ProjectId,
    key: String,
    hash: [u8; 32],
    parts: axum::http::request::Parts,
    bytes: axum::body::Bytes,
    next: Next,
) -> Response {
    let project = &project;
    match state.idempotency.admit(project, &key, &hash).await {
        Err(e) => Problem::from(e).into_response(),
        Ok(Admission::Mismatch) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "Idempotency key reused",
            "This Idempotency-Key was used with a different request.",
        )
        .into_response(),
        Ok(Admission::InProgress) => Problem::new(
            StatusCode::CONFLICT,
            "idempotency_key_in_progress",
            "Request in progress",
            "A request with this Idempotency-Key is still running; retry shortly.",
        )
        .into_response(),
        Ok(Admission::Replay(stored)) => replay(stored),
        Ok(Admission::Proceed) => {
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            if response.status().is_server_error() {
                if let Err(e) = state.idempotency.release(project, &key).await {
                    tracing::warn!(error = %e, "could not release an idempotency key");
                }
                return response;
            }
            let (parts, body) = response.into_parts();
            let Ok(bytes) = to_bytes(body, MAX_STORED_RESPONSE).await else {
                let _ = state.idempotency.release(project, &key).await;
                return Problem::from(DomainError::Internal("response too large to keep".into())).into_response();
            };
            let headers: BTreeMap<String, String> = KEPT_HEADERS
                .iter()
                .filter_map(|h| {
                    parts.headers.get(*h).and_then(|v| v.to_str().ok()).map(|v| ((*h).to_owned(), v.to_owned()))
                })
                .collect();
            let stored = StoredResponse { status: parts.status.as_u16(), body: bytes.to_vec(), headers };
            if let Err(e) = state.idempotency.complete(project, &key, &stored).await {
                tracing::warn!(error = %e, "could not store an idempotent response");
            }
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
