//! Create, read and partial update of users.

use serde_json::json;
use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

async fn create_user_returns_201_with_the_canonical_fields(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let reply = app
        .post(
            "/v1/users",
            &json!({
                "email": "Jerry@Example.com", "first_name": "Jerry", "last_name": "Seinfeld",
                "birthday": "1954-04-29", "locale": "en-us", "country": "us", "phone": "+15551234",
                "gender": "male", "tags": ["vip", "beta", "vip"], "metadata": {"plan": "gold"},
                "external_refs": [{"source": "erp", "source_id": "42"}], "status": "blocked"
            }),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let u = &reply.body;
    let id = u["id"].as_str().unwrap();
    assert!(id.starts_with("usr_") && id.len() == 32, "{id}");
    assert_eq!(reply.header("location"), Some(format!("/v1/users/{id}").as_str()));
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(u["object"], "user");
    assert_eq!(u["object_id"].as_str().unwrap().len(), 24);
    assert!(u["numeric_id"].as_i64().unwrap() > 0);
    assert_eq!(u["human_id"].as_str().unwrap().len(), 6);
    assert_eq!(u["email"], "Jerry@Example.com", "the spelling is kept");
    assert_eq!(u["email_verified"], false);
    assert_eq!(u["locale"], "en-US");
    assert_eq!(u["country"], "US");
    assert_eq!(u["birthday"], "1954-04-29");
    assert_eq!(u["gender"], "male");
    assert_eq!(u["tags"], json!(["vip", "beta"]));
    assert_eq!(u["roles"], json!(["user"]));
    assert_eq!(u["metadata"], json!({"plan": "gold"}));
    assert_eq!(u["external_refs"], json!([{"source": "erp", "source_id": "42"}]));
    assert_eq!(u["status"], "blocked");
    assert_eq!(u["middle_name"], serde_json::Value::Null);
    assert_eq!(u["created_at"], u["updated_at"]);
    assert!(u["created_at"].as_str().unwrap().ends_with('Z'));
}

async fn get_user_returns_what_was_created(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = app.create_user(json!({"email": "a@example.com", "full_name": "Ann Example"})).await;
    let reply = app.get(&format!("/v1/users/{}", created["id"].as_str().unwrap())).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, created);
    assert_eq!(reply.header("etag"), Some("\"1\""));
}

async fn an_empty_body_creates_a_user_without_fields(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let u = app.create_user(json!({})).await;
    assert_eq!(u["email"], serde_json::Value::Null);
    assert_eq!(u["status"], "active");
}

async fn patch_changes_only_the_fields_sent_and_null_clears(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = app
        .create_user(
            json!({"email": "a@example.com", "first_name": "Ann", "last_name": "Lee", "phone": "123", "tags": ["x"]}),
        )
        .await;
    let path = format!("/v1/users/{}", created["id"].as_str().unwrap());
    let reply = app.patch(&path, &json!({"first_name": "Anne", "phone": null, "tags": null})).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let u = &reply.body;
    assert_eq!(u["first_name"], "Anne");
    assert_eq!(u["last_name"], "Lee", "absent fields are untouched");
    assert_eq!(u["email"], "a@example.com");
    assert_eq!(u["phone"], serde_json::Value::Null, "null clears");
    assert_eq!(u["tags"], json!([]), "null empties a list");
    assert_eq!(reply.header("etag"), Some("\"2\""));
    assert_ne!(u["updated_at"], created["updated_at"]);
    assert_eq!(u["created_at"], created["created_at"]);
    assert_eq!(app.get(&path).await.body, reply.body, "the change is stored");
}

async fn patch_merges_metadata_key_by_key(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = app.create_user(json!({"metadata": {"a": "1", "b": "2", "c": "3"}})).await;
    let path = format!("/v1/users/{}", created["id"].as_str().unwrap());
    let reply = app.patch(&path, &json!({"metadata": {"a": "10", "b": null, "d": ""}})).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["metadata"], json!({"a": "10", "c": "3", "d": ""}));
    let reply = app.patch(&path, &json!({"metadata": {}})).await;
    assert_eq!(reply.body["metadata"], json!({"a": "10", "c": "3", "d": ""}), "an empty object changes nothing");
}

