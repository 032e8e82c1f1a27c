//! `If-Match` on DELETE of addresses, organizations and records: a stale ETag is a 412 and deletes nothing;
//! the current one deletes.

use serde_json::json;
use userbase_testing::{backend_tests, Backend};

use crate::support::{Reply, TestApp};

async fn delete_if_match(app: &TestApp, path: &str, etag: &str) -> Reply {
    TestApp::read(app.http.delete(format!("{}{path}", app.base)).bearer_auth(&app.key).header("if-match", etag)).await
}

/// Creates a resource at `collection`, updates it once (so its first ETag is stale), then checks that
/// DELETE with the stale ETag fails with 412 and changes nothing, and with the current one succeeds.
async fn check(app: &TestApp, collection: &str, body: serde_json::Value, change: serde_json::Value) {
    let created = app.post(collection, &body).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let stale = created.header("etag").unwrap().to_owned();
    let path = format!("{collection}/{}", created.body["id"].as_str().unwrap());
    let updated = app.patch(&path, &change).await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    let current = updated.header("etag").unwrap().to_owned();
    assert_ne!(stale, current);

    let refused = delete_if_match(app, &path, &stale).await;
    assert_eq!((refused.status, refused.code()), (412, "precondition_failed"), "{path}: {:?}", refused.body);
    let still = app.get(&path).await;
    assert_eq!(still.status, 200);
    assert!(still.body["deleted_at"].is_null(), "{path} was deleted by a stale If-Match");
    assert_eq!(delete_if_match(app, &path, "\"not-a-version\"").await.status, 412);

    let deleted = delete_if_match(app, &path, &current).await;
    assert_eq!(deleted.status, 200, "{path}: {:?}", deleted.body);
}

async fn stale_if_match_refuses_deletes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({"email": "owner@example.com"})).await;
    let user = format!("/v1/users/{}", user["id"].as_str().unwrap());
    check(&app, &format!("{user}/addresses"), json!({"type": "home", "city": "Oslo"}), json!({"city": "Bergen"})).await;
    check(&app, "/v1/organizations", json!({"name": "Acme"}), json!({"name": "Acme Inc"})).await;
    check(&app, &format!("{user}/orders"), json!({"status": "CREATED"}), json!({"status": "SUCCESS"})).await;
    // Gone for good (addresses, organizations) or soft-deleted (records).
    assert_eq!(app.get(&format!("{user}/addresses")).await.body["data"], json!([]));
    assert_eq!(app.get("/v1/organizations").await.body["data"], json!([]));
    assert_eq!(app.get(&format!("{user}/orders")).await.body["data"], json!([]));
}

backend_tests!(stale_if_match_refuses_deletes);
