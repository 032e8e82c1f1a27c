//! Personal data over HTTP: permanent erase (`POST /v1/users/{id}/erase`), subject export
//! (`GET /v1/users/{id}/export`), the retention purge and what `/metrics` counts of them.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_core::ids::{ProjectId, PublicUserId};
use userbase_core::store::{RefsChange, UniqueClaims};
use userbase_core::time_util::now_utc;
use userbase_core::user::UserKey;
use userbase_testing::{backend_tests, Backend};

use crate::support::{Reply, TestApp};

/// A user of `acme` with one of each related kind: an email and an external ref, an address, a membership
/// (role `Owner`), an order, a payment method, a subscription, a pricing item, Propeller attributes and a bound key (returned:
/// the user and the key's plaintext). The user is created with an `Idempotency-Key`, so one stored answer
/// names it.
async fn user_with_everything(app: &TestApp, email: &str) -> (Value, String) {
    let body = json!({"email": email, "first_name": "Jerry", "external_refs": [{"source": "erp", "source_id": "42"}]});
    let req = app.http.post(format!("{}/v1/users", app.base)).bearer_auth(&app.key).header("idempotency-key", email);
    let created = TestApp::read(req.json(&body)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let user = created.body;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    let ok = |r: Reply| assert!(r.status == 200 || r.status == 201, "{:?}", r.body);
    ok(app.post(&format!("{path}/addresses"), &json!({"type": "home", "street": "Main", "city": "Oslo"})).await);
    let org = app.post("/v1/organizations", &json!({"name": format!("Org of {email}")})).await.body;
    let member = format!("/v1/organizations/{}/members/{}", org["id"].as_str().unwrap(), user["id"].as_str().unwrap());
    ok(app.send(Method::PUT, &member, Some(&app.key), Some(&json!({"role": "Owner"}))).await);
    ok(app.post(&format!("{path}/orders"), &json!({"details": {"total": 12.5}})).await);
    ok(app.post(&format!("{path}/payment_methods"), &json!({})).await);
    ok(app.post(&format!("{path}/subscriptions"), &json!({})).await);
    ok(app
        .post(&format!("{path}/pricing"), &json!({"categories": [{"id": 7, "pricing": {"type": "net", "price": 9.5}}]}))
        .await);
    // Attributes are written only by Propeller's bulk, keyed by the integer id.
    let attributes =
        json!({"users": [{"id": user["numeric_id"], "attributes": [{"name": "segment", "value": "gold"}]}]});
    let bulk = app.post("/propeller/v2/users/bulk/id", &attributes).await;
    assert_eq!(bulk.body["data"][0]["success"], true, "{:?}", bulk.body);
    let key = app.post("/v1/keys", &json!({"kind": "user", "user_id": user["id"], "scopes": ["read"]})).await;
    assert_eq!(key.status, 201, "{:?}", key.body);
    (user, key.body["secret"].as_str().unwrap().to_owned())
}

async fn me_with(app: &TestApp, key: &str) -> u16 {
    app.send(Method::GET, "/v1/me", Some(key), None).await.status
}

const ONE_OF_EACH: &str = r#"{"users":1,"addresses":1,"memberships":1,"orders":1,"payment_methods":1,"subscriptions":1,"pricing":1,"external_refs":1,"attributes":1,"keys":1,"idempotency_records":1}"#;

async fn erase_removes_the_user_with_everything_related_for_good(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (user, user_key) = user_with_everything(&app, "jerry@example.com").await;
    let id = user["id"].as_str().unwrap();
    let numeric = app.get_numeric_id("acme", id).await;
    assert_eq!(me_with(&app, &user_key).await, 200, "the bound key works (and is cached)");

    let erased = app.post(&format!("/v1/users/{id}/erase"), &json!({})).await;
    assert_eq!(erased.status, 200, "{:?}", erased.body);
    assert_eq!((erased.body["object"].as_str(), erased.body["id"].as_str()), (Some("erasure"), Some(id)));
    assert_eq!(erased.body["erased"], serde_json::from_str::<Value>(ONE_OF_EACH).unwrap());

    assert_eq!(me_with(&app, &user_key).await, 401, "the bound key stops working at once");
    let path = format!("/v1/users/{id}");
    assert_eq!(app.get(&path).await.code(), "user_not_found");
    assert_eq!(app.post(&format!("{path}/restore"), &json!({})).await.status, 404, "not restorable");
    assert_eq!(app.get(&format!("{path}/export")).await.status, 404);
    let again = app.post(&format!("{path}/erase"), &json!({})).await;
    assert_eq!((again.status, again.code()), (404, "user_not_found"), "a repeated erase is a clear 404");
    let listed = app.get("/v1/users?include_deleted=true").await;
    assert_eq!(listed.body["data"], json!([]), "not even among deleted users");
    // The store has nothing left of it: no user, no bound key, no related rows.
    let project = ProjectId::parse("acme").unwrap();
    let store = &app.state.store;
    assert!(store.find_user(&project, &UserKey::Numeric(numeric)).await.unwrap().is_none());
    assert!(store.list_keys(&project).await.unwrap().iter().all(|k| k.key.user_id.is_none()));
    assert!(store.list_addresses(&project, numeric, None).await.unwrap().is_empty());
    assert!(store.list_memberships(&project, None, Some(numeric)).await.unwrap().is_empty());
    assert!(store.list_pricing(&project, numeric).await.unwrap().is_empty());

    let reused = app
        .post(
            "/v1/users",
            &json!({"email": "JERRY@example.com", "external_refs": [{"source": "erp", "source_id": "42"}]}),
        )
        .await;
    assert_eq!(reused.status, 201, "the email and the external ref are free: {:?}", reused.body);
}

async fn erase_takes_deleted_users_and_replays_its_answer_for_an_idempotency_key(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({"email": "a@example.com"})).await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/users/{id}")).await.status, 200);
    let erase = || {
        let req = app.http.post(format!("{}/v1/users/{id}/erase", app.base)).bearer_auth(&app.key);
        TestApp::read(req.header("idempotency-key", "erase-1"))
    };
    let first = erase().await;
    assert_eq!((first.status, first.body["erased"]["users"].as_u64()), (200, Some(1)), "{:?}", first.body);
    let retry = erase().await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body, first.body);
}

