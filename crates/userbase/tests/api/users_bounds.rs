//! Expensive reads are bounded: a filter that runs past the query time bound answers 422 `query_too_expensive`
//! (the Gigs rendering: 422 `invalid`, code `queryTooExpensive`), never a 500, and the server stays healthy.

use std::time::Duration;

use serde_json::json;
use userbase_store::OpenOptions;
use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

/// 4,000 users, each with a 4 KiB note, through the bulk endpoint.
async fn seed_heavy_users(app: &TestApp) {
    let note: String = (0..700).map(|i| format!("w{i} ")).collect::<String>().chars().take(4096).collect();
    for chunk in 0..20 {
        let body: String =
            (0..200).map(|i| json!({"first_name": format!("U{chunk}-{i}"), "note": note}).to_string() + "\n").collect();
        let req = app
            .http
            .post(format!("{}/v1/users/bulk", app.base))
            .bearer_auth(&app.key)
            .header("content-type", "application/x-ndjson")
            .body(body);
        let reply = TestApp::read(req).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
    }
}

/// 64 OR-ed substring comparisons that match no one: every user's note is read 64 times.
fn pathological_filter() -> String {
    (0..64).map(|i| format!("note co \"zq{i}x\"")).collect::<Vec<_>>().join(" or ")
}

async fn a_filter_past_the_query_time_bound_answers_422_query_too_expensive(backend: Backend) {
    let options = OpenOptions {
        max_connections: Some(8),
        query_timeout: Some(Duration::from_millis(200)),
        ..OpenOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else { return };
    seed_heavy_users(&app).await;
    let someone = app.create_user(json!({"email": "still@example.com"})).await;
    let filter = pathological_filter();

    let list =
        app.http.get(format!("{}/v1/users", app.base)).query(&[("filter", filter.as_str())]).bearer_auth(&app.key);
    let reply = TestApp::read(list).await;
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    assert_eq!(reply.code(), "query_too_expensive");
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));

    let total = app
        .http
        .get(format!("{}/v1/users", app.base))
        .query(&[("filter", "first_name co \"u1\""), ("include", "total")])
        .bearer_auth(&app.key);
    let with_total = TestApp::read(total).await;
    assert_eq!(with_total.status, 200, "a cheap filter with its total still answers: {:?}", with_total.body);

    let id = someone["id"].as_str().unwrap();
    let got = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(got.status, 200, "the server stays healthy: {:?}", got.body);
    assert_eq!(app.get("/readyz").await.status, 200);
}

backend_tests!(a_filter_past_the_query_time_bound_answers_422_query_too_expensive);
