//! `include=total`: the unfiltered total comes from a count the database maintains (migration 0011) and stays
//! right through every way users come and go; a filtered total is exact within the count budget and an
//! estimate, flagged `total_is_estimate`, past it.

use std::time::Duration;

use serde_json::{json, Value};
use userbase_core::ids::ProjectId;
use userbase_core::time_util::now_utc;
use userbase_store::OpenOptions;
use userbase_testing::{backend_tests, Backend};

use reqwest::Method;

use crate::boltonsea_support::{bs, caller};
use crate::support::TestApp;

/// `(total, total_is_estimate)` of a v1 list.
async fn total(app: &TestApp, query: &str) -> (u64, bool) {
    let reply = app.get(&format!("/v1/users?limit=1&include=total{query}")).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let estimate = reply.body["total_is_estimate"].as_bool().expect("total_is_estimate comes with total");
    (reply.body["total"].as_u64().unwrap(), estimate)
}

/// The unfiltered totals (live users, and all users with `include_deleted`), each checked against a count of
/// the rows themselves (a filter every user matches, so the count cannot come from the maintained one).
async fn totals(app: &TestApp) -> (u64, u64) {
    let live = total(app, "").await;
    let all = total(app, "&include_deleted=true").await;
    let every = "&filter=numeric_id%20gt%200";
    assert_eq!(total(app, every).await, live, "the maintained live count and the rows differ");
    assert_eq!(total(app, &format!("{every}&include_deleted=true")).await, all, "the maintained count of all differs");
    assert!(!live.1 && !all.1, "an unfiltered total is exact");
    (live.0, all.0)
}

async fn create(app: &TestApp, email: &str) -> String {
    app.create_user(json!({"email": email})).await["id"].as_str().unwrap().to_owned()
}

