//! `/v1/keys`: create, list and revoke the project's keys over the API.

use reqwest::Method;
use serde_json::json;
use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

async fn keys_are_created_listed_and_revoked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = app.post("/v1/keys", &json!({"kind": "secret", "name": "ci"})).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ub_sk_") && secret.starts_with(created.body["prefix"].as_str().unwrap()));
    assert_eq!(app.send(Method::GET, "/v1/users", Some(&secret), None).await.status, 200, "the new key works");

    let user = app.create_user(json!({})).await;
    let user_key = app.post("/v1/keys", &json!({"kind": "user", "user_id": user["id"], "scopes": ["read"]})).await;
    assert_eq!(user_key.status, 201, "{:?}", user_key.body);
    assert_eq!(user_key.body["user_id"], user["id"]);

    let list = app.get("/v1/keys").await;
    let data = list.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "the test's own key and the two new ones");
    assert!(!list.body.to_string().contains(&secret), "lists never show a secret");
    assert!(data.iter().any(|k| k["user_id"] == user["id"]));

    let revoked = app.delete(&format!("/v1/keys/{id}")).await;
    assert_eq!(revoked.status, 200);
    assert!(revoked.body["revoked_at"].is_string());
    assert_eq!(app.send(Method::GET, "/v1/users", Some(&secret), None).await.status, 401);
}

async fn bad_key_requests_and_other_projects_keys(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for body in [
        json!({"kind": "root"}),
        json!({"kind": "user"}),
        json!({"kind": "user", "user_id": "usr_0000000000000000000000000000", "scopes": ["read"]}),
        json!({"kind": "secret", "expires_at": "2000-01-01T00:00:00Z"}),
        json!({"kind": "secret", "name": ""}),
    ] {
        let reply = app.post("/v1/keys", &body).await;
        assert!(reply.status == 422 || reply.status == 404, "{body}: {} {:?}", reply.status, reply.body);
    }
    assert_eq!(app.post("/v1/keys", &json!({"kind": "secret", "scopes": 3})).await.status, 400);
    let other = app.new_project("globex").await;
    let theirs = app.send(Method::POST, "/v1/keys", Some(&other), Some(&json!({"kind": "secret"}))).await;
    let their_id = theirs.body["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/keys/{their_id}")).await.status, 404, "another project's key");
    assert_eq!(app.delete("/v1/keys/nope").await.status, 404);
    assert!(!app.get("/v1/keys").await.body.to_string().contains(their_id));
}

backend_tests!(keys_are_created_listed_and_revoked, bad_key_requests_and_other_projects_keys);
