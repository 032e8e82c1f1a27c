//! Gigs cursor pagination: `after`, `before`, `limit`, `moreItemsAfter`, `moreItemsBefore`.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::gigs_support::gigs;
use crate::support::TestApp;

fn items(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect()
}

async fn create(app: &TestApp, n: usize, prefix: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let r = gigs(app, Method::POST, "/users", Some(&json!({"email": format!("{prefix}{i}@example.com")}))).await;
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    ids
}

async fn cursors_walk_both_ways_newest_first(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let mut ids = create(&app, 5, "u").await;
    ids.reverse();
    let default = gigs(&app, Method::GET, "/users", None).await;
    assert_eq!(items(&default.body), ids, "default limit 10 holds all five");
    assert_eq!(
        (default.body["moreItemsAfter"].clone(), default.body["moreItemsBefore"].clone()),
        (Value::Null, Value::Null)
    );

    let first = gigs(&app, Method::GET, "/users?limit=2", None).await;
    assert_eq!(items(&first.body), ids[0..2]);
    assert_eq!(first.body["moreItemsAfter"], ids[1].as_str(), "the id of the last item");
    assert_eq!(first.body["moreItemsBefore"], Value::Null);
    let second = gigs(&app, Method::GET, &format!("/users?limit=2&after={}", ids[1]), None).await;
    assert_eq!(items(&second.body), ids[2..4]);
    assert_eq!(second.body["moreItemsAfter"], ids[3].as_str());
    assert_eq!(second.body["moreItemsBefore"], ids[2].as_str(), "the id of the first item");
    let last = gigs(&app, Method::GET, &format!("/users?limit=2&after={}", ids[3]), None).await;
    assert_eq!(items(&last.body), ids[4..5]);
    assert_eq!(last.body["moreItemsAfter"], Value::Null);
    let back = gigs(&app, Method::GET, &format!("/users?limit=2&before={}", ids[4]), None).await;
    assert_eq!(items(&back.body), ids[2..4], "the items just before, still newest first");
    assert_eq!(back.body["moreItemsBefore"], ids[2].as_str());
    let zero = gigs(&app, Method::GET, "/users?limit=0", None).await;
    assert_eq!(zero.status, 200);
    assert_eq!(zero.body, json!({"object": "list", "items": [], "moreItemsAfter": null, "moreItemsBefore": null}));
}

async fn bad_pagination_parameters_are_422(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let ids = create(&app, 2, "u").await;
    for query in [
        format!("after={}&before={}", ids[0], ids[1]),
        "after=".to_owned(),
        "limit=".to_owned(),
        "limit=201".to_owned(),
        "limit=-1".to_owned(),
        "limit=ten".to_owned(),
        "after=usr_0000000000000000000000000000".to_owned(),
        "before=garbage".to_owned(),
        "order=asc".to_owned(),
    ] {
        let reply = gigs(&app, Method::GET, &format!("/users?{query}"), None).await;
        assert_eq!(reply.status, 422, "{query}: {:?}", reply.body);
        assert_eq!(reply.body["type"], "invalid", "{query}");
    }
    assert_eq!(gigs(&app, Method::GET, "/users?limit=200", None).await.status, 200);
}

async fn pages_stay_exact_while_users_are_created(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let original: BTreeSet<String> = create(&app, 12, "o").await.into_iter().collect();
    let mut seen = Vec::new();
    let mut page = gigs(&app, Method::GET, "/users?limit=5", None).await;
    let mut round = 0;
    loop {
        seen.extend(items(&page.body));
        create(&app, 2, &format!("n{round}-")).await;
        round += 1;
        let Some(after) = page.body["moreItemsAfter"].as_str().map(str::to_owned) else { break };
        page = gigs(&app, Method::GET, &format!("/users?limit=5&after={after}"), None).await;
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len());
    assert_eq!(unique, original);
}

backend_tests!(
    cursors_walk_both_ways_newest_first,
    bad_pagination_parameters_are_422,
    pages_stay_exact_while_users_are_created
);
