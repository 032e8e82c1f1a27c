//! User-bound keys and their scopes, read-only fields on `/v1/me`, expiry and `last_used_at`.

use reqwest::Method;
use serde_json::json;
use userbase_core::api_key::{KeyKind, NewKey};
use userbase_core::ids::ProjectId;
use userbase_testing::{backend_tests, Backend};

use crate::auth_support::{me, user_key};
use crate::support::TestApp;

async fn each_scope_allows_its_methods(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let mut expectations = vec![];
    for (scopes, get, patch) in [
        (vec!["read"], 200, 403),
        (vec!["update"], 403, 200),
        (vec!["read", "update"], 200, 200),
        (vec!["manage"], 200, 200),
        (vec!["create"], 403, 403),
        (vec!["delete"], 403, 403),
    ] {
        let user = app.create_user(json!({})).await;
        let key = user_key(&app, "acme", user["id"].as_str().unwrap(), &scopes).await;
        let got = me(&app, Method::GET, &key, None, None).await;
        let patched = me(&app, Method::PATCH, &key, None, Some(&json!({"first_name": "Me"}))).await;
        expectations.push((scopes.clone(), got.status, patched.status));
        assert_eq!((got.status, patched.status), (get, patch), "{scopes:?}");
        if got.status == 200 {
            assert_eq!(got.body["id"], user["id"], "the key acts as its user");
        }
        if patched.status == 403 {
            assert_eq!(patched.body["code"], "insufficient_scope");
        }
    }
    let user = app.create_user(json!({"email": "d@example.com"})).await;
    let deleter = user_key(&app, "acme", user["id"].as_str().unwrap(), &["delete"]).await;
    let deleted = me(&app, Method::DELETE, &deleter, None, None).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["status"], "deleted");
    assert_eq!(app.get(&format!("/v1/users/{}", user["id"].as_str().unwrap())).await.status, 404);
    let admin = app
        .send(
            Method::GET,
            "/v1/users",
            Some(&user_key(&app, "acme", app.create_user(json!({})).await["id"].as_str().unwrap(), &["manage"]).await),
            None,
        )
        .await;
    assert_eq!(admin.status, 403, "a user key is no admin");
}

async fn secret_only_fields_are_read_only_on_me(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({"email": "a@example.com"})).await;
    let key = user_key(&app, "acme", user["id"].as_str().unwrap(), &["manage"]).await;
    for body in [
        json!({"status": "active"}),
        json!({"roles": ["admin"]}),
        json!({"external_refs": []}),
        json!({"auth_subject": "x"}),
        json!({"email_verified": true}),
    ] {
        let reply = me(&app, Method::PATCH, &key, None, Some(&body)).await;
        assert_eq!(reply.status, 403, "{body}");
        assert_eq!(reply.body["code"], "read_only_fields");
    }
    let ok =
        me(&app, Method::PATCH, &key, None, Some(&json!({"first_name": "Ann", "metadata": {"theme": "dark"}}))).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["roles"], json!(["user"]), "unchanged");
}

async fn keys_of_other_projects_expired_or_revoked_keys_do_not_work(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({})).await;
    app.new_project("globex").await;
    let numeric = app.get_numeric_id("acme", user["id"].as_str().unwrap()).await;
    let cross = NewKey {
        project_id: ProjectId::parse("globex").unwrap(),
        kind: KeyKind::User,
        name: None,
        user_id: Some(numeric),
        scopes: vec!["read".into()],
        expires_at: None,
    };
    assert!(app.state.keys.create(cross).await.is_err(), "a user key must name a user of its own project");
    let expired = NewKey {
        project_id: ProjectId::parse("acme").unwrap(),
        kind: KeyKind::Secret,
        name: None,
        user_id: None,
        scopes: vec![],
        expires_at: Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)),
    };
    let expired = app.state.keys.create(expired).await.unwrap().plaintext;
    assert_eq!(app.send(Method::GET, "/v1/users", Some(&expired), None).await.status, 401);
    let key = user_key(&app, "acme", user["id"].as_str().unwrap(), &["read"]).await;
    let id = userbase_core::api_key::KeyId::parse(&format!("key_{}", key.split('_').nth(2).unwrap())).unwrap();
    app.state.keys.revoke(&id).await.unwrap();
    assert_eq!(me(&app, Method::GET, &key, None, None).await.status, 401);
}

async fn key_use_is_recorded(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    assert_eq!(app.get("/v1/users").await.status, 200);
    let project = ProjectId::parse("acme").unwrap();
    let mut used = None;
    // The write happens off the request path; wait for it, boundedly.
    for _ in 0..100 {
        let keys = app.state.keys.list(&project).await.unwrap();
        used = keys.iter().find_map(|k| k.key.last_used_at);
        if used.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let first = used.expect("last_used_at was recorded");
    assert_eq!(app.get("/v1/users").await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let keys = app.state.keys.list(&project).await.unwrap();
    assert_eq!(keys.iter().find_map(|k| k.key.last_used_at), Some(first), "at most one write a minute");
}

/// The `userbase_key_store_lookups_total` counter of `/metrics`.
async fn store_lookups(app: &TestApp) -> u64 {
    let raw = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    let line =
        raw.lines().find(|l| l.starts_with("userbase_key_store_lookups_total ")).unwrap_or_else(|| panic!("{raw}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// A bogus key costs one database lookup, not one per request: unknown ids are answered from a short
/// negative cache, as fast as a wrong secret for a known (cached) id.
async fn unknown_key_ids_are_answered_without_a_lookup_per_request(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let bogus = format!("ub_sk_{}_{}", "A".repeat(16), "b".repeat(43));
    let wrong_secret = {
        let (head, _) = app.key.rsplit_once('_').unwrap();
        format!("{head}_{}", "c".repeat(43))
    };
    assert_eq!(app.send(Method::GET, "/v1/users", Some(&app.key), None).await.status, 200);
    let before = store_lookups(&app).await;
    for _ in 0..20 {
        assert_eq!(app.send(Method::GET, "/v1/users", Some(&bogus), None).await.status, 401);
        assert_eq!(app.send(Method::GET, "/v1/users", Some(&wrong_secret), None).await.status, 401);
    }
    assert_eq!(store_lookups(&app).await - before, 1, "one lookup for the unknown id, none for the cached one");
    // A key created afterwards works at once (creating it clears its id from the negative cache).
    let fresh = app.new_key("acme", KeyKind::Secret).await;
    assert_eq!(app.send(Method::GET, "/v1/users", Some(&fresh), None).await.status, 200);
}

backend_tests!(
    unknown_key_ids_are_answered_without_a_lookup_per_request,
    each_scope_allows_its_methods,
    secret_only_fields_are_read_only_on_me,
    keys_of_other_projects_expired_or_revoked_keys_do_not_work,
    key_use_is_recorded,
);
