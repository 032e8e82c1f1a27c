//! Helpers for the BoltonSea dialect tests: requests with `X-API-KEY`, a user with a key, and the Spring Boot
//! error shape.

use reqwest::Method;
use serde_json::{json, Value};

use crate::auth_support::user_key;
use crate::support::{Reply, TestApp};

/// `/boltonsea` + `path` with `key` (if any) in `X-API-KEY`.
pub async fn bs(app: &TestApp, method: Method, path: &str, key: Option<&str>, body: Option<&Value>) -> Reply {
    let mut req = app.http.request(method, format!("{}/boltonsea{path}", app.base));
    if let Some(key) = key {
        req = req.header("X-API-KEY", key);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    TestApp::read(req).await
}

/// A user of project `acme` (created through v1 with `body`) and a key bound to it with `scopes`: the v1 user
/// and the key.
pub async fn user_with_key(app: &TestApp, body: Value, scopes: &[&str]) -> (Value, String) {
    let user = app.create_user(body).await;
    let key = user_key(app, "acme", user["id"].as_str().unwrap(), scopes).await;
    (user, key)
}

/// A user of `acme` with a `manage` key: someone to call BoltonSea as.
pub async fn caller(app: &TestApp) -> String {
    user_with_key(app, json!({}), &["manage"]).await.1
}

/// Whether `s` is an ISO 8601 time with milliseconds and a `+00:00` offset (`2025-10-17T16:09:36.031+00:00`).
pub fn is_iso_millis(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 29
        && s.ends_with("+00:00")
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

/// Fails unless `reply` is a BoltonSea (Spring Boot) error with this status and request path.
pub fn assert_error(reply: &Reply, status: u16, path: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    let body = reply.body.as_object().unwrap_or_else(|| panic!("not an object: {:?}", reply.body));
    assert!(is_iso_millis(body["timestamp"].as_str().unwrap_or("")), "{:?}", reply.body);
    assert_eq!(body["status"], status, "{:?}", reply.body);
    let reason = reqwest::StatusCode::from_u16(status).unwrap().canonical_reason().unwrap();
    assert_eq!(body["error"], reason, "{:?}", reply.body);
    assert!(!body["message"].as_str().unwrap_or("").is_empty(), "{:?}", reply.body);
    assert_eq!(body["path"], path, "{:?}", reply.body);
    for key in body.keys() {
        assert!(["timestamp", "status", "error", "message", "path", "errors"].contains(&key.as_str()), "{key}");
    }
}

/// The message of an error reply.
pub fn message(reply: &Reply) -> &str {
    reply.body["message"].as_str().unwrap_or("")
}
