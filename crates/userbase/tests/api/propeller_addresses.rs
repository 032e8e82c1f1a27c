//! Propeller addresses and pricing: the contract's examples, Y/N flags, the echo of a patch, bulk by code,
//! and 70007 / 90006.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::gigs_support::assert_same_shape;
use crate::propeller_support::{assert_error, create, message, prop};
use crate::support::TestApp;

fn address_example() -> Value {
    json!({"type": "delivery", "code": "A1", "firstName": "Jan", "lastName": "Dijk", "gender": "M",
           "street": "Hoofdstraat", "number": "12", "numberExtension": "A", "postalCode": "6822 DE",
           "city": "Arnhem", "country": "NL", "icp": "N", "isDefault": "Y", "email": "jan@example.com"})
}

/// The address object of the contract's read examples (P8, P11), values aside.
fn address_shape() -> Value {
    json!({"id": 81908, "type": "delivery", "code": "A1", "name": "", "firstName": "", "middleName": "", "lastName": "",
           "gender": "U", "company": "", "street": "", "number": "", "numberExtension": "", "postalCode": "",
           "city": "", "region": "", "country": "NL", "phone": "", "mobile": "", "fax": "", "email": "", "url": "",
           "notes": "", "icp": "N", "isDefault": "N", "active": "Y"})
}

async fn addresses_follow_the_contract(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = create(&app, json!({"firstName": "Jan", "sourceId": "S1", "source": "ERP"})).await;
    let base = format!("/users/id/{user}/addresses");
    let created = prop(&app, Method::POST, &base, Some(&address_example())).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(
        (created.body["messages"].clone(), created.body["total"].clone()),
        (json!(["Address created"]), json!(1))
    );
    assert_same_shape(&created.body["data"], &address_shape(), "data");
    let a = &created.body["data"];
    assert_eq!((a["isDefault"].as_str(), a["icp"].as_str(), a["active"].as_str()), (Some("Y"), Some("N"), Some("Y")));
    let id = a["id"].as_i64().unwrap();
    let invoice =
        json!({"type": "invoice", "street": "Kerkweg", "city": "Ede", "country": "nl", "number": 3, "isDefault": true});
    assert_eq!(prop(&app, Method::POST, "/users/sourceId/S1/addresses?source=ERP", Some(&invoice)).await.status, 201);

    let all = prop(&app, Method::GET, &base, None).await;
    assert_eq!((all.status, all.body["total"].as_i64()), (200, Some(2)));
    let delivery = prop(&app, Method::GET, &format!("{base}?type=delivery"), None).await;
    assert_eq!(delivery.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(delivery.body["messages"], json!([]));
    assert_error(&prop(&app, Method::GET, &format!("{base}?type=office"), None).await, 400, 10007);

    let got = prop(&app, Method::GET, &format!("{base}/{id}"), None).await;
    assert_eq!((got.status, got.body["data"]["street"].as_str()), (200, Some("Hoofdstraat")));
    let patched =
        prop(&app, Method::PATCH, &format!("{base}/{id}"), Some(&json!({"firstName": "Piet", "icp": "Y"}))).await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(
        patched.body,
        json!({"data": {"firstName": "Piet", "icp": "Y", "id": id}, "messages": ["Address updated"], "total": 1})
    );
    let typo = prop(&app, Method::PATCH, &format!("{base}/{id}"), Some(&json!({"firstNames": "x"}))).await;
    assert_error(&typo, 400, 10007);
    assert_eq!(message(&typo), "#: extraneous key [firstNames] is not permitted");

    let deleted = prop(&app, Method::DELETE, &format!("{base}/{id}"), None).await;
    assert_eq!(deleted.body, json!({"data": {}, "messages": ["Address deleted"]}));
    for method in [Method::GET, Method::DELETE] {
        let r = prop(&app, method, &format!("{base}/{id}"), None).await;
        assert_error(&r, 404, 90006);
        assert_eq!(message(&r), format!("Address with id [{id}] not found for [User] with id [{user}]"));
    }
    assert_error(&prop(&app, Method::PATCH, &format!("{base}/abc"), Some(&json!({}))).await, 404, 90006);
    let missing = prop(&app, Method::GET, "/users/id/147601/addresses", None).await;
    assert_error(&missing, 404, 70007);
    assert_eq!(message(&missing), "Parent resource [User] with id [147601] not found");
    // Another user's address is not this user's.
    let other = create(&app, json!({"firstName": "O"})).await;
    let theirs = prop(&app, Method::GET, &format!("/users/id/{other}/addresses"), None).await;
    assert_eq!(theirs.body["total"], 0);
    let first = all.body["data"][1]["id"].as_i64().unwrap();
    assert_error(&prop(&app, Method::GET, &format!("/users/id/{other}/addresses/{first}"), None).await, 404, 90006);
}

async fn address_bodies_are_checked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = create(&app, json!({"firstName": "Jan"})).await;
    let base = format!("/users/id/{user}/addresses");
    for body in [
        json!({"street": "s", "city": "c", "country": "NL"}),
        json!({"type": "delivery", "city": "c", "country": "NL"}),
        json!({"type": "office", "street": "s", "city": "c", "country": "NL"}),
        json!({"type": "delivery", "street": "s", "city": "c", "country": "XX"}),
        json!({"type": "delivery", "street": "s", "city": "c", "country": "NL", "isDefault": "maybe"}),
        json!({"type": "delivery", "street": 5, "city": "c", "country": "NL"}),
    ] {
        assert_error(&prop(&app, Method::POST, &base, Some(&body)).await, 400, 10007);
    }
    let r = prop(&app, Method::POST, &base, Some(&json!({"type": "delivery", "city": "c", "country": "NL"}))).await;
    assert_eq!(message(&r), "#: required key [street] not found");
    assert_eq!(prop(&app, Method::GET, &base, None).await.body["total"], 0, "nothing was written");
}

