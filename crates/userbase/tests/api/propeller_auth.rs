//! Propeller credentials and tenancy: the OAuth2 access token and the secret key work; a publishable key,
//! an end user's JWT, garbage or nothing get the 401 envelope; another project's credential sees nothing.

use reqwest::Method;
use serde_json::json;
use userbase_core::api_key::KeyKind;
use userbase_testing::{backend_tests, Backend};

use crate::builton_support::{jwt, Builton};
use crate::propeller_support::{access_token, assert_error, create};
use crate::support::TestApp;

async fn tokens_and_secret_keys_work_and_nothing_else_does(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let app = &b.app;
    let id = create(app, json!({"firstName": "A"})).await;
    let path = format!("/propeller/v2/users/id/{id}");
    let token = access_token(app).await;
    let with_token = app.send(Method::GET, &path, Some(&token), None).await;
    assert_eq!((with_token.status, with_token.body["data"]["id"].as_i64()), (200, Some(id)));
    let created = app.send(Method::POST, "/propeller/v2/users", Some(&token), Some(&json!({"firstName": "B"}))).await;
    assert_eq!(created.status, 201);
    let user_jwt = jwt("someone");
    let user_key = app.new_key("acme", KeyKind::Publishable).await;
    for bad in [Some(b.pk.as_str()), Some(user_key.as_str()), Some(user_jwt.as_str()), Some("garbage"), None] {
        let r = app.send(Method::GET, &path, bad, None).await;
        assert_error(&r, 401, 10001);
        assert_eq!(r.body["error"]["type"], "Unauthorized");
        let w = app.send(Method::POST, "/propeller/v2/users/bulk/id", bad, Some(&json!({"users": []}))).await;
        assert_error(&w, 401, 10001);
    }
}

async fn another_projects_credentials_see_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = create(&app, json!({"firstName": "A", "sourceId": "S1", "source": "ERP"})).await;
    let other = app.new_project("globex").await;
    for (method, path) in [
        (Method::GET, format!("/users/id/{id}")),
        (Method::GET, "/users/sourceId/S1".to_owned()),
        (Method::DELETE, format!("/users/id/{id}")),
        (Method::GET, format!("/users/id/{id}/addresses")),
        (Method::DELETE, format!("/users/id/{id}/pricing")),
    ] {
        let r = app.send(method, &format!("/propeller/v2{path}"), Some(&other), None).await;
        assert!(r.status == 404, "{path}: {:?}", r.body);
        assert!(r.body["data"].is_null());
    }
    let patch = app
        .send(Method::PATCH, &format!("/propeller/v2/users/id/{id}"), Some(&other), Some(&json!({"firstName": "X"})))
        .await;
    assert_eq!(patch.status, 404);
    let list = app.send(Method::GET, "/propeller/v2/users", Some(&other), None).await;
    assert_eq!(list.body["itemsFound"], 0);
    // Their bulk by id cannot reach our user: an unknown id there creates their own.
    let bulk = app
        .send(
            Method::POST,
            "/propeller/v2/users/bulk/id",
            Some(&other),
            Some(&json!({"users": [{"id": id, "firstName": "X"}]})),
        )
        .await;
    assert_eq!(bulk.body["data"][0]["action"], "create");
    let ours = app.send(Method::GET, &format!("/propeller/v2/users/id/{id}"), Some(&app.key), None).await;
    assert_eq!(ours.body["data"]["firstName"], "A");
}

backend_tests!(tokens_and_secret_keys_work_and_nothing_else_does, another_projects_credentials_see_nothing);