async fn changing_the_email_resets_verification(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = app.create_user(json!({"email": "a@example.com", "email_verified": true})).await;
    assert_eq!(created["email_verified"], true);
    let path = format!("/v1/users/{}", created["id"].as_str().unwrap());
    let same = app.patch(&path, &json!({"email": "A@example.com"})).await;
    assert_eq!(same.body["email_verified"], true, "a change of case is the same address");
    let changed = app.patch(&path, &json!({"email": "b@example.com"})).await;
    assert_eq!(changed.body["email_verified"], false);
}

async fn if_match_guards_updates_and_deletes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = app.create_user(json!({"first_name": "Ann"})).await;
    let url = format!("{}/v1/users/{}", app.base, created["id"].as_str().unwrap());
    let stale = TestApp::read(
        app.http.patch(&url).bearer_auth(&app.key).header("if-match", "\"7\"").json(&json!({"first_name": "X"})),
    )
    .await;
    assert_eq!(stale.status, 412);
    assert_eq!(stale.code(), "precondition_failed");
    let fresh = TestApp::read(
        app.http.patch(&url).bearer_auth(&app.key).header("if-match", "\"1\"").json(&json!({"first_name": "Y"})),
    )
    .await;
    assert_eq!(fresh.status, 200);
    assert_eq!(fresh.body["first_name"], "Y");
    let stale_delete = TestApp::read(app.http.delete(&url).bearer_auth(&app.key).header("if-match", "\"1\"")).await;
    assert_eq!(stale_delete.status, 412);
    let delete = TestApp::read(app.http.delete(&url).bearer_auth(&app.key).header("if-match", "\"2\"")).await;
    assert_eq!(delete.status, 200);
}

/// A patch that leaves `external_refs` alone keeps them held (it is written as one statement); a patch that
/// changes them releases the old ones and claims the new ones, or changes nothing if one is taken.
async fn patches_keep_or_move_external_refs(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let erp = |id: &str| json!([{"source": "erp", "source_id": id}]);
    let a = app.create_user(json!({"external_refs": erp("1")})).await;
    let a_path = format!("/v1/users/{}", a["id"].as_str().unwrap());
    assert_eq!(app.patch(&a_path, &json!({"first_name": "Ann"})).await.status, 200);
    let taken = app.post("/v1/users", &json!({"external_refs": erp("1")})).await;
    assert_eq!((taken.status, taken.code()), (409, "external_ref_taken"), "still held after an unrelated patch");

    let moved = app.patch(&a_path, &json!({"external_refs": erp("2")})).await;
    assert_eq!(moved.body["external_refs"], erp("2"));
    let b = app.post("/v1/users", &json!({"external_refs": erp("1")})).await;
    assert_eq!(b.status, 201, "the old ref was released: {:?}", b.body);
    let b_path = format!("/v1/users/{}", b.body["id"].as_str().unwrap());
    let clash = app.patch(&b_path, &json!({"first_name": "Bob", "external_refs": erp("2")})).await;
    assert_eq!((clash.status, clash.code()), (409, "external_ref_taken"));
    let b_now = app.get(&b_path).await.body;
    assert_eq!((b_now["external_refs"].clone(), b_now["first_name"].clone()), (erp("1"), serde_json::Value::Null));
}

backend_tests!(
    patches_keep_or_move_external_refs,
    create_user_returns_201_with_the_canonical_fields,
    get_user_returns_what_was_created,
    an_empty_body_creates_a_user_without_fields,
    patch_changes_only_the_fields_sent_and_null_clears,
    patch_merges_metadata_key_by_key,
    changing_the_email_resets_verification,
    if_match_guards_updates_and_deletes,
);
