//! OAuth2 client credentials: `POST /propeller/oauth2/token`.

use reqwest::Method;
use serde_json::json;
use userbase_core::api_key::KeyKind;
use userbase_testing::{backend_tests, Backend};

use crate::support::{Reply, TestApp};

fn key_id(key: &str) -> String {
    format!("key_{}", key.split('_').nth(2).unwrap())
}

async fn token(app: &TestApp, form: &[(&str, &str)]) -> Reply {
    TestApp::read(app.http.post(format!("{}/propeller/oauth2/token", app.base)).form(form)).await
}

async fn client_credentials_buy_a_token_that_works_until_the_key_is_revoked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = key_id(&app.key);
    let reply =
        token(&app, &[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &app.key)]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!((reply.body["token_type"].as_str(), reply.body["expires_in"].as_i64()), (Some("Bearer"), Some(1800)));
    assert_eq!(reply.body["scope"], "profile");
    let access = reply.body["access_token"].as_str().unwrap().to_owned();
    assert!(!access.contains(&app.key));
    assert_eq!(app.send(Method::GET, "/v1/users", Some(&access), None).await.status, 200);
    assert_eq!(app.send(Method::GET, "/gigs/projects/acme/users", Some(&access), None).await.status, 200);
    let other = app.new_project("globex").await;
    assert_eq!(app.send(Method::GET, "/gigs/projects/globex/users", Some(&access), None).await.status, 403);
    let _ = other;

    let basic = TestApp::read(
        app.http
            .post(format!("{}/propeller/oauth2/token", app.base))
            .basic_auth(&id, Some(&app.key))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(basic.status, 200, "HTTP Basic client authentication");

    let forged = access.replacen(&access.split('_').nth(3).unwrap().to_string(), "9999999999", 1);
    assert_eq!(app.send(Method::GET, "/v1/users", Some(&forged), None).await.status, 401, "a changed expiry");
    app.state.keys.revoke(&userbase_core::api_key::KeyId::parse(&id).unwrap()).await.unwrap();
    assert_eq!(
        app.send(Method::GET, "/v1/users", Some(&access), None).await.status,
        401,
        "revoking the key revokes its tokens"
    );
}

async fn bad_token_requests_get_oauth_errors(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = key_id(&app.key);
    let publishable = app.new_key("acme", KeyKind::Publishable).await;
    let other_secret = app.new_key("acme", KeyKind::Secret).await;
    for (form, status, error) in [
        (
            vec![("grant_type", "password"), ("client_id", id.as_str()), ("client_secret", app.key.as_str())],
            400,
            "unsupported_grant_type",
        ),
        (vec![("client_id", id.as_str()), ("client_secret", app.key.as_str())], 400, "invalid_request"),
        (vec![("grant_type", "client_credentials"), ("client_id", id.as_str())], 400, "invalid_request"),
        (
            vec![("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", "ub_sk_nope")],
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", id.as_str()),
                ("client_secret", other_secret.as_str()),
            ],
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", key_id(&publishable).as_str()),
                ("client_secret", publishable.as_str()),
            ],
            401,
            "invalid_client",
        ),
    ] {
        let reply = token(&app, &form).await;
        assert_eq!((reply.status, reply.body["error"].as_str()), (status, Some(error)), "{form:?}");
    }
    let not_a_form = TestApp::read(app.http.post(format!("{}/propeller/oauth2/token", app.base)).body("%%%")).await;
    assert_eq!(not_a_form.status, 400);
    let _ = json!({});
}

backend_tests!(client_credentials_buy_a_token_that_works_until_the_key_is_revoked, bad_token_requests_get_oauth_errors);
