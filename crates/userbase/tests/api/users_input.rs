//! Every class of bad input gets a clear 4xx problem, never a 500, and changes nothing.

use reqwest::Method;
use serde_json::json;
use userbase_testing::{backend_tests, Backend};

use crate::support::{ids, TestApp};

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> crate::support::Reply {
    let mut req = app.http.request(method, format!("{}{path}", app.base)).bearer_auth(&app.key).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    TestApp::read(req).await
}

async fn malformed_json_is_400(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for body in [&b"{\"email\":"[..], b"not json", b"", b"{} {}", b"[1,2]"] {
        let reply = raw(&app, Method::POST, "/v1/users", Some("application/json"), body.to_vec()).await;
        assert_eq!(reply.status, 400, "{:?}: {:?}", String::from_utf8_lossy(body), reply.body);
        assert!(["malformed_json", "invalid_body"].contains(&reply.code()), "{:?}", reply.body);
    }
    assert!(ids(&app.get("/v1/users").await.body).is_empty(), "nothing was created");
}

/// PostgreSQL cannot store the NUL character in text or JSON; every surface refuses it up front, on both
/// backends alike, instead of failing in the database (found by the schemathesis fuzz test).
async fn nul_characters_are_400_everywhere(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({"email": "n@example.com"})).await;
    let user_path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    for (method, path, body) in [
        (Method::POST, "/v1/users".to_owned(), br#"{"first_name":"a\u0000b"}"#.to_vec()),
        (Method::PATCH, user_path.clone(), br#"{"metadata":{"k":"\u0000"}}"#.to_vec()),
        (Method::POST, format!("{user_path}/orders"), br#"{"details":{"note":"x\u0000"}}"#.to_vec()),
        (Method::POST, format!("{user_path}/addresses"), br#"{"type":"home","city":"\u0000"}"#.to_vec()),
        (Method::POST, "/v1/users/search".to_owned(), br#"{"filter":"first_name eq \"\u0000\""}"#.to_vec()),
    ] {
        let reply = raw(&app, method.clone(), &path, Some("application/json"), body).await;
        assert_eq!(reply.status, 400, "{method} {path}: {:?}", reply.body);
    }
    for query in ["email=a%00b", "filter=first_name%20eq%20%22%00%22"] {
        let reply = app.get(&format!("/v1/users?{query}")).await;
        assert_eq!((reply.status, reply.code()), (400, "invalid_parameter"), "{query}: {:?}", reply.body);
    }
    // Escaped backslashes before "u0000" are text, and fine.
    let reply =
        raw(&app, Method::PATCH, &user_path, Some("application/json"), br#"{"note":"C:\\u0000"}"#.to_vec()).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["note"], "C:\\u0000");
    assert_eq!(app.get(&user_path).await.body["first_name"], serde_json::Value::Null, "nothing else changed");
}

async fn wrong_types_and_unknown_fields_name_the_field(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let reply = app.post("/v1/users", &json!({"email": 5})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "invalid_body");
    assert_eq!(reply.body["errors"][0]["field"], "email");
    assert_eq!(reply.body["errors"][0]["code"], "invalid_type");

    let reply = app.post("/v1/users", &json!({"tags": ["a", 1]})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["errors"][0]["field"], "tags[1]");

    let reply = app.post("/v1/users", &json!({"emial": "a@example.com"})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["errors"][0]["field"], "emial");
    assert_eq!(reply.body["errors"][0]["code"], "unknown_field");

    for readonly in ["id", "created_at", "numeric_id", "deleted_at"] {
        let reply = app.post("/v1/users", &json!({readonly: "x"})).await;
        assert_eq!(reply.status, 400, "{readonly} is not writable");
    }
}

async fn invalid_values_are_422_with_every_field_named(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let reply = app
        .post(
            "/v1/users",
            &json!({"email": "not-an-email", "locale": "english!", "country": "XX", "birthday": "2001-02-30",
                    "gender": "other", "status": "deleted", "tags": ["a,b"]}),
        )
        .await;
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    assert_eq!(reply.code(), "validation_failed");
    let fields: Vec<&str> =
        reply.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["email", "locale", "country", "birthday", "gender", "status", "tags[0]"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    let future = app.post("/v1/users", &json!({"birthday": "2999-01-01"})).await;
    assert_eq!(future.status, 422);
    assert_eq!(future.body["errors"][0]["code"], "date_in_future");
    assert!(ids(&app.get("/v1/users").await.body).is_empty(), "nothing was created");
}

async fn metadata_limits_and_null_are_422(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let too_many: serde_json::Map<String, serde_json::Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    for body in [
        json!({"metadata": too_many}),
        json!({"metadata": {"k".repeat(41): "v"}}),
        json!({"metadata": {"k": "v".repeat(501)}}),
        json!({"metadata": {"": "v"}}),
        json!({"metadata": null}),
    ] {
        let reply = app.post("/v1/users", &body).await;
        assert_eq!(reply.status, 422, "{body}: {:?}", reply.body);
    }
    let fifty: serde_json::Map<String, serde_json::Value> = (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
    let user = app.create_user(json!({"metadata": fifty})).await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    let one_more = app.patch(&path, &json!({"metadata": {"extra": "v"}})).await;
    assert_eq!(one_more.status, 422, "the key limit applies after the merge");
    let swap = app.patch(&path, &json!({"metadata": {"k0": null, "extra": "v"}})).await;
    assert_eq!(swap.status, 200, "{:?}", swap.body);
}

async fn a_patch_with_one_bad_field_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({"first_name": "Ann"})).await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    let reply = app.patch(&path, &json!({"first_name": "Bea", "country": "ZZ"})).await;
    assert_eq!(reply.status, 422);
    assert_eq!(app.get(&path).await.body, user);
}

async fn oversized_bodies_are_413(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let big = format!("{{\"note\":\"{}\"}}", "a".repeat(1024 * 1024 + 10));
    let reply = raw(&app, Method::POST, "/v1/users", Some("application/json"), big.into_bytes()).await;
    assert_eq!(reply.status, 413, "{:?}", reply.body);
    assert_eq!(reply.code(), "body_too_large");
}

async fn non_json_content_types_are_415(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let reply = raw(&app, Method::POST, "/v1/users", Some("text/plain"), b"{}".to_vec()).await;
    assert_eq!(reply.status, 415);
    let reply = raw(&app, Method::POST, "/v1/users", Some("application/merge-patch+json"), b"{}".to_vec()).await;
    assert_eq!(reply.status, 201, "structured +json types are JSON");
}

async fn bad_ids_are_404(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for id in ["nope", "usr_", "usr_0000000000000000000000000000", "123", "%00", &"x".repeat(5000)] {
        for reply in [
            app.get(&format!("/v1/users/{id}")).await,
            app.patch(&format!("/v1/users/{id}"), &json!({})).await,
            app.delete(&format!("/v1/users/{id}")).await,
        ] {
            assert_eq!(reply.status, 404, "{id}: {:?}", reply.body);
        }
    }
}

async fn unknown_routes_and_methods_get_problems(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let reply = app.get("/v1/nothing-here").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "route_not_found");
    let reply = app.send(Method::PUT, "/v1/users", Some(&app.key), Some(&json!({}))).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.code(), "method_not_allowed");
}

backend_tests!(
    malformed_json_is_400,
    nul_characters_are_400_everywhere,
    wrong_types_and_unknown_fields_name_the_field,
    invalid_values_are_422_with_every_field_named,
    metadata_limits_and_null_are_422,
    a_patch_with_one_bad_field_changes_nothing,
    oversized_bodies_are_413,
    non_json_content_types_are_415,
    bad_ids_are_404,
    unknown_routes_and_methods_get_problems,
);
