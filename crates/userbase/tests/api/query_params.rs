//! Unknown query parameters are refused on every v1 operation (a misspelt `?limt=` or an invented
//! `?dry_run=true` is never silently ignored), and the parameters an operation documents are accepted.

use reqwest::Method;
use serde_json::json;
use userbase_testing::{backend_tests, Backend};

use crate::support::{ids, TestApp};

async fn every_v1_operation_refuses_unknown_query_parameters(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({"email": "a@example.com"})).await;
    let user_id = user["id"].as_str().unwrap();
    let doc = app.get("/v1/openapi.json").await.body;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let concrete = path
                .replace("{id}", user_id)
                .replace("{user_id}", user_id)
                .replace("{address_id}", "adr_0000000000000000000000000")
                .replace("{record_id}", "ord_x");
            let body = matches!(method, Method::POST | Method::PATCH | Method::PUT).then(|| json!({}));
            let reply =
                app.send(method.clone(), &format!("{concrete}?dry_run=true"), Some(&app.key), body.as_ref()).await;
            assert_eq!(
                (reply.status, reply.code()),
                (400, "invalid_parameter"),
                "{method} {concrete}: {:?}",
                reply.body
            );
            assert_eq!(reply.body["errors"][0]["field"], "dry_run", "{method} {concrete}");
            checked += 1;
        }
    }
    assert!(checked >= 39, "checked {checked}");
    // Nothing was created, changed or deleted.
    assert_eq!(ids(&app.get("/v1/users").await.body), vec![user_id.to_owned()]);
    assert_eq!(app.get(&format!("/v1/users/{user_id}")).await.body, user);
}

async fn documented_query_parameters_are_accepted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({"email": "a@example.com"})).await;
    let user_id = user["id"].as_str().unwrap();
    for path in [
        "/v1/users?limit=5&include=total".to_owned(),
        format!("/v1/users/{user_id}/orders?offset=0&limit=5&sort=-created_at"),
        "/v1/organizations?limit=5".to_owned(),
    ] {
        let reply = app.get(&path).await;
        assert_eq!(reply.status, 200, "{path}: {:?}", reply.body);
    }
    let upsert = app
        .http
        .post(format!("{}/v1/users/bulk?mode=upsert&key=email", app.base))
        .bearer_auth(&app.key)
        .header("content-type", "application/json")
        .body(r#"[{"email": "a@example.com", "first_name": "A"}]"#);
    assert_eq!(TestApp::read(upsert).await.body["updated"], 1);
}

backend_tests!(every_v1_operation_refuses_unknown_query_parameters, documented_query_parameters_are_accepted);
