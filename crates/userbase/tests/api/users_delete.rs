//! Soft delete, restore, and the uniqueness rules they interact with.

use serde_json::json;
use userbase_testing::{backend_tests, Backend};

use crate::support::{ids, TestApp};

async fn delete_is_soft_and_hides_the_user(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = app.create_user(json!({"email": "a@example.com"})).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/users/{id}");
    let deleted = app.delete(&path).await;
    assert_eq!(deleted.status, 200, "{:?}", deleted.body);
    assert_eq!(deleted.body["status"], "deleted");
    assert!(deleted.body["deleted_at"].is_string());
    assert_eq!(deleted.body["email"], "a@example.com");

    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.patch(&path, &json!({"first_name": "X"})).await.status, 404);
    assert_eq!(app.delete(&path).await.status, 404, "a second delete finds nothing");
    assert!(ids(&app.get("/v1/users").await.body).is_empty());
    let with_deleted = app.get("/v1/users?include_deleted=true").await;
    assert_eq!(ids(&with_deleted.body), [id]);
}

async fn restore_brings_a_deleted_user_back(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = app
        .create_user(json!({"email": "a@example.com", "external_refs": [{"source": "erp", "source_id": "1"}]}))
        .await;
    let id = created["id"].as_str().unwrap();
    app.delete(&format!("/v1/users/{id}")).await;
    let restored = app.post(&format!("/v1/users/{id}/restore"), &json!({})).await;
    assert_eq!(restored.status, 200, "{:?}", restored.body);
    assert_eq!(restored.body["status"], "active");
    assert_eq!(restored.body["deleted_at"], serde_json::Value::Null);
    assert_eq!(app.get(&format!("/v1/users/{id}")).await.status, 200);
    // The email and the external ref are held again.
    assert_eq!(app.post("/v1/users", &json!({"email": "A@example.com"})).await.status, 409);
    let reply = app.post("/v1/users", &json!({"external_refs": [{"source": "erp", "source_id": "1"}]})).await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.code(), "external_ref_taken");
}

async fn restore_of_an_unknown_user_is_404(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let reply = app.post("/v1/users/usr_0000000000000000000000000000/restore", &json!({})).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "user_not_found");
}

async fn a_deleted_users_email_is_free_and_restoring_it_then_conflicts(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let first = app.create_user(json!({"email": "a@example.com"})).await;
    let first_id = first["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/users/{first_id}")).await.status, 200);
    let second = app.post("/v1/users", &json!({"email": "A@EXAMPLE.COM"})).await;
    assert_eq!(second.status, 201, "the email was freed by the delete: {:?}", second.body);

    let refused = app.post(&format!("/v1/users/{first_id}/restore"), &json!({})).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert_eq!(refused.code(), "email_taken");
    assert_eq!(app.get(&format!("/v1/users/{first_id}")).await.status, 404, "a refused restore changes nothing");
}

async fn duplicate_email_is_409_case_insensitively_on_create_and_patch(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    app.create_user(json!({"email": "a@example.com"})).await;
    let dup = app.post("/v1/users", &json!({"email": "A@Example.COM"})).await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.code(), "email_taken");
    assert_eq!(dup.body["errors"][0]["field"], "email");
    let other = app.create_user(json!({"email": "b@example.com"})).await;
    let path = format!("/v1/users/{}", other["id"].as_str().unwrap());
    let clash = app.patch(&path, &json!({"email": "a@EXAMPLE.com", "first_name": "B"})).await;
    assert_eq!(clash.status, 409);
    let unchanged = app.get(&path).await;
    assert_eq!(unchanged.body["email"], "b@example.com");
    assert_eq!(unchanged.body["first_name"], serde_json::Value::Null, "a failed write changes nothing");
}

async fn fifty_concurrent_creates_with_one_email_make_one_user(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.post("/v1/users", &json!({"email": "race@example.com", "first_name": format!("n{i}")})).await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 49, "{statuses:?}");
    let listed = app.get("/v1/users?email=race@example.com").await;
    assert_eq!(ids(&listed.body).len(), 1);
}

backend_tests!(
    delete_is_soft_and_hides_the_user,
    restore_brings_a_deleted_user_back,
    restore_of_an_unknown_user_is_404,
    a_deleted_users_email_is_free_and_restoring_it_then_conflicts,
    duplicate_email_is_409_case_insensitively_on_create_and_patch,
    fifty_concurrent_creates_with_one_email_make_one_user,
);
