//! Gigs users: validation, update semantics, delete, and one store under every dialect.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::gigs_support::gigs;
use crate::support::TestApp;

fn property(reply: &crate::support::Reply) -> &str {
    reply.body["details"][0]["property"].as_str().unwrap_or("")
}

async fn create_validates_in_the_gigs_shape(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let eleven: serde_json::Map<String, Value> = (0..11).map(|i| (format!("k{i}"), json!("v"))).collect();
    for (body, prop) in [
        (json!({}), "email"),
        (json!({"email": "nope"}), "email"),
        (json!({"email": null}), "email"),
        (json!({"email": 5}), "email"),
        (json!({"email": "a@example.com", "name": "x"}), "name"),
        (json!({"email": "a@example.com", "fullName": ""}), "fullName"),
        (json!({"email": "a@example.com", "birthday": "2999-01-01"}), "birthday"),
        (json!({"email": "a@example.com", "birthday": "21/07/2017"}), "birthday"),
        (json!({"email": "a@example.com", "preferredLocale": "english"}), "preferredLocale"),
        (json!({"email": "a@example.com", "metadata": eleven}), "metadata"),
        (json!({"email": "a@example.com", "metadata": {"k": "v".repeat(256)}}), "metadata.k"),
        (json!({"email": "a@example.com", "metadata": null}), "metadata"),
        (json!({"email": "a@example.com", "metadata": {"gigs.com/plan": "x"}}), "metadata.gigs.com/plan"),
    ] {
        let reply = gigs(&app, Method::POST, "/users", Some(&body)).await;
        assert_eq!(reply.status, 422, "{body}: {:?}", reply.body);
        assert_eq!(reply.body["object"], "error");
        assert_eq!(reply.body["type"], "invalid", "{body}");
        assert_eq!(reply.body["details"][0]["object"], "propertyErrorDetail");
        assert_eq!(property(&reply), prop, "{body}");
    }
    let malformed = TestApp::read(
        app.http
            .post(format!("{}/gigs/projects/acme/users", app.base))
            .bearer_auth(&app.key)
            .header("content-type", "application/json")
            .body("{\"email\":"),
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.body["type"], "malformed");
    assert!(app.get("/v1/users").await.body["data"].as_array().unwrap().is_empty(), "nothing was created");

    gigs(&app, Method::POST, "/users", Some(&json!({"email": "a@example.com"}))).await;
    let dup = gigs(&app, Method::POST, "/users", Some(&json!({"email": "A@EXAMPLE.com"}))).await;
    assert_eq!(dup.status, 409);
    assert_eq!((dup.body["type"].as_str(), dup.body["code"].as_str()), (Some("conflict"), Some("userAlreadyExists")));
}

async fn update_merges_metadata_and_null_resets(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = gigs(
        &app,
        Method::POST,
        "/users",
        Some(&json!({"email": "a@example.com", "fullName": "Ann Lee", "preferredLocale": "nl-NL",
                      "metadata": {"a": "1", "b": "2"}})),
    )
    .await;
    let path = format!("/users/{}", created.body["id"].as_str().unwrap());
    let reply = gigs(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"metadata": {"a": null, "c": ""}, "fullName": null, "preferredLocale": null})),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["metadata"], json!({"b": "2", "c": ""}));
    assert_eq!(reply.body["fullName"], Value::Null);
    assert_eq!(reply.body["preferredLocale"], "en-US", "null goes back to the project's locale");
    assert_eq!(reply.body["email"], "a@example.com", "absent means unchanged");
    let empty = gigs(&app, Method::PATCH, &path, Some(&json!({"metadata": {}}))).await;
    assert_eq!(empty.body["metadata"], json!({"b": "2", "c": ""}));
    let null_email = gigs(&app, Method::PATCH, &path, Some(&json!({"email": null}))).await;
    assert_eq!((null_email.status, property(&null_email)), (422, "email"));
    let unknown = gigs(&app, Method::PATCH, &path, Some(&json!({"emailVerified": true}))).await;
    assert_eq!(unknown.status, 422, "read-only properties are not writable");
}