async fn bulk_addresses_upsert_by_code(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = create(&app, json!({"firstName": "Jan"})).await;
    let base = format!("/users/id/{user}/addresses");
    let first = json!({"addresses": [
        {"type": "delivery", "code": "11234", "street": "A", "city": "X", "country": "NL"},
        {"type": "invoice", "street": "B", "city": "Y", "country": "BE", "isDefault": "Y"}
    ]});
    let r = prop(&app, Method::POST, &format!("{base}/bulk"), Some(&first)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["messages"].clone(), r.body["total"].clone()), (json!(["Completed"]), json!(2)));
    assert_same_shape(
        &r.body["data"][0],
        &json!({"action": "update", "id": 106097, "key": "11234", "lookupKey": "code", "success": true}),
        "data[0]",
    );
    assert_eq!((r.body["data"][0]["action"].as_str(), r.body["data"][1]["key"].clone()), (Some("create"), Value::Null));
    let coded = r.body["data"][0]["id"].as_i64().unwrap();
    let second =
        json!({"addresses": [{"type": "delivery", "code": "11234", "street": "A2", "city": "X", "country": "NL"}]});
    let r = prop(&app, Method::POST, &format!("{base}/bulk"), Some(&second)).await;
    assert_eq!((r.body["data"][0]["action"].as_str(), r.body["data"][0]["id"].as_i64()), (Some("update"), Some(coded)));
    let list = prop(&app, Method::GET, &base, None).await;
    assert_eq!(list.body["total"], 2);
    assert_eq!(prop(&app, Method::GET, &format!("{base}/{coded}"), None).await.body["data"]["street"], "A2");
    let bad = json!({"addresses": [{"type": "delivery", "code": "z", "city": "X", "country": "NL"}]});
    let r = prop(&app, Method::POST, &format!("{base}/bulk"), Some(&bad)).await;
    assert_error(&r, 400, 10007);
    assert_eq!(message(&r), "#/addresses/0: required key [street] not found");
    assert_error(&prop(&app, Method::POST, "/users/id/424242/addresses/bulk", Some(&first)).await, 404, 70007);
}

async fn pricing_is_stored_and_readable_through_v1(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = create(&app, json!({"firstName": "Jan"})).await;
    let body = json!({"categories": [{"id": 1797, "pricing": {"type": "SP", "amount": 20}}],
                      "products": [{"sourceId": "X1", "source": "ERP", "pricing": {"type": "net", "price": 9.95}},
                                   {"id": 1036522, "pricing": {"type": "CP", "amount": 5}}],
                      "shopId": 1});
    let r = prop(&app, Method::POST, &format!("/users/id/{user}/pricing"), Some(&body)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["messages"].clone(), r.body["total"].clone()), (json!(["completed"]), json!(3)));
    assert_eq!(r.body["data"][0], json!({"action": "create", "key": 1797, "lookupKey": "id", "success": true}));
    assert_eq!(r.body["data"][1], json!({"action": "create", "key": "X1", "lookupKey": "sourceId", "success": true}));
    let again = prop(
        &app,
        Method::POST,
        &format!("/users/id/{user}/pricing"),
        Some(&json!({"categories": [{"id": 1797, "pricing": {"type": "SP", "amount": 25}}]})),
    )
    .await;
    assert_eq!(again.body["data"][0]["action"], "update");
    let public = app.get(&format!("/v1/users?filter=numeric_id%20eq%20{user}")).await.body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let v1 = app.get(&format!("/v1/users/{public}/pricing")).await;
    assert_eq!(v1.status, 200, "{:?}", v1.body);
    let category = v1.body["data"].as_array().unwrap().iter().find(|i| i["id"] == 1797).cloned().unwrap();
    assert_eq!(category["pricing"], json!({"type": "SP", "amount": 25.0}), "{:?}", v1.body);
    assert_eq!(v1.body["data"].as_array().map(Vec::len), Some(3));
    assert_error(
        &prop(&app, Method::POST, &format!("/users/id/{user}/pricing"), Some(&json!({"shopId": 1}))).await,
        400,
        10017,
    );
    assert_error(
        &prop(&app, Method::POST, &format!("/users/id/{user}/pricing"), Some(&json!({"categories": [], "x": 1}))).await,
        400,
        10007,
    );
    let cleared = prop(&app, Method::DELETE, &format!("/users/id/{user}/pricing"), None).await;
    assert_eq!(cleared.body, json!({"data": {}, "messages": ["completed"]}));
    assert_eq!(app.get(&format!("/v1/users/{public}/pricing")).await.body["data"], json!([]));
    let missing = prop(&app, Method::DELETE, "/users/id/14699/pricing", None).await;
    assert_error(&missing, 404, 70007);
    assert_eq!(message(&missing), "Parent resource [User] with id [14699] not found");
}

backend_tests!(
    addresses_follow_the_contract,
    address_bodies_are_checked,
    bulk_addresses_upsert_by_code,
    pricing_is_stored_and_readable_through_v1,
);
