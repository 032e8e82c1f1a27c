//! Concurrent creates (which SQLite commits together, see `userbase-store/src/lite/mod.rs`): each caller gets
//! its own user or its own conflict, exactly as if the creates had come one at a time.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::support::{Reply, TestApp};

async fn concurrent_creates_each_get_their_own_answer(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let app = Arc::new(app);
    // 30 distinct users; 20 sharing 4 external refs; 20 sharing 4 auth subjects; 10 with invalid input.
    let mut bodies = Vec::new();
    for i in 0..30 {
        bodies.push(
            json!({"email": format!("u{i}@example.com"), "first_name": format!("F{i}"), "tags": [format!("t{i}")]}),
        );
    }
    for i in 0..20 {
        bodies.push(json!({"first_name": format!("R{i}"), "external_refs": [{"source": "erp", "source_id": format!("r{}", i % 4)}]}));
    }
    for i in 0..20 {
        bodies.push(json!({"first_name": format!("S{i}"), "auth_subject": format!("sub-{}", i % 4)}));
    }
    for i in 0..10 {
        bodies.push(json!({"email": format!("not-an-email-{i}")}));
    }
    let mut tasks = Vec::new();
    for body in bodies.clone() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move { app.post("/v1/users", &body).await }));
    }
    let mut replies: Vec<Reply> = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }

    let mut created_ids = Vec::new();
    for (body, reply) in bodies.iter().zip(&replies) {
        if reply.status == 201 {
            assert_eq!(reply.body["first_name"], body["first_name"]);
            let id = reply.body["id"].as_str().unwrap().to_owned();
            let stored = app.get(&format!("/v1/users/{id}")).await;
            assert_eq!(stored.body, reply.body, "the answer is the stored user");
            assert_eq!(stored.header("etag"), reply.header("etag"));
            created_ids.push(id);
        }
    }
    let count = |range: std::ops::Range<usize>, status: u16, code: &str| {
        replies[range].iter().filter(|r| r.status == status && (code.is_empty() || r.code() == code)).count()
    };
    assert_eq!(count(0..30, 201, ""), 30);
    assert_eq!(count(30..50, 201, ""), 4, "one winner per external ref");
    assert_eq!(count(30..50, 409, "external_ref_taken"), 16);
    assert_eq!(count(50..70, 201, ""), 4, "one winner per auth subject");
    assert_eq!(count(50..70, 409, "auth_subject_taken"), 16);
    assert_eq!(count(70..80, 422, "validation_failed"), 10);
    // Every id is distinct, and the list holds exactly the created users.
    let distinct: HashMap<&String, ()> = created_ids.iter().map(|id| (id, ())).collect();
    assert_eq!(distinct.len(), 38);
    let listed: Value = app.get("/v1/users?limit=100&include=total").await.body;
    assert_eq!(listed["total"], 38);
    // The numeric ids are distinct too (they key addresses, memberships and keys).
    let mut numeric: Vec<i64> =
        listed["data"].as_array().unwrap().iter().map(|u| u["numeric_id"].as_i64().unwrap()).collect();
    numeric.sort_unstable();
    numeric.dedup();
    assert_eq!(numeric.len(), 38);
}

backend_tests!(concurrent_creates_each_get_their_own_answer);
