//! `/v1/users/{id}/pricing`.

use reqwest::Method;
use serde_json::json;
use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

async fn pricing_is_stored_replaced_per_target_and_cleared(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({})).await;
    let path = format!("/v1/users/{}/pricing", user["id"].as_str().unwrap());
    let first = app
        .post(
            &path,
            &json!({"categories": [{"id": 1797, "pricing": {"type": "SP", "amount": 20}}],
                    "products": [{"source": "ERP", "source_id": "X1", "pricing": {"type": "net", "price": 9.95}}],
                    "shop_id": 1}),
        )
        .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(first.body["data"][0]["pricing"], json!({"type": "SP", "amount": 20.0}));
    assert_eq!(first.body["data"][1]["source_id"], "X1");
    let replaced =
        app.post(&path, &json!({"categories": [{"id": 1797, "pricing": {"type": "CP", "amount": 5}}]})).await;
    let data = replaced.body["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 2, "the same target is replaced, not added");
    assert!(data.iter().any(|i| i["pricing"]["type"] == "CP"));
    assert_eq!(app.get(&path).await.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(app.delete(&path).await.status, 204);
    assert!(app.get(&path).await.body["data"].as_array().unwrap().is_empty());
}

async fn bad_pricing_is_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = app.create_user(json!({})).await;
    let path = format!("/v1/users/{}/pricing", user["id"].as_str().unwrap());
    for body in [
        json!({}),
        json!({"categories": [{"pricing": {"type": "SP", "amount": 1}}]}),
        json!({"categories": [{"id": 1, "pricing": {"type": "XX", "amount": 1}}]}),
        json!({"categories": [{"id": 1, "pricing": {"type": "SP"}}]}),
        json!({"products": [{"id": 1, "pricing": {"type": "net", "price": -1}}]}),
    ] {
        assert_eq!(app.post(&path, &body).await.status, 422, "{body}");
    }
    assert_eq!(app.post(&path, &json!({"categories": "all"})).await.status, 400);
    assert!(app.get(&path).await.body["data"].as_array().unwrap().is_empty(), "nothing was stored");
    let other = app.new_project("globex").await;
    assert_eq!(app.send(Method::GET, &path, Some(&other), None).await.status, 404);
}

backend_tests!(pricing_is_stored_replaced_per_target_and_cleared, bad_pricing_is_refused);
