//! Helpers for the Propeller dialect tests.

use reqwest::Method;
use serde_json::Value;

use crate::support::{Reply, TestApp};

/// `/propeller/v2` + `path`, with the acme secret key as bearer.
pub async fn prop(app: &TestApp, method: Method, path: &str, body: Option<&Value>) -> Reply {
    app.send(method, &format!("/propeller/v2{path}"), Some(&app.key), body).await
}

/// An OAuth2 access token for the acme secret key, as a Propeller integration fetches it.
pub async fn access_token(app: &TestApp) -> String {
    let id = format!("key_{}", app.key.split('_').nth(2).unwrap());
    let reply = TestApp::read(app.http.post(format!("{}/propeller/oauth2/token", app.base)).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", app.key.as_str()),
    ]))
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_owned()
}

/// Fails unless `reply` is Propeller's error envelope with this status and code.
pub fn assert_error(reply: &Reply, status: u16, code: i64) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    let e = &reply.body["error"];
    assert_eq!(e["code"].as_i64(), Some(code), "{:?}", reply.body);
    assert_eq!(e["status"].as_i64(), Some(i64::from(status)));
    assert!(e["type"].is_string() && e["messages"].is_array());
    assert_eq!(e["moreInfo"], format!("https://www.propel.us/docs/errors/{code}"));
}

/// The first message of an error envelope.
pub fn message(reply: &Reply) -> &str {
    reply.body["error"]["messages"][0].as_str().unwrap_or("")
}

/// Creates a user through Propeller; its id.
pub async fn create(app: &TestApp, body: Value) -> i64 {
    let reply = prop(app, Method::POST, "/users", Some(&body)).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply.body["data"]["id"].as_i64().unwrap()
}
