//! A key of one project never reads or changes another project's users.

use serde_json::json;
use userbase_testing::{backend_tests, Backend};

use crate::support::{ids, TestApp};

async fn a_key_of_one_project_cannot_see_or_touch_another_projects_users(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let other_key = app.new_project("globex").await;
    let theirs = app.create_user(json!({"email": "shared@example.com", "first_name": "Acme user"})).await;
    let id = theirs["id"].as_str().unwrap();
    let path = format!("/v1/users/{id}");

    use reqwest::Method;
    let k = Some(other_key.as_str());
    assert_eq!(app.send(Method::GET, &path, k, None).await.status, 404);
    assert_eq!(app.send(Method::PATCH, &path, k, Some(&json!({"first_name": "Hacked"}))).await.status, 404);
    assert_eq!(app.send(Method::DELETE, &path, k, None).await.status, 404);
    assert_eq!(app.send(Method::POST, &format!("{path}/restore"), k, Some(&json!({}))).await.status, 404);
    let listed = app.send(Method::GET, "/v1/users?include_deleted=true", k, None).await;
    assert!(ids(&listed.body).is_empty());
    let by_email = app.send(Method::GET, "/v1/users?email=shared@example.com", k, None).await;
    assert!(ids(&by_email.body).is_empty());
    let cursor = app.send(Method::GET, &format!("/v1/users?starting_after={id}"), k, None).await;
    assert_eq!(cursor.status, 400, "another project's id is no cursor here");

    // The same email is free in the other project, and the first project's user is untouched.
    let own = app.send(Method::POST, "/v1/users", k, Some(&json!({"email": "shared@example.com"}))).await;
    assert_eq!(own.status, 201);
    assert_eq!(app.get(&path).await.body, theirs);
    assert_eq!(ids(&app.get("/v1/users").await.body), [id]);
}

backend_tests!(a_key_of_one_project_cannot_see_or_touch_another_projects_users);
