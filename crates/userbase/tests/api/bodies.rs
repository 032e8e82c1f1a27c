//! A body whose top level is not a JSON object (an array, a string, a number, `null`) is refused on every
//! write route of every surface with that surface's 400, and changes nothing. serde would otherwise decode
//! a struct from an array by position: `["a@example.com"]` would create a user with that email.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::gigs_support::gigs;
use crate::support::{ids, TestApp};

fn not_objects() -> Vec<Value> {
    vec![json!([]), json!(["a@example.com"]), json!("a@example.com"), json!(1), json!(null), json!(true)]
}

/// Every v1 operation that documents a JSON request body, as (METHOD, path), from the served document.
async fn v1_write_operations(app: &TestApp) -> Vec<(Method, String)> {
    let doc = app.get("/v1/openapi.json").await.body;
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_some() {
                ops.push((Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), path.clone()));
            }
        }
    }
    ops
}

async fn v1_write_routes_refuse_bodies_that_are_not_objects(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({"email": "kept@example.com", "first_name": "Kept"})).await;
    let user_id = user["id"].as_str().unwrap();
    let key = app.post("/v1/keys", &json!({"kind": "user", "user_id": user_id, "scopes": ["manage"]})).await;
    let user_key = key.body["secret"].as_str().unwrap().to_owned();
    let ops = v1_write_operations(&app).await;
    assert!(ops.len() >= 15, "only {} write operations documented", ops.len());
    let mut checked = 0;
    for (method, path) in ops {
        // The bulk body is an array (or NDJSON) of objects by design: its items are checked below.
        if path == "/v1/users/bulk" {
            continue;
        }
        let concrete = path
            .replace("{id}", user_id)
            .replace("{user_id}", user_id)
            .replace("{address_id}", "adr_0000000000000000000000000")
            .replace("{record_id}", "ord_x");
        let credential = if path == "/v1/me" { &user_key } else { &app.key };
        for body in not_objects() {
            let reply = app.send(method.clone(), &concrete, Some(credential), Some(&body)).await;
            assert_eq!(
                (reply.status, reply.code()),
                (400, "invalid_body"),
                "{method} {concrete} with {body}: {:?}",
                reply.body
            );
            assert_eq!(reply.body["errors"][0]["code"], "not_an_object", "{method} {concrete}");
            checked += 1;
        }
    }
    assert!(checked >= 90, "checked {checked}");
    // Nothing was created or changed.
    let list = app.get("/v1/users").await.body;
    assert_eq!(ids(&list), vec![user_id.to_owned()]);
    let now = app.get(&format!("/v1/users/{user_id}")).await.body;
    assert_eq!((&now["version"], &now["email"]), (&user["version"], &user["email"]));
    assert_eq!(app.get("/v1/organizations").await.body["data"], json!([]));
}

async fn bulk_items_that_are_not_objects_fail_alone(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let body = json!([{"email": "one@example.com"}, ["two@example.com"], "three@example.com", null]);
    let reply = app.post("/v1/users/bulk", &body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let results = reply.body["results"].as_array().unwrap();
    assert_eq!(results[0]["action"], "created");
    for failed in &results[1..] {
        assert_eq!(failed["action"], "failed", "{failed}");
        assert_eq!(failed["error"]["code"], "invalid_body", "{failed}");
    }
    let emails: Vec<Value> =
        app.get("/v1/users").await.body["data"].as_array().unwrap().iter().map(|u| u["email"].clone()).collect();
    assert_eq!(emails, vec![json!("one@example.com")]);
}

async fn gigs_write_routes_refuse_bodies_that_are_not_objects(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = gigs(&app, Method::POST, "/users", Some(&json!({"email": "kept@example.com"}))).await.body;
    let user_id = user["id"].as_str().unwrap();
    let routes = [
        (Method::POST, "/users".to_owned()),
        (Method::POST, "/users/search".to_owned()),
        (Method::PATCH, format!("/users/{user_id}")),
        (Method::POST, format!("/users/{user_id}/addresses")),
    ];
    for (method, path) in routes {
        for body in not_objects() {
            let reply = gigs(&app, method.clone(), &path, Some(&body)).await;
            assert_eq!(reply.status, 400, "{method} {path} with {body}: {:?}", reply.body);
            assert_eq!(
                (reply.body["object"].as_str(), reply.body["type"].as_str()),
                (Some("error"), Some("malformed"))
            );
        }
    }
    let list = gigs(&app, Method::GET, "/users", None).await.body;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0], user);
    let addresses = gigs(&app, Method::GET, &format!("/users/{user_id}/addresses"), None).await.body;
    assert_eq!(addresses["items"], json!([]));
}

