//! The v1 OpenAPI document and the `/docs` page: the document served, the one `userbase openapi` prints
//! and the committed snapshot (`docs/openapi.json`) are the same; every documented operation is routed;
//! the docs page and its assets are served by userbase itself (nothing from the network).

use std::collections::BTreeSet;
use std::path::PathBuf;

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

backend_tests!(
    document_matches_cli_and_snapshot,
    document_is_openapi_3_1_and_self_contained,
    every_documented_operation_is_routed,
    docs_page_is_served_offline
);

const BIN: &str = env!("CARGO_BIN_EXE_userbase");

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

async fn served_document(app: &TestApp) -> String {
    let resp = app.http.get(format!("{}/v1/openapi.json", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    resp.text().await.unwrap()
}

/// The operations of a document as (METHOD, path).
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

async fn document_matches_cli_and_snapshot(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let served = served_document(&app).await;
    // No key needed: the document is public, like the docs page that reads it.
    let cli = std::process::Command::new(BIN).arg("openapi").output().unwrap();
    assert!(cli.status.success());
    assert_eq!(String::from_utf8(cli.stdout).unwrap(), served, "`userbase openapi` prints the served document");

    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &served).unwrap();
    }
    let snapshot = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        snapshot == served,
        "docs/openapi.json is out of date: review the change and rerun with UPDATE_SNAPSHOTS=1 to accept it"
    );
}

async fn document_is_openapi_3_1_and_self_contained(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let doc: Value = serde_json::from_str(&served_document(&app).await).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().unwrap();
        let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected ref {target}"));
        assert!(schemas.contains_key(name), "dangling $ref {target}");
    }
    let mut operation_ids = BTreeSet::new();
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_lowercase()];
        assert!(operation_ids.insert(op["operationId"].as_str().unwrap().to_owned()), "duplicate operationId");
        assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path} has no summary");
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path} documents no success");
        assert!(responses.contains_key("401"), "{method} {path} does not document 401");
        if path.contains('{') {
            assert!(responses.contains_key("404"), "{method} {path} does not document 404");
        }
        if method == "POST" {
            let params = op["parameters"].as_array().unwrap();
            assert!(params.iter().any(|p| p["name"] == "Idempotency-Key"), "{method} {path}: Idempotency-Key");
        }
    }
    // The whole v1 surface, as the issue lists it.
    for expected in [
        ("GET", "/v1/users"),
        ("POST", "/v1/users"),
        ("POST", "/v1/users/search"),
        ("POST", "/v1/users/bulk"),
        ("PATCH", "/v1/users/{id}"),
        ("POST", "/v1/users/{id}/restore"),
        ("PATCH", "/v1/users/{id}/addresses/{address_id}"),
        ("PUT", "/v1/organizations/{id}/members/{user_id}"),
        ("GET", "/v1/users/{id}/organizations"),
        ("PUT", "/v1/users/{id}/default_organization"),
        ("GET", "/v1/users/{id}/orders"),
        ("POST", "/v1/users/{id}/orders"),
        ("PATCH", "/v1/users/{id}/orders/{record_id}"),
        ("GET", "/v1/users/{id}/payment_methods"),
        ("DELETE", "/v1/users/{id}/payment_methods/{record_id}"),
        ("GET", "/v1/users/{id}/subscriptions/{record_id}"),
        ("POST", "/v1/users/{id}/pricing"),
        ("DELETE", "/v1/keys/{id}"),
        ("PATCH", "/v1/me"),
        ("PATCH", "/v1/project"),
    ] {
        assert!(operations(&doc).contains(&(expected.0.to_owned(), expected.1.to_owned())), "{expected:?} missing");
    }
    // /me is the one surface for end users, and says so.
    assert_eq!(
        doc["paths"]["/v1/me"]["get"]["security"][0],
        serde_json::json!({"end_user": [], "publishable_key": []})
    );
    assert_eq!(doc["security"][0], serde_json::json!({"secret_key": []}));
}

