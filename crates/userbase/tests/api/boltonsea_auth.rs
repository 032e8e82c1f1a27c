//! BoltonSea credentials: `X-API-KEY` takes only user-bound keys; their scopes are BoltonSea's access flags;
//! deleting the user stops its keys on every surface, also on another server process.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use userbase_core::api_key::KeyKind;
use userbase_testing::{backend_tests, Backend, TestDatabase};

use crate::auth_support::{claims, hs256, me};
use crate::boltonsea_support::{assert_error, bs, message, user_with_key};
use crate::cli::{stdout, userbase, Server};
use crate::support::TestApp;

/// What each method does when allowed, on a fresh user.
fn request(method: &Method, n: usize) -> Option<Value> {
    match *method {
        Method::POST => Some(json!({})),
        Method::PUT => Some(json!({"country_id": "NL", "email": format!("put{n}@example.com"), "first_name": "P"})),
        _ => None,
    }
}

async fn each_access_flag_allows_its_method_and_manage_allows_all(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let methods = [Method::GET, Method::POST, Method::PUT, Method::DELETE];
    let allowed = [200, 201, 200, 204];
    let mut n = 0;
    for scope in ["read", "create", "update", "delete", "manage"] {
        for (method, ok) in methods.iter().zip(allowed) {
            n += 1;
            let (_, key) = user_with_key(&app, json!({}), &[scope]).await;
            let reply = bs(&app, method.clone(), "/users", Some(&key), request(method, n).as_ref()).await;
            let needed = match *method {
                Method::GET => "read",
                Method::POST => "create",
                Method::PUT => "update",
                _ => "delete",
            };
            if scope == needed || scope == "manage" {
                assert_eq!(reply.status, ok, "{scope} {method}: {:?}", reply.body);
            } else {
                assert_error(&reply, 403, "/users");
                assert!(message(&reply).contains(&format!("'{needed}'")), "{scope} {method}: {:?}", message(&reply));
            }
        }
    }
}

async fn only_a_live_user_key_in_x_api_key_is_a_credential(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (user, key) = user_with_key(&app, json!({}), &["manage"]).await;
    assert_eq!(bs(&app, Method::GET, "/users", Some(&key), None).await.status, 200);
    let publishable = app.new_key("acme", KeyKind::Publishable).await;
    let jwt = hs256(&claims("someone"));
    let secret = app.key.clone();
    for credential in
        [None, Some(""), Some("nonsense"), Some(secret.as_str()), Some(publishable.as_str()), Some(jwt.as_str())]
    {
        let reply = bs(&app, Method::GET, "/users", credential, None).await;
        assert_error(&reply, 401, "/users");
    }
    // A user key as bearer is not where BoltonSea reads it.
    let bearer = TestApp::read(app.http.get(format!("{}/boltonsea/users", app.base)).bearer_auth(&key)).await;
    assert_error(&bearer, 401, "/users");
    // A revoked key.
    let keys = app.get("/v1/keys").await.body;
    let id = keys["data"].as_array().unwrap().iter().find(|k| k["user_id"] == user["id"]).unwrap()["id"].clone();
    assert_eq!(app.delete(&format!("/v1/keys/{}", id.as_str().unwrap())).await.status, 200);
    assert_error(&bs(&app, Method::GET, "/users/me", Some(&key), None).await, 401, "/users/me");
}

/// Every surface that takes a user key: BoltonSea, `/v1/me` and BuiltOn (`me` with the key as bearer).
async fn surfaces_with_key(app: &TestApp, key: &str, pk: &str) -> [u16; 3] {
    let boltonsea = bs(app, Method::GET, "/users", Some(key), None).await.status;
    let v1 = me(app, Method::GET, key, None, None).await.status;
    let builton = TestApp::read(
        app.http.get(format!("{}/builton/users/me", app.base)).bearer_auth(key).header("X-Builton-Api-Key", pk),
    )
    .await
    .status;
    [boltonsea, v1, builton]
}

async fn deleting_the_user_stops_all_its_keys_on_every_surface(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let pk = app.new_key("acme", KeyKind::Publishable).await;
    let (user, deleter) = user_with_key(&app, json!({"email": "a@example.com"}), &["manage"]).await;
    let reader = crate::auth_support::user_key(&app, "acme", user["id"].as_str().unwrap(), &["read"]).await;
    assert_eq!(surfaces_with_key(&app, &reader, &pk).await, [200, 200, 200]);
    assert_eq!(bs(&app, Method::DELETE, "/users", Some(&deleter), None).await.status, 204);
    for key in [&deleter, &reader] {
        assert_eq!(surfaces_with_key(&app, key, &pk).await, [401, 401, 401], "at once, on the server that deleted it");
    }
    // Restoring the user (v1) brings its keys back.
    let restored = app.post(&format!("/v1/users/{}/restore", user["id"].as_str().unwrap()), &json!({})).await;
    assert_eq!(restored.status, 200, "{:?}", restored.body);
    assert_eq!(surfaces_with_key(&app, &reader, &pk).await, [200, 200, 200]);
}

/// How soon a change must reach the other server (the stores promise half a second; the rest is slack).
const WITHIN: Duration = Duration::from_secs(1);

async fn status_on(base: &str, path: &str, key: &str, bearer: bool) -> u16 {
    let req = reqwest::Client::new().get(format!("{base}{path}"));
    let req = if bearer { req.bearer_auth(key) } else { req.header("X-API-KEY", key) };
    req.send().await.unwrap().status().as_u16()
}

async fn deleting_the_user_through_another_server_stops_its_key_within_a_second(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let secret = stdout(&userbase(&db, &["keys", "create", "--project", "acme", "--kind", "secret"])).trim().to_owned();
    let cache = ["--no-bootstrap", "--key-cache-seconds", "600"];
    let mut a = Server::start(&db, &cache);
    let mut b = Server::start(&db, &cache);
    let http = reqwest::Client::new();
    let user: Value = http
        .post(format!("{}/v1/users", b.base))
        .bearer_auth(&secret)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let out = userbase(
        &db,
        &[
            "keys",
            "create",
            "--project",
            "acme",
            "--kind",
            "user",
            "--user",
            user["id"].as_str().unwrap(),
            "--scopes",
            "read,delete",
        ],
    );
    assert!(out.status.success());
    let key = stdout(&out).trim().to_owned();
    assert_eq!(status_on(&a.base, "/boltonsea/users", &key, false).await, 200, "cached on A");
    assert_eq!(status_on(&a.base, "/v1/me", &key, true).await, 200, "cached on A");

    let deleted = http.delete(format!("{}/boltonsea/users", b.base)).header("X-API-KEY", &key).send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(status_on(&b.base, "/boltonsea/users", &key, false).await, 401, "B refuses it at once");
    let started = Instant::now();
    loop {
        let seen =
            [status_on(&a.base, "/boltonsea/users", &key, false).await, status_on(&a.base, "/v1/me", &key, true).await];
        if seen == [401, 401] {
            break;
        }
        assert!(started.elapsed() < WITHIN, "A still answers {seen:?} after {:?}", started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(a.terminate() && b.terminate());
}

backend_tests!(
    each_access_flag_allows_its_method_and_manage_allows_all,
    only_a_live_user_key_in_x_api_key_is_a_credential,
    deleting_the_user_stops_all_its_keys_on_every_surface,
    deleting_the_user_through_another_server_stops_its_key_within_a_second,
);
