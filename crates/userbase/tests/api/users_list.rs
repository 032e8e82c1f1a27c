//! Listing users: newest first, cursor pagination, email filter, parameter validation.

use std::collections::HashSet;

use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::support::{ids, TestApp};

async fn create_many(app: &TestApp, n: usize, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        let u = app.create_user(json!({"email": format!("{prefix}{i}@example.com")})).await;
        out.push(u["id"].as_str().unwrap().to_owned());
    }
    out
}

async fn list_is_newest_first_and_cursors_walk_every_user_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let mut created = create_many(&app, 25, "u").await;
    created.reverse();
    let mut seen = Vec::new();
    let mut page = app.get("/v1/users?limit=10").await;
    loop {
        assert_eq!(page.status, 200, "{:?}", page.body);
        seen.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(page.body["has_more"], true);
                page = app.get(&format!("/v1/users?limit=10&cursor={cursor}")).await;
            }
            None => {
                assert_eq!(page.body["has_more"], false);
                break;
            }
        }
    }
    assert_eq!(seen, created);
}

async fn pages_have_no_gaps_or_duplicates_while_users_are_inserted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let original: HashSet<String> = create_many(&app, 30, "orig").await.into_iter().collect();
    let mut seen = Vec::new();
    let mut page = app.get("/v1/users?limit=7").await;
    let mut round = 0;
    loop {
        seen.extend(ids(&page.body));
        // Newer users arrive between page requests.
        create_many(&app, 3, &format!("new{round}-")).await;
        round += 1;
        let Some(cursor) = page.body["next_cursor"].as_str().map(str::to_owned) else { break };
        page = app.get(&format!("/v1/users?limit=7&cursor={cursor}")).await;
    }
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no user is listed twice");
    assert_eq!(unique, original, "every user that existed is listed, none inserted later");
}

async fn starting_after_and_ending_before_page_both_ways(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let mut created = create_many(&app, 6, "u").await;
    created.reverse(); // newest first: created[0] is the newest
    let after = app.get(&format!("/v1/users?limit=2&starting_after={}", created[1])).await;
    assert_eq!(ids(&after.body), created[2..4]);
    assert_eq!(after.body["has_more"], true);
    assert!(after.body["previous_cursor"].is_string());

    let before = app.get(&format!("/v1/users?limit=2&ending_before={}", created[4])).await;
    assert_eq!(ids(&before.body), created[2..4], "the page just before, still newest first");
    assert_eq!(before.body["has_more"], true);
    let prev = before.body["previous_cursor"].as_str().unwrap();
    let newest = app.get(&format!("/v1/users?limit=2&cursor={prev}")).await;
    assert_eq!(ids(&newest.body), created[0..2]);
    assert_eq!(newest.body["has_more"], false);
    assert_eq!(newest.body["previous_cursor"], Value::Null);
}

async fn email_filter_is_exact_and_case_insensitive(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let a = app.create_user(json!({"email": "Jerry@Example.com"})).await;
    app.create_user(json!({"email": "jerry2@example.com"})).await;
    let found = app.get("/v1/users?email=JERRY@example.COM").await;
    assert_eq!(ids(&found.body), [a["id"].as_str().unwrap()]);
    let none = app.get("/v1/users?email=jerry@example").await;
    assert!(ids(&none.body).is_empty());
}

async fn bad_list_parameters_are_400(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = app.create_user(json!({})).await["id"].as_str().unwrap().to_owned();
    for (query, code) in [
        ("limit=0", "invalid_parameter"),
        ("limit=201", "invalid_parameter"),
        ("limit=ten", "invalid_parameter"),
        ("limit=-1", "invalid_parameter"),
        ("cursor=garbage", "invalid_parameter"),
        ("starting_after=usr_0000000000000000000000000000", "invalid_parameter"),
        ("starting_after=nonsense", "invalid_parameter"),
        ("include_deleted=maybe", "invalid_parameter"),
        ("email=", "invalid_parameter"),
        ("colour=blue", "invalid_parameter"),
    ] {
        let reply = app.get(&format!("/v1/users?{query}")).await;
        assert_eq!(reply.status, 400, "{query}: {:?}", reply.body);
        assert_eq!(reply.code(), code, "{query}");
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    }
    let both = app.get(&format!("/v1/users?starting_after={id}&ending_before={id}")).await;
    assert_eq!(both.status, 400);
    assert_eq!(both.code(), "conflicting_parameters");
    let max = app.get("/v1/users?limit=200").await;
    assert_eq!(max.status, 200);
}

backend_tests!(
    list_is_newest_first_and_cursors_walk_every_user_once,
    pages_have_no_gaps_or_duplicates_while_users_are_inserted,
    starting_after_and_ending_before_page_both_ways,
    email_filter_is_exact_and_case_insensitive,
    bad_list_parameters_are_400,
);
