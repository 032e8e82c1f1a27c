//! v1 accepts only a live secret key as `Authorization: Bearer`.

use reqwest::Method;
use userbase_core::api_key::{KeyId, KeyKind};
use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

async fn requests_without_a_valid_secret_key_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let none = app.send(Method::GET, "/v1/users", None, None).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.code(), "unauthenticated");
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));

    // The same key with its last character changed (to one it is not).
    let last = if app.key.ends_with('x') { 'y' } else { 'x' };
    let forged = format!("{}{last}", &app.key[..app.key.len() - 1]);
    for bad in ["garbage", "ub_sk_short", forged.as_str()] {
        let reply = app.send(Method::GET, "/v1/users", Some(bad), None).await;
        assert_eq!(reply.status, 401, "{bad}");
        assert_eq!(reply.code(), "invalid_credentials");
    }
    let basic =
        TestApp::read(app.http.get(format!("{}/v1/users", app.base)).header("authorization", "Basic abc")).await;
    assert_eq!(basic.status, 401);

    let publishable = app.new_key("acme", KeyKind::Publishable).await;
    let reply = app.send(Method::GET, "/v1/users", Some(&publishable), None).await;
    assert_eq!(reply.status, 403, "a publishable key grants nothing alone");
    assert_eq!(reply.code(), "forbidden");
}

async fn a_revoked_key_stops_working_at_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let key = app.new_key("acme", KeyKind::Secret).await;
    assert_eq!(app.send(Method::GET, "/v1/users", Some(&key), None).await.status, 200);
    let id = KeyId::parse(&format!("key_{}", key.split('_').nth(2).unwrap())).unwrap();
    app.state.keys.revoke(&id).await.unwrap();
    assert_eq!(app.send(Method::GET, "/v1/users", Some(&key), None).await.status, 401);
    assert_eq!(app.get("/v1/users").await.status, 200, "other keys keep working");
}

async fn authentication_is_checked_before_the_body(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let reply = TestApp::read(
        app.http.post(format!("{}/v1/users", app.base)).header("content-type", "application/json").body("{not json"),
    )
    .await;
    assert_eq!(reply.status, 401);
}

backend_tests!(
    requests_without_a_valid_secret_key_are_refused,
    a_revoked_key_stops_working_at_once,
    authentication_is_checked_before_the_body,
);