async fn another_projects_user_cannot_be_erased_or_exported(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let other = app.new_project("beta").await;
    let user = app.create_user(json!({"email": "a@example.com"})).await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    let erase = app.send(Method::POST, &format!("{path}/erase"), Some(&other), None).await;
    assert_eq!((erase.status, erase.code()), (404, "user_not_found"));
    assert_eq!(app.send(Method::GET, &format!("{path}/export"), Some(&other), None).await.status, 404);
    assert_eq!(app.get(&path).await.status, 200, "the user is untouched");
    // Only a secret key may: the user's own bound key may not.
    let key = app.post("/v1/keys", &json!({"kind": "user", "user_id": user["id"], "scopes": ["manage"]})).await;
    let own = key.body["secret"].as_str().unwrap();
    assert_eq!(app.send(Method::GET, &format!("{path}/export"), Some(own), None).await.status, 403);
    assert_eq!(app.send(Method::POST, &format!("{path}/erase"), Some(own), None).await.status, 403);
    assert_eq!(app.send(Method::POST, "/v1/users/usr_bogus/erase", Some(&app.key), None).await.status, 404);
}

async fn export_holds_every_kind_of_related_data_and_no_secret(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (user, user_key) = user_with_everything(&app, "jerry@example.com").await;
    let id = user["id"].as_str().unwrap();
    // A soft-deleted user is exported too (an operator exports before erasing).
    assert_eq!(app.delete(&format!("/v1/users/{id}")).await.status, 200);
    let reply = app.get(&format!("/v1/users/{id}/export")).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let e = &reply.body;
    assert_eq!(e["object"], "user_export");
    assert!(e["exported_at"].is_string());
    assert_eq!((e["user"]["id"].as_str(), e["user"]["email"].as_str()), (Some(id), Some("jerry@example.com")));
    assert_eq!(e["user"]["status"], "deleted");
    assert_eq!(e["user"]["external_refs"], json!([{"source": "erp", "source_id": "42"}]));
    assert_eq!((e["addresses"][0]["city"].as_str(), e["addresses"][0]["user_id"].as_str()), (Some("Oslo"), Some(id)));
    assert_eq!(e["organizations"][0]["role"], "Owner");
    assert_eq!(e["organizations"][0]["organization_name"], "Org of jerry@example.com");
    assert_eq!(e["orders"][0]["details"]["total"], 12.5);
    assert_eq!(e["payment_methods"].as_array().unwrap().len(), 1);
    assert_eq!(e["subscriptions"].as_array().unwrap().len(), 1);
    assert_eq!(e["pricing"][0]["pricing"]["price"], 9.5);
    assert_eq!(e["attributes"], json!([{"name": "segment", "value": "gold"}]));
    assert_eq!(e["keys"].as_array().unwrap().len(), 1);
    assert_eq!((e["keys"][0]["kind"].as_str(), e["keys"][0]["user_id"].as_str()), (Some("user"), Some(id)));
    let text = e.to_string();
    let secret_part = user_key.rsplit('_').next().unwrap();
    assert!(!text.contains(secret_part), "the key's secret is not exported");
    assert!(!text.contains("\"secret\"") && !text.contains("hash"), "{text}");
    assert!(!text.contains(&app.key[app.key.len() - 20..]), "nor the caller's key");
}

