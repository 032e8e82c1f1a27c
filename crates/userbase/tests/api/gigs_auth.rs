//! Gigs authentication and the order of checks: headers, then path, then query or body.

use reqwest::Method;
use serde_json::json;
use userbase_core::api_key::KeyKind;
use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

async fn credentials_are_checked_first_and_scoped_to_the_path_project(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let unauthenticated =
        json!({"object": "error", "message": "Invalid authorization token", "type": "unauthenticated"});
    let none = app.send(Method::GET, "/gigs/projects/acme/users?limit=oops", None, None).await;
    assert_eq!(none.status, 401, "no credentials beats a bad query");
    assert_eq!(none.body, unauthenticated);
    let bad = app.send(Method::POST, "/gigs/projects/acme/users", Some("nope"), Some(&json!({"x": 1}))).await;
    assert_eq!((bad.status, &bad.body), (401, &unauthenticated));

    app.new_project("globex").await;
    let other_project = app.send(Method::GET, "/gigs/projects/globex/users?limit=oops", Some(&app.key), None).await;
    assert_eq!(other_project.status, 403, "the path beats the query");
    assert_eq!(other_project.body["type"], "permissionDenied");
    let ghost = app.send(Method::GET, "/gigs/projects/ghost/users", Some(&app.key), None).await;
    assert_eq!(ghost.status, 403);
    let publishable = app.new_key("acme", KeyKind::Publishable).await;
    let reply = app.send(Method::GET, "/gigs/projects/acme/users", Some(&publishable), None).await;
    assert_eq!(reply.status, 403, "a publishable key grants nothing");
}

async fn another_projects_users_are_not_found(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let theirs = app.create_user(json!({"email": "a@example.com"})).await;
    let other_key = app.new_project("globex").await;
    let path = format!("/gigs/projects/globex/users/{}", theirs["id"].as_str().unwrap());
    for method in [Method::GET, Method::DELETE] {
        let reply = app.send(method, &path, Some(&other_key), None).await;
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body["type"], "notFound");
    }
    let patch = app.send(Method::PATCH, &path, Some(&other_key), Some(&json!({"fullName": "X"}))).await;
    assert_eq!(patch.status, 404);
    let listed = app.send(Method::GET, "/gigs/projects/globex/users", Some(&other_key), None).await;
    assert!(listed.body["items"].as_array().unwrap().is_empty());
    let search = app
        .send(
            Method::POST,
            "/gigs/projects/globex/users/search",
            Some(&other_key),
            Some(&json!({"email": "a@example.com"})),
        )
        .await;
    assert!(search.body["items"].as_array().unwrap().is_empty());
}

backend_tests!(credentials_are_checked_first_and_scoped_to_the_path_project, another_projects_users_are_not_found);
