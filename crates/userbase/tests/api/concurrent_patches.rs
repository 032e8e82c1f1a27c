//! Concurrent PATCHes of one resource without `If-Match` all succeed, each applied on top of the ones before
//! (the header is optional: a client that did not name a version did not ask to lose a race). With a stale
//! `If-Match` the answer is 412.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::gigs_support::gigs;
use crate::support::{Reply, TestApp};

const WRITERS: usize = 45;

/// Sends `WRITERS` PATCHes of `path` at once, the i-th with `body(i)` and `key` as credential.
async fn patch_all(app: &Arc<TestApp>, path: &str, key: &str, body: impl Fn(usize) -> Value) -> Vec<Reply> {
    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let (app, path, key, body) = (app.clone(), path.to_owned(), key.to_owned(), body(i));
            tokio::spawn(async move { app.send(Method::PATCH, &path, Some(&key), Some(&body)).await })
        })
        .collect();
    let mut replies = Vec::with_capacity(WRITERS);
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

fn assert_all_ok(replies: &[Reply], what: &str) {
    let failed: Vec<(u16, &Value)> = replies.iter().filter(|r| r.status != 200).map(|r| (r.status, &r.body)).collect();
    assert!(failed.is_empty(), "{what}: {} of {WRITERS} failed: {failed:?}", failed.len());
}

/// The ETag of a resource version.
fn etag(version: usize) -> String {
    format!("\"{version}\"")
}

fn keys_of(map: &Value) -> usize {
    map.as_object().map_or(0, |m| m.len())
}

async fn concurrent_user_patches_without_if_match_all_apply(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let app = Arc::new(app);
    let user = app.create_user(json!({"email": "race@example.com"})).await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    let replies = patch_all(&app, &path, &app.key, |i| json!({"metadata": {format!("k{i}"): "v"}})).await;
    assert_all_ok(&replies, "v1 PATCH /users");
    let now = app.get(&path).await;
    assert_eq!(keys_of(&now.body["metadata"]), WRITERS, "every patch is applied on top of the others: {:?}", now.body);
    assert_eq!(now.header("etag"), Some(etag(1 + WRITERS).as_str()));
    // With a stale If-Match the client asked for that version: 412, and nothing changes.
    let stale = app.http.patch(format!("{}{path}", app.base)).bearer_auth(&app.key).header("If-Match", "\"1\"");
    let reply = TestApp::read(stale.json(&json!({"first_name": "Late"}))).await;
    assert_eq!((reply.status, reply.code()), (412, "precondition_failed"));
    assert_eq!(app.get(&path).await.body["first_name"], Value::Null);
}

async fn concurrent_me_and_gigs_patches_all_apply(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let app = Arc::new(app);
    let user = gigs(&app, Method::POST, "/users", Some(&json!({"email": "race@example.com"}))).await.body;
    let id = user["id"].as_str().unwrap().to_owned();
    let gigs_path = format!("/gigs/projects/acme/users/{id}");
    // Gigs allows 10 metadata keys: every Gigs patch writes the same one; the version counts them.
    let replies = patch_all(&app, &gigs_path, &app.key, |i| json!({"metadata": {"g": format!("{i}")}})).await;
    assert_all_ok(&replies, "Gigs PATCH /users");
    assert_eq!(app.get(&format!("/v1/users/{id}")).await.header("etag"), Some(etag(1 + WRITERS).as_str()));
    let key = app.post("/v1/keys", &json!({"kind": "user", "user_id": id, "scopes": ["manage"]})).await;
    let user_key = key.body["secret"].as_str().unwrap().to_owned();
    let replies = patch_all(&app, "/v1/me", &user_key, |i| json!({"metadata": {format!("m{i}"): "v"}})).await;
    assert_all_ok(&replies, "PATCH /v1/me");
    let now = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(keys_of(&now.body["metadata"]), 1 + WRITERS, "{:?}", now.body);
    assert_eq!(now.header("etag"), Some(etag(1 + 2 * WRITERS).as_str()));
}

async fn concurrent_patches_of_organizations_records_and_addresses_all_apply(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let app = Arc::new(app);
    let org = app.post("/v1/organizations", &json!({"name": "Race"})).await.body;
    let org_path = format!("/v1/organizations/{}", org["id"].as_str().unwrap());
    let replies = patch_all(&app, &org_path, &app.key, |i| json!({"metadata": {format!("o{i}"): "v"}})).await;
    assert_all_ok(&replies, "PATCH organization");
    assert_eq!(keys_of(&app.get(&org_path).await.body["metadata"]), WRITERS);

    let user = app.create_user(json!({"email": "owner@example.com"})).await;
    let user_path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    let order = app.post(&format!("{user_path}/orders"), &json!({"details": {}})).await.body;
    let order_path = format!("{user_path}/orders/{}", order["id"].as_str().unwrap());
    let replies = patch_all(&app, &order_path, &app.key, |i| json!({"details": {format!("d{i}"): i}})).await;
    assert_all_ok(&replies, "PATCH order");
    let stored = app.get(&order_path).await.body;
    assert_eq!(keys_of(&stored["details"]), WRITERS, "{stored}");

    let address = app.post(&format!("{user_path}/addresses"), &json!({"type": "home", "city": "Oslo"})).await.body;
    let address_path = format!("{user_path}/addresses/{}", address["id"].as_str().unwrap());
    let replies = patch_all(&app, &address_path, &app.key, |i| json!({"notes": format!("n{i}")})).await;
    assert_all_ok(&replies, "PATCH address");
    let stored = app.get(&address_path).await;
    assert_eq!(stored.header("etag"), Some(etag(1 + WRITERS).as_str()), "{:?}", stored.body);
}

backend_tests!(
    concurrent_user_patches_without_if_match_all_apply,
    concurrent_me_and_gigs_patches_all_apply,
    concurrent_patches_of_organizations_records_and_addresses_all_apply,
);
