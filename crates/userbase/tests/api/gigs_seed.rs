//! Every request/response example of the Gigs seed page, replayed: same status class and same shape.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::gigs_support::{assert_same_shape, gigs};
use crate::support::TestApp;

fn seed_user() -> Value {
    json!({"object": "user", "id": "usr_0SNlurA049MEWV4OpCwsNyC9Kn2d", "metadata": {}, "birthday": "2017-07-21",
           "createdAt": "2021-01-21T19:38:34Z", "email": "jerry@example.com", "emailVerified": true,
           "fullName": "Jerry Seinfeld", "preferredLocale": "en-US"})
}

fn seed_list() -> Value {
    json!({"object": "list", "items": [seed_user()], "moreItemsAfter": null, "moreItemsBefore": null})
}

async fn the_seed_examples_replay_with_the_same_shapes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let body = json!({"birthday": "2017-07-21", "email": "jerry@example.com", "fullName": "Jerry Seinfeld",
                      "metadata": {}, "preferredLocale": "en-US"});
    let created = gigs(&app, Method::POST, "/users", Some(&body)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_same_shape(&created.body, &seed_user(), "create");
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(created.body["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(created.body["createdAt"].as_str().unwrap().len(), "2021-01-21T19:38:34Z".len(), "seconds precision");
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&created.body[k], v, "{k} as sent");
    }

    let got = gigs(&app, Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(got.status, 200);
    assert_same_shape(&got.body, &seed_user(), "retrieve");
    assert_eq!(got.body, created.body);

    let patched = gigs(&app, Method::PATCH, &format!("/users/{id}"), Some(&body)).await;
    assert_eq!(patched.status, 200);
    assert_same_shape(&patched.body, &seed_user(), "update");

    let searched = gigs(&app, Method::POST, "/users/search", Some(&json!({"email": "jerry@example.com"}))).await;
    assert_eq!(searched.status, 200);
    assert_same_shape(&searched.body, &seed_list(), "search");

    let listed = gigs(&app, Method::GET, "/users", None).await;
    assert_eq!(listed.status, 200);
    assert_same_shape(&listed.body, &seed_list(), "list");

    let deleted = gigs(&app, Method::DELETE, &format!("/users/{id}"), None).await;
    assert_eq!(deleted.status, 200);
    assert_same_shape(&deleted.body, &seed_user(), "delete");
    assert_eq!(deleted.body["email"], "jerry@example.com", "the user as it was");

    let gone = gigs(&app, Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body, json!({"object": "error", "type": "notFound", "message": "User not found."}));
}

backend_tests!(the_seed_examples_replay_with_the_same_shapes);