async fn every_documented_operation_is_routed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let doc: Value = serde_json::from_str(&served_document(&app).await).unwrap();
    let ops = operations(&doc);
    assert!(ops.len() >= 39, "only {} operations documented", ops.len());
    for (method, path) in &ops {
        let concrete = path
            .replace("{id}", "usr_0000000000000000000000000")
            .replace("{address_id}", "adr_0000000000000000000000000")
            .replace("{record_id}", "ord_x")
            .replace("{user_id}", "usr_0000000000000000000000000");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        // Without credentials a routed operation answers 401; an unrouted one would say 404 route_not_found.
        let reply = app.send(method.clone(), &concrete, None, None).await;
        assert_eq!(reply.status, 401, "{method} {concrete}: {:?}", reply.body);
    }
    // And the converse: what the document does not list is not there.
    let reply = app.send(Method::GET, "/v1/nothing_here", Some(&app.key), None).await;
    assert_eq!((reply.status, reply.code()), (404, "route_not_found"));
    let reply = app.send(Method::PUT, "/v1/users", Some(&app.key), None).await;
    assert_eq!((reply.status, reply.code()), (405, "method_not_allowed"));
}

async fn docs_page_is_served_offline(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let get = |path: &str| app.http.get(format!("{}{path}", app.base)).send();
    let page = get("/docs/").await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    // Every script and stylesheet the page loads comes from this server, not a CDN.
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for rest in html.split(attr).skip(1) {
            let target = rest.split('"').next().unwrap();
            assert!(!target.contains("://") && !target.starts_with("//"), "external asset {target}");
            assets.push(target.trim_start_matches("./").to_owned());
        }
    }
    assert!(assets.iter().any(|a| a.ends_with(".js")), "the page loads no script: {html}");
    for asset in &assets {
        let resp = get(&format!("/docs/{asset}")).await.unwrap();
        assert_eq!(resp.status(), 200, "{asset}");
        assert!(!resp.bytes().await.unwrap().is_empty(), "{asset} is empty");
    }
    let init = get("/docs/swagger-initializer.js").await.unwrap().text().await.unwrap();
    assert!(init.contains("/v1/openapi.json"), "the page reads the v1 document: {init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "no online validator: {init}");
    // The bare path redirects to the page.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let bare = client.get(format!("{}/docs", app.base)).send().await.unwrap();
    assert!(bare.status().is_redirection());
}

/// Orders, payment methods and subscriptions are documented as three resources: typed operations for a
/// generated SDK, and schemas whose status sets differ.
#[test]
fn record_collections_have_their_own_operations_and_schemas() {
    let doc: Value = serde_json::from_str(userbase_api::v1::openapi::document_json()).unwrap();
    let op = |method: &str, path: &str| doc["paths"][path][method]["operationId"].as_str().unwrap_or("").to_owned();
    for (collection, one, many) in [
        ("orders", "order", "orders"),
        ("payment_methods", "payment_method", "payment_methods"),
        ("subscriptions", "subscription", "subscriptions"),
    ] {
        let list = format!("/v1/users/{{id}}/{collection}");
        let item = format!("{list}/{{record_id}}");
        assert_eq!(op("get", &list), format!("list_{many}"));
        assert_eq!(op("post", &list), format!("create_{one}"));
        assert_eq!(op("get", &item), format!("get_{one}"));
        assert_eq!(op("patch", &item), format!("update_{one}"));
        assert_eq!(op("delete", &item), format!("delete_{one}"));
    }
    assert!(doc["paths"].get("/v1/users/{id}/{collection}").is_none(), "no generic collection path");
    let schemas = &doc["components"]["schemas"];
    let statuses = |name: &str| schemas[name]["enum"].as_array().cloned().unwrap_or_default();
    assert!(statuses("OrderStatus").contains(&json!("SUCCESS")));
    assert!(statuses("PaymentMethodStatus").contains(&json!("EXPIRED")));
    assert!(statuses("SubscriptionStatus").contains(&json!("PAUSED")));
    assert!(!statuses("PaymentMethodStatus").contains(&json!("SUCCESS")));
    assert!(schemas["Order"]["properties"].get("delivery_status").is_some());
    assert!(schemas["Subscription"]["properties"].get("delivery_status").is_none());
    for name in
        ["Order", "OrderInput", "OrderList", "PaymentMethod", "PaymentMethodInput", "Subscription", "SubscriptionList"]
    {
        assert!(schemas.get(name).is_some(), "schema {name}");
    }
}
