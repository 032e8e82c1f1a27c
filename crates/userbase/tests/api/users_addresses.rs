//! `/v1/users/{id}/addresses`.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

fn data_ids(list: &Value) -> Vec<&str> {
    list["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect()
}

async fn user_path(app: &TestApp) -> String {
    let user = app.create_user(json!({"email": "a@example.com"})).await;
    format!("/v1/users/{}", user["id"].as_str().unwrap())
}

async fn addresses_are_created_read_listed_and_filtered(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = user_path(&app).await;
    let reply = app
        .post(
            &format!("{user}/addresses"),
            &json!({"type": "delivery", "street": "Hausmanns gate", "number": "29", "postal_code": "0182",
                    "city": "Oslo", "country": "no", "geo": {"lat": 59.91, "lng": 10.75}, "code": "HQ"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let a = &reply.body;
    let id = a["id"].as_str().unwrap();
    assert!(id.starts_with("adr_"));
    assert_eq!(a["object"], "address");
    assert_eq!(a["user_id"], user.trim_start_matches("/v1/users/"));
    assert_eq!(a["country"], "NO");
    assert_eq!(a["geo"], json!({"lat": 59.91, "lng": 10.75}));
    assert_eq!(a["is_default"], false);
    assert_eq!(a["active"], true);
    assert_eq!(reply.header("location"), Some(format!("{user}/addresses/{id}").as_str()));
    assert_eq!(reply.header("etag"), Some("\"1\""));

    let read = app.get(&format!("{user}/addresses/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(&read.body, a);
    let invoice = app.post(&format!("{user}/addresses"), &json!({"type": "invoice", "city": "Bergen"})).await;
    let invoice_id = invoice.body["id"].as_str().unwrap();
    let all = app.get(&format!("{user}/addresses")).await;
    assert_eq!(data_ids(&all.body), [id, invoice_id]);
    let only_invoices = app.get(&format!("{user}/addresses?type=invoice")).await;
    assert_eq!(data_ids(&only_invoices.body), [invoice_id]);
}

async fn a_new_default_address_replaces_the_old_default_of_its_type(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = user_path(&app).await;
    let base = format!("{user}/addresses");
    let first = app.post(&base, &json!({"type": "delivery", "is_default": true})).await.body;
    let invoice = app.post(&base, &json!({"type": "invoice", "is_default": true})).await.body;
    let second = app.post(&base, &json!({"type": "delivery", "is_default": true})).await.body;
    assert_eq!(second["is_default"], true);
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&format!("{base}/{}", id(&first))).await.body["is_default"], false);
    assert_eq!(app.get(&format!("{base}/{}", id(&invoice))).await.body["is_default"], true, "other types keep theirs");
    let back = app.patch(&format!("{base}/{}", id(&first)), &json!({"is_default": true})).await;
    assert_eq!(back.body["is_default"], true);
    assert_eq!(app.get(&format!("{base}/{}", id(&second))).await.body["is_default"], false);
}

async fn addresses_are_patched_guarded_and_deleted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = user_path(&app).await;
    let created = app.post(&format!("{user}/addresses"), &json!({"type": "home", "city": "Oslo", "phone": "1"})).await;
    let path = format!("{user}/addresses/{}", created.body["id"].as_str().unwrap());
    let patched = app.patch(&path, &json!({"city": "Bergen", "phone": null})).await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["city"], "Bergen");
    assert_eq!(patched.body["phone"], Value::Null);
    assert_eq!(patched.body["type"], "home");
    assert_eq!(patched.header("etag"), Some("\"2\""));
    let url = format!("{}{path}", app.base);
    let stale =
        TestApp::read(app.http.patch(&url).bearer_auth(&app.key).header("if-match", "\"1\"").json(&json!({}))).await;
    assert_eq!(stale.status, 412);
    let deleted = app.delete(&path).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["city"], "Bergen");
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.delete(&path).await.status, 404);
}

async fn bad_address_input_is_refused_and_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = user_path(&app).await;
    let base = format!("{user}/addresses");
    for (body, status) in [
        (json!({"city": "Oslo"}), 422),
        (json!({"type": "castle"}), 422),
        (json!({"type": "home", "country": "XX"}), 422),
        (json!({"type": "home", "geo": {"lat": 91, "lng": 0}}), 422),
        (json!({"type": "home", "email": "nope"}), 422),
        (json!({"type": "home", "colour": "red"}), 400),
        (json!({"type": "home", "geo": {"lat": "north"}}), 400),
    ] {
        let reply = app.post(&base, &body).await;
        assert_eq!(reply.status, status, "{body}: {:?}", reply.body);
    }
    assert!(data_ids(&app.get(&base).await.body).is_empty());
    let bad_filter = app.get(&format!("{base}?type=castle")).await;
    assert_eq!(bad_filter.status, 400);
    for path in [format!("{base}/nope"), format!("{base}/adr_0000000000000000000000000000")] {
        assert_eq!(app.get(&path).await.status, 404);
    }
    assert_eq!(app.get("/v1/users/usr_0000000000000000000000000000/addresses").await.status, 404);
}

async fn addresses_are_scoped_to_their_user_and_project(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let owner = user_path(&app).await;
    let other = app.create_user(json!({"email": "b@example.com"})).await;
    let other = format!("/v1/users/{}", other["id"].as_str().unwrap());
    let created = app.post(&format!("{owner}/addresses"), &json!({"type": "home"})).await;
    let address_id = created.body["id"].as_str().unwrap();
    assert_eq!(app.get(&format!("{other}/addresses/{address_id}")).await.status, 404, "not another user's");
    let foreign_key = app.new_project("globex").await;
    let k = Some(foreign_key.as_str());
    assert_eq!(app.send(Method::GET, &format!("{owner}/addresses"), k, None).await.status, 404);
    assert_eq!(app.send(Method::GET, &format!("{owner}/addresses/{address_id}"), k, None).await.status, 404);
    assert_eq!(app.send(Method::DELETE, &format!("{owner}/addresses/{address_id}"), k, None).await.status, 404);
    assert_eq!(app.get(&format!("{owner}/addresses/{address_id}")).await.status, 200, "still there");

    app.delete(&owner).await;
    assert_eq!(app.get(&format!("{owner}/addresses")).await.status, 404, "a deleted user's addresses are gone");
}

backend_tests!(
    addresses_are_created_read_listed_and_filtered,
    a_new_default_address_replaces_the_old_default_of_its_type,
    addresses_are_patched_guarded_and_deleted,
    bad_address_input_is_refused_and_changes_nothing,
    addresses_are_scoped_to_their_user_and_project,
);