async fn deleted_users_are_gone_and_get_on_search_is_a_user_id(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = gigs(&app, Method::POST, "/users", Some(&json!({"email": "a@example.com"}))).await;
    let path = format!("/users/{}", created.body["id"].as_str().unwrap());
    assert_eq!(gigs(&app, Method::DELETE, &path, None).await.status, 200);
    for method in [Method::GET, Method::DELETE] {
        assert_eq!(gigs(&app, method, &path, None).await.status, 404);
    }
    assert_eq!(gigs(&app, Method::PATCH, &path, Some(&json!({}))).await.status, 404);
    let listed = gigs(&app, Method::GET, "/users", None).await;
    assert!(listed.body["items"].as_array().unwrap().is_empty());
    let again = gigs(&app, Method::POST, "/users", Some(&json!({"email": "a@example.com"}))).await;
    assert_eq!(again.status, 201, "the deleted user's email is free");
    assert_eq!(gigs(&app, Method::GET, "/users/search", None).await.status, 404);
    assert_eq!(gigs(&app, Method::GET, "/users/usr_nope", None).await.status, 404);
}

async fn search_is_exact_and_case_insensitive(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    gigs(&app, Method::POST, "/users", Some(&json!({"email": "Jerry@Example.com"}))).await;
    gigs(&app, Method::POST, "/users", Some(&json!({"email": "jerry2@example.com"}))).await;
    let found = gigs(&app, Method::POST, "/users/search", Some(&json!({"email": "jerry@example.COM"}))).await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    let all = gigs(&app, Method::POST, "/users/search", Some(&json!({"email": null}))).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    let limited = gigs(&app, Method::POST, "/users/search?limit=1", Some(&json!({}))).await;
    assert_eq!(limited.body["items"].as_array().unwrap().len(), 1);
    assert!(limited.body["moreItemsAfter"].is_string());
    for bad in [json!({"email": ""}), json!({"mail": "x"}), json!({"email": 3})] {
        assert_eq!(gigs(&app, Method::POST, "/users/search", Some(&bad)).await.status, 422, "{bad}");
    }
}

async fn one_store_under_gigs_and_v1(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let from_gigs =
        gigs(&app, Method::POST, "/users", Some(&json!({"email": "g@example.com", "fullName": "Gee Gigs"}))).await;
    let v1 = app.get(&format!("/v1/users/{}", from_gigs.body["id"].as_str().unwrap())).await;
    assert_eq!(v1.status, 200);
    assert_eq!((v1.body["email"].as_str(), v1.body["full_name"].as_str()), (Some("g@example.com"), Some("Gee Gigs")));

    let from_v1 = app
        .create_user(json!({"email": "v@example.com", "first_name": "Vee", "last_name": "One", "locale": "de-DE"}))
        .await;
    let seen = gigs(&app, Method::GET, &format!("/users/{}", from_v1["id"].as_str().unwrap()), None).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["fullName"], "Vee One", "derived from the name parts");
    assert_eq!(seen.body["preferredLocale"], "de-DE");
    let no_email = app.create_user(json!({"first_name": "Nomail"})).await;
    let shown = gigs(&app, Method::GET, &format!("/users/{}", no_email["id"].as_str().unwrap()), None).await;
    assert_eq!(shown.body["email"], "", "never null in Gigs");
    let dup = gigs(&app, Method::POST, "/users", Some(&json!({"email": "V@example.com"}))).await;
    assert_eq!(dup.status, 409, "uniqueness holds across dialects");
}

backend_tests!(
    create_validates_in_the_gigs_shape,
    update_merges_metadata_and_null_resets,
    deleted_users_are_gone_and_get_on_search_is_a_user_id,
    search_is_exact_and_case_insensitive,
    one_store_under_gigs_and_v1,
);