/// Sends `body` to `path` with the acme key and the given `Content-Type` (none when `None`).
async fn post_raw(app: &TestApp, path: &str, content_type: Option<&str>, body: &'static str) -> crate::support::Reply {
    let mut req = app.http.post(format!("{}{path}", app.base)).bearer_auth(&app.key).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    TestApp::read(req).await
}

/// JSON is UTF-8 and says so: a body without a `Content-Type`, or in another charset, is refused with 415
/// instead of being read as UTF-8 JSON; `charset=utf-8` (any case, quoted or not) is fine.
async fn bodies_must_declare_json_in_utf8(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = r#"{"email": "a@example.com"}"#;
    for (path, code) in [("/v1/users", "unsupported_media_type"), ("/v1/users/bulk", "unsupported_media_type")] {
        for ct in [
            None,
            Some("application/json; charset=utf-16"),
            Some("text/plain"),
            Some("application/json;charset=latin1"),
        ] {
            let body = if path.ends_with("bulk") { "[{\"email\": \"b@example.com\"}]" } else { user };
            let reply = post_raw(&app, path, ct, body).await;
            assert_eq!((reply.status, reply.code()), (415, code), "{path} with {ct:?}: {:?}", reply.body);
        }
    }
    let gigs_reply = {
        let req = app.http.post(format!("{}/gigs/projects/acme/users", app.base)).bearer_auth(&app.key).body(user);
        TestApp::read(req.header("content-type", "application/json; charset=utf-16")).await
    };
    assert_eq!(gigs_reply.status, 415, "{:?}", gigs_reply.body);
    assert!(app.get("/v1/users").await.body["data"].as_array().unwrap().is_empty(), "nothing was created");
    for ct in ["application/json; charset=utf-8", "application/json; charset=\"UTF-8\"", "application/merge-patch+json"]
    {
        assert_eq!(post_raw(&app, "/v1/users", Some(ct), user).await.status, 201, "{ct}");
        app.delete(&format!("/v1/users/{}", ids(&app.get("/v1/users").await.body)[0])).await;
    }
}

/// A bulk body of which not one item could be read is a 400, not a 200 with an error inside.
async fn a_bulk_body_that_is_not_json_is_400(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for (ct, body) in [
        ("application/json", "this is not json"),
        ("application/json", "{\"email\": 1}"),
        ("application/json", "[oops"),
    ] {
        let reply = post_raw(&app, "/v1/users/bulk", Some(ct), body).await;
        assert_eq!(reply.status, 400, "{ct} {body}: {:?}", reply.body);
        assert_eq!(reply.body["type"].as_str().map(|t| t.starts_with("/problems/")), Some(true), "{:?}", reply.body);
    }
    // Once items were read, a later fault stops the run and the answer reports what was done. (An NDJSON line
    // that is not JSON is an item that fails on its own.)
    let reply =
        post_raw(&app, "/v1/users/bulk", Some("application/json"), "[{\"email\": \"a@example.com\"}, oops").await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["created"], 1);
    assert!(reply.body["error"].is_object(), "{:?}", reply.body);
}

backend_tests!(
    bodies_must_declare_json_in_utf8,
    a_bulk_body_that_is_not_json_is_400,
    v1_write_routes_refuse_bodies_that_are_not_objects,
    bulk_items_that_are_not_objects_fail_alone,
    gigs_write_routes_refuse_bodies_that_are_not_objects,
);
