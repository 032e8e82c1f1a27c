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

backend_tests!(
    v1_write_routes_refuse_bodies_that_are_not_objects,
    bulk_items_that_are_not_objects_fail_alone,
    gigs_write_routes_refuse_bodies_that_are_not_objects,
);
