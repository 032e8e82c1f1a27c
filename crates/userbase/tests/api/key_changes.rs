//! Two `userbase serve` processes on one database, each caching verified keys for ten minutes: a revocation
//! (by the CLI or through the other server) and a project change (through the other server) still reach the
//! first server within a second, on both backends.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend, TestDatabase};

use crate::cli::{status_with_key, stdout, userbase, Server};

/// Long enough that, without propagation, nothing in these tests could expire from a cache.
const CACHE: &[&str] = &["--no-bootstrap", "--key-cache-seconds", "600"];

/// How soon a change must reach the other server (the stores promise half a second; the rest is slack for a
/// busy test machine).
const WITHIN: Duration = Duration::from_secs(1);

/// A new secret key of `project`, and its id.
fn secret_key(db: &TestDatabase, project: &str) -> (String, String) {
    let out = userbase(db, &["keys", "create", "--project", project, "--kind", "secret"]);
    assert!(out.status.success());
    let key = stdout(&out).trim().to_owned();
    let id = format!("key_{}", key.split('_').nth(2).unwrap());
    (key, id)
}

/// Polls `check` every 50 ms until it holds; how long that took, or a failure naming what was last seen.
async fn within<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (bool, String)>,
{
    let started = Instant::now();
    loop {
        let (done, seen) = check().await;
        if done {
            return started.elapsed();
        }
        assert!(started.elapsed() < WITHIN, "{what}: still {seen} after {:?}", started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn key_stops_working_within(server: &Server, key: &str, what: &str) {
    let took = within(what, || async { (status_with_key(&server.base, key).await == 401, "200".to_owned()) }).await;
    assert!(took < WITHIN, "{what}: took {took:?}");
    for _ in 0..3 {
        assert_eq!(status_with_key(&server.base, key).await, 401, "{what}: the revoked key works again");
    }
}

async fn a_key_revoked_with_the_cli_stops_working_on_a_caching_server_within_a_second(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let (key, key_id) = secret_key(&db, "acme");
    let mut a = Server::start(&db, CACHE);
    assert_eq!(status_with_key(&a.base, &key).await, 200, "the key is cached on A");

    assert!(userbase(&db, &["keys", "revoke", &key_id]).status.success());
    key_stops_working_within(&a, &key, "revoked with the CLI").await;
    assert!(a.terminate());
}

async fn a_key_revoked_through_another_server_stops_working_within_a_second(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme"]).status.success());
    let (admin, _) = secret_key(&db, "acme");
    let (key, key_id) = secret_key(&db, "acme");
    let mut a = Server::start(&db, CACHE);
    let mut b = Server::start(&db, CACHE);
    assert_eq!(status_with_key(&a.base, &key).await, 200, "the key is cached on A");

    let revoked =
        reqwest::Client::new().delete(format!("{}/v1/keys/{key_id}", b.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(revoked.status().as_u16(), 200);
    assert_eq!(status_with_key(&b.base, &key).await, 401, "B, which revoked it, refuses it at once");
    key_stops_working_within(&a, &key, "revoked through server B").await;
    assert!(a.terminate() && b.terminate());
}

async fn project_name(base: &str, key: &str) -> String {
    let reply = reqwest::Client::new().get(format!("{base}/v1/project")).bearer_auth(key).send().await.unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    let body: Value = reply.json().await.unwrap();
    body["name"].as_str().unwrap_or_default().to_owned()
}

async fn a_project_change_through_another_server_is_seen_within_a_second(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else { return };
    assert!(userbase(&db, &["projects", "create", "acme", "--name", "Acme"]).status.success());
    let (key, _) = secret_key(&db, "acme");
    let mut a = Server::start(&db, CACHE);
    let mut b = Server::start(&db, CACHE);
    // A answers `GET /v1/project` from the project its cached key carries.
    assert_eq!(project_name(&a.base, &key).await, "Acme");

    let changed = reqwest::Client::new()
        .patch(format!("{}/v1/project", b.base))
        .bearer_auth(&key)
        .json(&json!({ "name": "Acme Renamed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status().as_u16(), 200);
    let took = within("renamed through server B", || async {
        let name = project_name(&a.base, &key).await;
        (name == "Acme Renamed", format!("{name:?}"))
    })
    .await;
    assert!(took < WITHIN, "took {took:?}");
    assert!(a.terminate() && b.terminate());
}

backend_tests!(
    a_key_revoked_with_the_cli_stops_working_on_a_caching_server_within_a_second,
    a_key_revoked_through_another_server_stops_working_within_a_second,
    a_project_change_through_another_server_is_seen_within_a_second,
);