async fn the_unfiltered_total_stays_right_through_every_create_and_removal(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    assert_eq!(totals(&app).await, (0, 0));
    let a = create(&app, "a@example.com").await;
    let b = create(&app, "b@example.com").await;
    let c = create(&app, "c@example.com").await;
    assert_eq!(totals(&app).await, (3, 3));

    // Bulk: four created, one refused (a taken email) and counted nowhere.
    let items: String = ["d", "e", "f", "g", "a"]
        .iter()
        .map(|n| json!({"email": format!("{n}@example.com")}).to_string() + "\n")
        .collect();
    let req = app.http.post(format!("{}/v1/users/bulk", app.base)).bearer_auth(&app.key);
    let reply = TestApp::read(req.header("content-type", "application/x-ndjson").body(items)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(totals(&app).await, (7, 7));

    // A bulk item whose external ref another user holds is written, then taken back (its ref is checked after
    // its user row): counted nowhere. The holder and the other item count.
    let held = json!([{"source": "erp", "source_id": "7"}]);
    assert_eq!(app.post("/v1/users", &json!({"external_refs": held})).await.status, 201);
    let items = format!(
        "{}\n{}\n",
        json!({"email": "h@example.com", "external_refs": held}),
        json!({"email": "i@example.com"})
    );
    let req = app.http.post(format!("{}/v1/users/bulk", app.base)).bearer_auth(&app.key);
    let reply = TestApp::read(req.header("content-type", "application/x-ndjson").body(items)).await;
    assert_eq!((reply.status, &reply.body["failed"]), (200, &json!(1)), "{:?}", reply.body);
    assert_eq!(totals(&app).await, (9, 9));

    // A user created with its organization in one write (BoltonSea's Default Profile), after the v1 user its
    // key belongs to.
    let key = caller(&app).await;
    let made = bs(&app, Method::POST, "/users", Some(&key), Some(&json!({"email": "j@example.com"}))).await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    assert_eq!(totals(&app).await, (11, 11));
    for email in ["h", "i", "j"].map(|n| format!("{n}@example.com")) {
        let found = app.get(&format!("/v1/users?email={email}")).await.body["data"].as_array().unwrap().len();
        assert_eq!(found, usize::from(email != "h@example.com"), "{email}");
    }

    // Another project's users count only there.
    let other_key = app.new_project("other").await;
    let req = app.http.post(format!("{}/v1/users", app.base)).bearer_auth(&other_key).json(&json!({}));
    assert_eq!(TestApp::read(req).await.status, 201);
    assert_eq!(totals(&app).await, (11, 11));

    for id in [&a, &b] {
        assert_eq!(app.delete(&format!("/v1/users/{id}")).await.status, 200);
    }
    assert_eq!(totals(&app).await, (9, 11), "soft-deleted users count with include_deleted only");
    assert_eq!(app.post(&format!("/v1/users/{a}/restore"), &json!({})).await.status, 200);
    assert_eq!(totals(&app).await, (10, 11));
    // Restoring a live user, and a create that fails, change nothing.
    app.post(&format!("/v1/users/{a}/restore"), &json!({})).await;
    assert_eq!(app.post("/v1/users", &json!({"email": "d@example.com"})).await.status, 409);
    assert_eq!(totals(&app).await, (10, 11));

    assert_eq!(app.post(&format!("/v1/users/{c}/erase"), &json!({})).await.status, 200);
    assert_eq!(totals(&app).await, (9, 10), "an erased live user");
    assert_eq!(app.post(&format!("/v1/users/{b}/erase"), &json!({})).await.status, 200);
    assert_eq!(totals(&app).await, (9, 9), "an erased deleted user");

    // The retention purge, with a retention of zero days.
    assert_eq!(app.delete(&format!("/v1/users/{a}")).await.status, 200);
    assert_eq!(app.patch("/v1/project", &json!({"deleted_retention_days": 0})).await.status, 200);
    let acme = app.state.projects.get(&ProjectId::parse("acme").unwrap()).await.unwrap();
    assert_eq!(app.state.personal_data.purge(&acme, now_utc()).await.unwrap().users, 1);
    assert_eq!(totals(&app).await, (8, 8));
}

/// 64 substring conditions on every user: counting them exactly takes far longer than a budget of 1 ms.
fn slow_filter() -> String {
    let never: Vec<String> = (0..63).map(|i| format!("last_name co \"zq{i}x\"")).collect();
    format!("{} or last_name co \"even\"", never.join(" or "))
}

async fn search_total(app: &TestApp, filter: &str) -> Value {
    let reply = app.post("/v1/users/search", &json!({"filter": filter, "include": "total", "limit": 1})).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

async fn a_filtered_total_past_the_count_budget_is_a_flagged_estimate(backend: Backend) {
    let options = OpenOptions { count_budget: Some(Duration::from_millis(1)), ..TestApp::options() };
    let Some(app) = TestApp::spawn_with(backend, options).await else { return };
    // More users than the estimate samples (the newest 10,000), half of them "Even".
    let users = 10_400;
    for chunk in (0..users).collect::<Vec<u32>>().chunks(1_000) {
        let items: String = chunk
            .iter()
            .map(|i| json!({"last_name": if i % 2 == 0 { "Even" } else { "Odd" }}).to_string() + "\n")
            .collect();
        let req = app.http.post(format!("{}/v1/users/bulk", app.base)).bearer_auth(&app.key);
        let reply = TestApp::read(req.header("content-type", "application/x-ndjson").body(items)).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
    }
    let body = search_total(&app, &slow_filter()).await;
    assert_eq!(body["total_is_estimate"], true, "{body}");
    let estimate = body["total"].as_u64().unwrap();
    assert!((4_680..=5_720).contains(&estimate), "an estimate of 5,200 within 10%: {estimate}");
    // The unfiltered total stays exact (it does not count).
    assert_eq!(total(&app, "").await, (u64::from(users), false));
}

async fn a_filtered_total_within_the_budget_is_exact(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for (i, name) in ["Even", "Odd", "Even"].iter().enumerate() {
        app.create_user(json!({"email": format!("u{i}@example.com"), "last_name": name})).await;
    }
    let body = search_total(&app, &slow_filter()).await;
    assert_eq!((body["total"].as_u64(), body["total_is_estimate"].as_bool()), (Some(2), Some(false)), "{body}");
    let plain = app.get("/v1/users?limit=1").await.body;
    assert!(plain.get("total").is_none() && plain.get("total_is_estimate").is_none(), "{plain}");
}

backend_tests!(
    the_unfiltered_total_stays_right_through_every_create_and_removal,
    a_filtered_total_past_the_count_budget_is_a_flagged_estimate,
    a_filtered_total_within_the_budget_is_exact,
);
