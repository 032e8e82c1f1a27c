//! `Idempotency-Key` on v1 POSTs.

use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::support::{ids, Reply, TestApp};

async fn post_with_key(app: &TestApp, key_header: &str, path: &str, token: &str, body: &Value) -> Reply {
    let req = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("idempotency-key", key_header)
        .json(body);
    TestApp::read(req).await
}

async fn a_retried_post_replays_the_first_response(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let body = json!({"email": "a@example.com"});
    let first = post_with_key(&app, "k-1", "/v1/users", &app.key, &body).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = post_with_key(&app, "k-1", "/v1/users", &app.key, &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(ids(&app.get("/v1/users").await.body).len(), 1, "the user was created once");

    let other_key = post_with_key(&app, "k-2", "/v1/users", &app.key, &json!({"email": "b@example.com"})).await;
    assert_eq!(other_key.status, 201);
    let reused = post_with_key(&app, "k-1", "/v1/users", &app.key, &json!({"email": "c@example.com"})).await;
    assert_eq!(reused.status, 422);
    assert_eq!(reused.code(), "idempotency_key_reused");
}

async fn client_errors_replay_and_keys_are_per_project(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let bad = json!({"email": "nope"});
    assert_eq!(post_with_key(&app, "k", "/v1/users", &app.key, &bad).await.status, 422);
    let replay = post_with_key(&app, "k", "/v1/users", &app.key, &bad).await;
    assert_eq!((replay.status, replay.header("idempotent-replayed")), (422, Some("true")));

    let other = app.new_project("globex").await;
    let theirs = post_with_key(&app, "k", "/v1/users", &other, &bad).await;
    assert_eq!(theirs.header("idempotent-replayed"), None, "another project's key space");
    assert_eq!(post_with_key(&app, &"x".repeat(256), "/v1/users", &app.key, &bad).await.status, 400);
    let unauthenticated = post_with_key(&app, "k", "/v1/users", "nope", &bad).await;
    assert_eq!(unauthenticated.status, 401);
}

async fn any_v1_post_is_covered(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({})).await;
    let path = format!("/v1/users/{}/addresses", user["id"].as_str().unwrap());
    let body = json!({"type": "home", "city": "Oslo"});
    let first = post_with_key(&app, "addr", &path, &app.key, &body).await;
    let second = post_with_key(&app, "addr", &path, &app.key, &body).await;
    assert_eq!(first.body["id"], second.body["id"]);
    assert_eq!(app.get(&path).await.body["data"].as_array().unwrap().len(), 1);
    // The same key on another path is another request.
    let elsewhere = post_with_key(&app, "addr", "/v1/users", &app.key, &body).await;
    assert_eq!(elsewhere.code(), "idempotency_key_reused");
}

async fn concurrent_retries_create_one_user(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let r = post_with_key(&app, "same", "/v1/users", &app.key, &json!({"first_name": "Once"})).await;
            (r.status, r.header("idempotent-replayed").is_some())
        }));
    }
    let mut fresh = 0;
    for t in tasks {
        let (status, replayed) = t.await.unwrap();
        assert!(status == 201 || status == 409, "{status}");
        if status == 201 && !replayed {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1, "exactly one request ran");
    assert_eq!(ids(&app.get("/v1/users").await.body).len(), 1);
}

/// A client that hangs up mid-request and retries with the same key gets the outcome of its first attempt (or
/// a fresh run), never a claim left "in progress" for the rest of the replay window.
async fn a_request_abandoned_by_its_client_still_completes(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let Some(app) = TestApp::spawn(backend).await else { return };
    let address = app.base.trim_start_matches("http://").to_owned();
    for i in 0..20 {
        let key = format!("hangup-{i}");
        let body = json!({"email": format!("h{i}@example.com")}).to_string();
        let raw = format!(
            "POST /v1/users HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nIdempotency-Key: {key}\r\nContent-Length: {}\r\n\r\n{body}",
            app.key,
            body.len()
        );
        let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
        socket.write_all(raw.as_bytes()).await.unwrap();
        drop(socket);
        // The abandoned request may still be running: a retry waits for it, a bounded number of times.
        let mut retry = None;
        for _ in 0..50 {
            let reply = post_with_key(&app, &key, "/v1/users", &app.key, &serde_json::from_str(&body).unwrap()).await;
            if reply.status != 409 {
                retry = Some(reply);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let retry = retry.unwrap_or_else(|| panic!("key {key} stayed in progress"));
        assert_eq!(retry.status, 201, "{:?}", retry.body);
    }
    assert_eq!(ids(&app.get("/v1/users?limit=100").await.body).len(), 20, "each user created once");
}

backend_tests!(
    a_request_abandoned_by_its_client_still_completes,
    a_retried_post_replays_the_first_response,
    client_errors_replay_and_keys_are_per_project,
    any_v1_post_is_covered,
    concurrent_retries_create_one_user,
);
