//! Sorted lists: any sort pages through every matching user exactly once, in order, both ways.

use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::support::{ids, TestApp};

/// Follows `next_cursor` from `first` to the end; returns every page's ids in order.
async fn walk(app: &TestApp, query: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut page = app.get(&format!("/v1/users?{query}")).await;
    loop {
        assert_eq!(page.status, 200, "{:?}", page.body);
        seen.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(c) => page = app.get(&format!("/v1/users?{query}&cursor={c}")).await,
            None => return seen,
        }
    }
}

fn last_names(app_users: &[(String, Value)], order: &[String]) -> Vec<String> {
    order
        .iter()
        .map(|id| {
            let u = &app_users.iter().find(|(i, _)| i == id).unwrap().1;
            u["last_name"].as_str().unwrap_or("-").to_owned()
        })
        .collect()
}

async fn sorted_pages_cover_every_user_once_in_order(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let mut users = Vec::new();
    for (first, last) in [
        ("Ann", Some("lee")),
        ("Bob", Some("Adams")),
        ("Cho", None),
        ("Dee", Some("Lee")),
        ("Eve", Some("zhu")),
        ("Fay", Some("Adams")),
    ] {
        let u = app.create_user(json!({"first_name": first, "last_name": last})).await;
        users.push((u["id"].as_str().unwrap().to_owned(), u));
    }
    let order = walk(&app, "limit=2&sort=last_name,first_name").await;
    assert_eq!(order.len(), 6);
    // No last name sorts first; case does not matter; first name breaks ties.
    assert_eq!(last_names(&users, &order), ["-", "Adams", "Adams", "lee", "Lee", "zhu"]);
    let firsts: Vec<&str> =
        order.iter().map(|id| users.iter().find(|(i, _)| i == id).unwrap().1["first_name"].as_str().unwrap()).collect();
    assert_eq!(firsts, ["Cho", "Bob", "Fay", "Ann", "Dee", "Eve"]);

    let descending = walk(&app, "limit=4&sort=-last_name").await;
    assert_eq!(last_names(&users, &descending)[0], "zhu");
    assert_eq!(last_names(&users, &descending)[5], "-");

    let newest_first = walk(&app, "limit=5&sort=-created_at").await;
    assert_eq!(newest_first, walk(&app, "limit=5").await, "-created_at is the default order");
}

async fn previous_cursors_walk_back_through_a_sorted_list(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for i in 0..7 {
        app.create_user(json!({"email": format!("u{}@example.com", (i * 3) % 7)})).await;
    }
    let forward = walk(&app, "limit=3&sort=email").await;
    let p1 = app.get("/v1/users?limit=3&sort=email").await;
    let c1 = p1.body["next_cursor"].as_str().unwrap().to_owned();
    let p2 = app.get(&format!("/v1/users?limit=3&sort=email&cursor={c1}")).await;
    assert_eq!(ids(&p2.body), forward[3..6]);
    let back = p2.body["previous_cursor"].as_str().unwrap();
    let p1_again = app.get(&format!("/v1/users?limit=3&sort=email&cursor={back}")).await;
    assert_eq!(ids(&p1_again.body), forward[0..3]);
    assert_eq!(p1_again.body["previous_cursor"], Value::Null);
    assert_eq!(p1_again.body["has_more"], false, "nothing before the first page");
}

async fn ties_and_inserts_do_not_break_sorted_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let mut original = std::collections::BTreeSet::new();
    for _ in 0..9 {
        original.insert(app.create_user(json!({"last_name": "Same"})).await["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut page = app.get("/v1/users?limit=4&sort=last_name").await;
    loop {
        seen.extend(ids(&page.body));
        // New users sorting before and after the cursor arrive between pages.
        app.create_user(json!({"last_name": "Aaa"})).await;
        app.create_user(json!({"last_name": "Same"})).await;
        let Some(c) = page.body["next_cursor"].as_str().map(str::to_owned) else { break };
        page = app.get(&format!("/v1/users?limit=4&sort=last_name&cursor={c}")).await;
    }
    let unique: std::collections::BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no user twice");
    assert!(original.is_subset(&unique), "every user that existed is listed");
}

async fn bad_sorts_and_mismatched_cursors_are_400(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = app.create_user(json!({})).await["id"].as_str().unwrap().to_owned();
    app.create_user(json!({})).await;
    for sort in ["colour", "last_name,last_name", "-", "a,b,c,d", "created_at,updated_at,email,last_name"] {
        let reply = app.get(&format!("/v1/users?sort={sort}")).await;
        assert_eq!(reply.status, 400, "{sort}: {:?}", reply.body);
    }
    let page = app.get("/v1/users?limit=1&sort=email").await;
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let reply = app.get(&format!("/v1/users?limit=1&sort=last_name&cursor={cursor}")).await;
    assert_eq!(reply.status, 400, "a cursor belongs to its sort");
    let reply = app.get(&format!("/v1/users?limit=1&cursor={cursor}")).await;
    assert_eq!(reply.status, 400);
    let reply = app.get(&format!("/v1/users?sort=email&starting_after={id}")).await;
    assert_eq!(reply.status, 400);
}

backend_tests!(
    sorted_pages_cover_every_user_once_in_order,
    previous_cursors_walk_back_through_a_sorted_list,
    ties_and_inserts_do_not_break_sorted_pages,
    bad_sorts_and_mismatched_cursors_are_400,
);