/// The `userbase_personal_data_removed_total` sample for a cause and kind, 0 when absent.
async fn removed_total(app: &TestApp, cause: &str, kind: &str) -> u64 {
    let raw = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    let sample = format!("userbase_personal_data_removed_total{{cause=\"{cause}\",kind=\"{kind}\"}} ");
    raw.lines().find_map(|l| l.strip_prefix(&sample)).map_or(0, |n| n.trim().parse().unwrap())
}

async fn the_purge_removes_users_past_the_retention_and_metrics_count_them(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let project = ProjectId::parse("acme").unwrap();
    let (old, old_key) = user_with_everything(&app, "old@example.com").await;
    let recent = app.create_user(json!({"email": "recent@example.com"})).await;
    for user in [&old, &recent] {
        assert_eq!(app.delete(&format!("/v1/users/{}", user["id"].as_str().unwrap())).await.status, 200);
    }
    // The old user was deleted 31 days ago (the retention is 30 days).
    let key = UserKey::Public(PublicUserId::parse(old["id"].as_str().unwrap()).unwrap());
    let mut stored = app.state.store.find_user(&project, &key).await.unwrap().unwrap();
    stored.deleted_at = Some(now_utc() - time::Duration::days(31));
    let claims = UniqueClaims { email: false, live: false };
    app.state.store.update_user(&stored, claims, RefsChange::Unchanged).await.unwrap();
    let before = removed_total(&app, "purge", "users").await;

    let acme = app.state.projects.get(&project).await.unwrap();
    let due = app.state.personal_data.purgeable(&acme, now_utc()).await.unwrap();
    assert_eq!((due.users, due.addresses, due.keys), (1, 1, 1));
    let purged = app.state.personal_data.purge(&acme, now_utc()).await.unwrap();
    assert_eq!((purged.users, purged.orders, purged.external_refs), (1, 1, 1));
    assert!(app.state.store.find_user(&project, &key).await.unwrap().is_none(), "the old user is gone");
    assert_eq!(me_with(&app, &old_key).await, 401, "its key with it");
    let recent_path = format!("/v1/users/{}/restore", recent["id"].as_str().unwrap());
    assert_eq!(app.post(&recent_path, &json!({})).await.status, 200, "the recent one is still restorable");
    assert_eq!(removed_total(&app, "purge", "users").await, before + 1);
    assert_eq!(removed_total(&app, "purge", "addresses").await, 1);

    let erased_before = removed_total(&app, "erase", "users").await;
    app.post(&format!("/v1/users/{}/erase", recent["id"].as_str().unwrap()), &json!({})).await;
    assert_eq!(removed_total(&app, "erase", "users").await, erased_before + 1);
}

async fn the_retention_is_a_project_setting_and_zero_purges_at_the_next_run(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({"email": "a@example.com"})).await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/users/{id}")).await.status, 200);
    let project = ProjectId::parse("acme").unwrap();
    let acme = app.state.projects.get(&project).await.unwrap();
    assert_eq!(app.state.personal_data.purge(&acme, now_utc()).await.unwrap().users, 0, "30 days by default");

    assert_eq!(app.patch("/v1/project", &json!({"deleted_retention_days": 3651})).await.status, 422);
    assert_eq!(app.patch("/v1/project", &json!({"deleted_retention_days": -1})).await.status, 400);
    let changed = app.patch("/v1/project", &json!({"deleted_retention_days": 0})).await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["settings"]["deleted_retention_days"], 0);
    let acme = app.state.projects.get(&project).await.unwrap();
    assert_eq!(app.state.personal_data.purge(&acme, now_utc()).await.unwrap().users, 1);
    assert_eq!(app.post(&format!("/v1/users/{id}/restore"), &json!({})).await.status, 404);
}

backend_tests!(
    the_retention_is_a_project_setting_and_zero_purges_at_the_next_run,
    erase_removes_the_user_with_everything_related_for_good,
    erase_takes_deleted_users_and_replays_its_answer_for_an_idempotency_key,
    another_projects_user_cannot_be_erased_or_exported,
    export_holds_every_kind_of_related_data_and_no_secret,
    the_purge_removes_users_past_the_retention_and_metrics_count_them,
);
