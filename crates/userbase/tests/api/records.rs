//! Orders, payment methods and subscriptions under `/v1/users/{id}/...`.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

fn ids(list: &Value) -> Vec<&str> {
    list["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect()
}

async fn records_are_created_filtered_updated_and_soft_deleted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({})).await;
    let base = format!("/v1/users/{}/orders", user["id"].as_str().unwrap());
    let first = app.post(&base, &json!({"details": {"total": 12.5, "currency": "EUR"}})).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert_eq!((first.body["object"].as_str(), first.body["status"].as_str()), (Some("order"), Some("CREATED")));
    assert!(first.body["id"].as_str().unwrap().starts_with("ord_"));
    let second = app.post(&base, &json!({"status": "SUCCESS", "delivery_status": "DONE"})).await.body;
    let third = app.post(&base, &json!({"status": "CANCELLED"})).await.body;

    let all = app.get(&base).await;
    assert_eq!(all.body["total"], 3);
    assert_eq!(ids(&all.body)[0], third["id"].as_str().unwrap(), "newest first");
    let some = app.get(&format!("{base}?status=SUCCESS,CANCELLED")).await;
    assert_eq!(some.body["total"], 2);
    let delivered = app.get(&format!("{base}?delivery_status=DONE")).await;
    assert_eq!(ids(&delivered.body), [second["id"].as_str().unwrap()]);
    let paged = app.get(&format!("{base}?limit=2&offset=2&sort=created_at")).await;
    assert_eq!((ids(&paged.body), paged.body["has_more"].clone()), (vec![third["id"].as_str().unwrap()], json!(false)));
    let future = app.get(&format!("{base}?from=2999-01-01T00:00:00Z")).await;
    assert_eq!(future.body["total"], 0);
    let past = app.get(&format!("{base}?to=2000-01-01T00:00:00Z&date_field=updated_at")).await;
    assert_eq!(past.body["total"], 0);

    let path = format!("{base}/{}", first.body["id"].as_str().unwrap());
    let patched =
        app.patch(&path, &json!({"status": "PROCESSING", "details": {"currency": null, "note": "gift"}})).await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["details"], json!({"total": 12.5, "note": "gift"}));
    assert_eq!(app.delete(&path).await.status, 200);
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.get(&base).await.body["total"], 2);
    assert_eq!(app.get(&format!("{base}?include_deleted=true")).await.body["total"], 3);
}

async fn each_kind_has_its_own_statuses_and_ids(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({})).await;
    let user_path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    let pm = app
        .post(&format!("{user_path}/payment_methods"), &json!({"details": {"brand": "visa", "last4": "4242"}}))
        .await;
    assert_eq!((pm.status, pm.body["status"].as_str()), (201, Some("ACTIVE")));
    assert!(pm.body["id"].as_str().unwrap().starts_with("pm_"));
    let sub =
        app.post(&format!("{user_path}/subscriptions"), &json!({"status": "ACTIVE", "details": {"plan": "pro"}})).await;
    assert_eq!(sub.body["object"], "subscription");
    for (path, body) in [
        ("orders", json!({"status": "ACTIVE"})),
        ("payment_methods", json!({"delivery_status": "DONE"})),
        ("subscriptions", json!({"status": "SUCCESS"})),
        ("orders", json!({"delivery_status": "LOST"})),
    ] {
        assert_eq!(app.post(&format!("{user_path}/{path}"), &body).await.status, 422, "{path} {body}");
    }
    assert_eq!(app.post(&format!("{user_path}/orders"), &json!({"colour": "red"})).await.status, 400);
    assert_eq!(app.get(&format!("{user_path}/orders?status=ACTIVE")).await.status, 400);
    assert_eq!(app.get(&format!("{user_path}/orders?from=yesterday")).await.status, 400);
    assert_eq!(app.get(&format!("{user_path}/invoices")).await.status, 404);
    let pm_path = format!("{user_path}/orders/{}", pm.body["id"].as_str().unwrap());
    assert_eq!(app.get(&pm_path).await.status, 404, "a payment method is not an order");
}

async fn records_stay_with_their_user_and_project(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let owner = app.create_user(json!({})).await;
    let other = app.create_user(json!({})).await;
    let order = app.post(&format!("/v1/users/{}/orders", owner["id"].as_str().unwrap()), &json!({})).await.body;
    let elsewhere = format!("/v1/users/{}/orders/{}", other["id"].as_str().unwrap(), order["id"].as_str().unwrap());
    assert_eq!(app.get(&elsewhere).await.status, 404);
    let key = app.new_project("globex").await;
    let theirs = format!("/v1/users/{}/orders", owner["id"].as_str().unwrap());
    assert_eq!(app.send(Method::GET, &theirs, Some(&key), None).await.status, 404);
    app.delete(&format!("/v1/users/{}", owner["id"].as_str().unwrap())).await;
    assert_eq!(app.get(&theirs).await.status, 404, "a deleted user's records are out of reach");
}

backend_tests!(
    records_are_created_filtered_updated_and_soft_deleted,
    each_kind_has_its_own_statuses_and_ids,
    records_stay_with_their_user_and_project,
);
