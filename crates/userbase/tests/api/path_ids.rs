//! Ids in paths are checked before they reach SQL: an id with a NUL character, of the wrong shape or of
//! absurd length is a 404 (or 400) on every route of every surface, never a 500 (PostgreSQL refuses NUL in
//! text with an error).

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::gigs_support::gigs;
use crate::support::TestApp;

fn hostile_ids() -> Vec<String> {
    vec![
        "%00".to_owned(),
        "usr_%00".to_owned(),
        "ord_%00".to_owned(),
        "adr_%00".to_owned(),
        "org_%00".to_owned(),
        "key_%00".to_owned(),
        format!("ord_{}", "a".repeat(4000)),
        "%E2%80%AE%F0%9F%98%80".to_owned(),
    ]
}

async fn v1_path_ids_never_reach_sql_unchecked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({"email": "a@example.com"})).await;
    let real_user = user["id"].as_str().unwrap().to_owned();
    let doc = app.get("/v1/openapi.json").await.body;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.contains('{') {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = matches!(method, Method::POST | Method::PATCH | Method::PUT).then(|| json!({}));
            for bad in hostile_ids() {
                // Every parameter hostile, and each one hostile beside a real user id.
                let hostile = |p: &str| {
                    p.split('/')
                        .map(|s| if s.starts_with('{') { bad.as_str() } else { s })
                        .collect::<Vec<_>>()
                        .join("/")
                };
                let mut concretes = vec![hostile(path)];
                let with_user = path.replacen("{id}", &real_user, 1);
                if with_user.contains('{') && path.starts_with("/v1/users/") {
                    concretes.push(hostile(&with_user));
                }
                for concrete in concretes {
                    let reply = app.send(method.clone(), &concrete, Some(&app.key), body.as_ref()).await;
                    assert!(
                        matches!(reply.status, 400 | 404 | 422),
                        "{method} {} answered {}: {:?}",
                        &concrete[..concrete.len().min(120)],
                        reply.status,
                        reply.body
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 300, "checked {checked}");
    // The user is untouched.
    assert_eq!(app.get(&format!("/v1/users/{real_user}")).await.body, user);
}

async fn gigs_path_ids_never_reach_sql_unchecked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = gigs(&app, Method::POST, "/users", Some(&json!({"email": "a@example.com"}))).await.body;
    let real = user["id"].as_str().unwrap();
    for bad in hostile_ids() {
        for (method, path, body) in [
            (Method::GET, format!("/users/{bad}"), None),
            (Method::PATCH, format!("/users/{bad}"), Some(json!({}))),
            (Method::DELETE, format!("/users/{bad}"), None),
            (Method::GET, format!("/users/{bad}/addresses"), None),
            (Method::GET, format!("/users/{real}/addresses/{bad}"), None),
            (Method::DELETE, format!("/users/{real}/addresses/{bad}"), None),
        ] {
            let reply = gigs(&app, method.clone(), &path, body.as_ref()).await;
            assert_eq!(reply.status, 404, "{method} {}: {:?}", &path[..path.len().min(120)], reply.body);
            assert_eq!(reply.body["type"], Value::from("notFound"));
        }
        // Another project's id in the path: 403, whatever it holds.
        let reply = app.send(Method::GET, &format!("/gigs/projects/{bad}/users"), Some(&app.key), None).await;
        assert_eq!(reply.status, 403, "{bad}: {:?}", reply.body);
    }
}

backend_tests!(v1_path_ids_never_reach_sql_unchecked, gigs_path_ids_never_reach_sql_unchecked);
