//! Propeller bulk upserts: by sourceId and by id, per-item results in input order, nested addresses and
//! attributes, whole-payload schema errors, and 10,000 users in one request on each backend.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_core::ids::ProjectId;
use userbase_testing::{backend_tests, Backend};

use crate::gigs_support::assert_same_shape;
use crate::propeller_support::{assert_error, create, message, prop};
use crate::support::TestApp;

async fn bulk_by_source_id_creates_then_updates(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let existing = create(&app, json!({"firstName": "Old", "sourceId": "3002197", "source": "ERP"})).await;
    let body = json!({"users": [
        {"source": "ERP", "sourceId": 3002196, "firstName": "New", "language": "NL",
         "attributes": [{"name": "segment", "value": "gold"}],
         "pricing": {"categories": [{"id": 7, "pricing": {"type": "SP", "amount": 10}}]},
         "addresses": [{"type": "delivery", "code": "D1", "street": "A", "city": "X", "country": "NL"},
                       {"type": "invoice", "code": "I1", "street": "B", "city": "Y", "country": "NL", "isDefault": "Y"}]},
        {"source": "ERP", "sourceId": "3002197", "lastName": "Updated"},
        {"source": "ERP", "sourceId": "bad", "email": "not-an-email"}
    ]});
    let r = prop(&app, Method::POST, "/users/bulk/sourceId", Some(&body)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["messages"].clone(), r.body["total"].clone()), (json!(["Completed"]), json!(3)));
    let example = json!({"action": "create", "id": 14713, "key": 3002196, "lookupKey": "sourceId", "success": true});
    assert_same_shape(&r.body["data"][0], &example, "data[0]");
    assert_eq!(r.body["data"][0]["key"], 3002196, "the key as sent");
    assert_eq!(
        r.body["data"][1],
        json!({"action": "update", "id": existing, "key": "3002197", "lookupKey": "sourceId", "success": true})
    );
    assert_eq!((r.body["data"][2]["success"].as_bool(), r.body["data"][2]["error"].is_string()), (Some(false), true));
    let new_id = r.body["data"][0]["id"].as_i64().unwrap();
    let addresses = prop(&app, Method::GET, "/users/sourceId/3002196/addresses", None).await;
    assert_eq!(addresses.body["total"], 2, "{:?}", addresses.body);
    let attrs = app.state.store.get_attributes(&ProjectId::parse("acme").unwrap(), new_id).await.unwrap();
    assert_eq!(attrs, Some(json!([{"name": "segment", "value": "gold"}])));
    let public = app.get(&format!("/v1/users?filter=numeric_id%20eq%20{new_id}")).await.body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get(&format!("/v1/users/{public}/pricing")).await.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        prop(&app, Method::GET, &format!("/users/id/{existing}"), None).await.body["data"]["lastName"],
        "Updated"
    );

    // Again: the same keys update, the addresses are matched by code (not added twice).
    let again = json!({"users": [{"source": "ERP", "sourceId": 3002196, "firstName": "Newer",
        "addresses": [{"type": "delivery", "code": "D1", "street": "A2", "city": "X", "country": "NL"}]}]});
    let r = prop(&app, Method::POST, "/users/bulk/sourceId", Some(&again)).await;
    assert_eq!(
        (r.body["data"][0]["action"].as_str(), r.body["data"][0]["id"].as_i64()),
        (Some("update"), Some(new_id))
    );
    let addresses = prop(&app, Method::GET, "/users/sourceId/3002196/addresses?type=delivery", None).await;
    assert_eq!(addresses.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(addresses.body["data"][0]["street"], "A2");
}

async fn bulk_by_id_updates_known_ids_and_creates_unknown_ones(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let existing = create(&app, json!({"firstName": "Old"})).await;
    let body = json!({"users": [{"id": existing, "firstName": "Renamed"}, {"id": 987654, "firstName": "Fresh"}]});
    let r = prop(&app, Method::POST, "/users/bulk/id", Some(&body)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["data"][0],
        json!({"action": "update", "id": existing, "key": existing, "lookupKey": "id", "success": true})
    );
    let created = &r.body["data"][1];
    assert_eq!((created["action"].as_str(), created["key"].as_i64()), (Some("create"), Some(987654)));
    let new_id = created["id"].as_i64().unwrap();
    assert_ne!(new_id, 987654, "ids are the server's");
    assert_eq!(prop(&app, Method::GET, &format!("/users/id/{new_id}"), None).await.body["data"]["firstName"], "Fresh");
    assert_eq!(
        prop(&app, Method::GET, &format!("/users/id/{existing}"), None).await.body["data"]["firstName"],
        "Renamed"
    );
}

async fn bulk_schema_errors_refuse_the_whole_payload(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let extra = json!({"users": [{"source": "ERP", "sourceId": "1", "x": 1}]});
    let r = prop(&app, Method::POST, "/users/bulk/sourceId", Some(&extra)).await;
    assert_error(&r, 400, 10007);
    assert_eq!(message(&r), "#/users/0: extraneous key [x] is not permitted");
    let later =
        json!({"users": [{"source": "ERP", "sourceId": "1"}, {"source": "ERP", "sourceId": "2", "phone": true}]});
    assert_error(&prop(&app, Method::POST, "/users/bulk/sourceId", Some(&later)).await, 400, 10007);
    assert_error(&prop(&app, Method::POST, "/users/bulk/sourceId", Some(&json!({"people": []}))).await, 400, 10007);
    assert_error(&prop(&app, Method::POST, "/users/bulk/sourceId", Some(&json!({"users": {}}))).await, 400, 10007);
    let no_key = json!({"users": [{"source": "ERP", "sourceId": "1"}, {"firstName": "no key"}]});
    let r = prop(&app, Method::POST, "/users/bulk/sourceId", Some(&no_key)).await;
    assert_error(&r, 400, 10016);
    assert_eq!(message(&r), "#/users/1: required key [sourceId] not found");
    assert_error(
        &prop(&app, Method::POST, "/users/bulk/id", Some(&json!({"users": [{"firstName": "A"}]}))).await,
        400,
        10016,
    );
    // An id that is no positive integer is a schema error, never a new user keyed by it.
    for (id, said) in [
        (json!("abc"), "#/users/0/id: expected type: Integer, found: String"),
        (json!(-3), "#/users/0/id: -3 is not a valid id"),
        (json!(1.5), "#/users/0/id: 1.5 is not a valid id"),
    ] {
        let r = prop(&app, Method::POST, "/users/bulk/id", Some(&json!({"users": [{"id": id}]}))).await;
        assert_error(&r, 400, 10007);
        assert_eq!(message(&r), said);
    }
    let huge = TestApp::read(
        app.http
            .post(format!("{}/propeller/v2/users/bulk/id", app.base))
            .bearer_auth(&app.key)
            .header("content-type", "application/json")
            .body(r#"{"users": [{"id": 99999999999999999999}]}"#),
    )
    .await;
    assert_error(&huge, 400, 10007);
    assert!(message(&huge).starts_with("#/users/0/id: "), "{:?}", huge.body);
    let malformed = TestApp::read(
        app.http
            .post(format!("{}/propeller/v2/users/bulk/id", app.base))
            .bearer_auth(&app.key)
            .header("content-type", "application/json")
            .body("{\"users\": [{]}"),
    )
    .await;
    assert_error(&malformed, 400, 10005);
    let too_many: Vec<Value> = (0..10_001).map(|i| json!({"id": i + 1})).collect();
    let r = prop(&app, Method::POST, "/users/bulk/id", Some(&json!({"users": too_many}))).await;
    assert_error(&r, 400, 10007);
    assert_eq!(app.get("/v1/users").await.body["data"].as_array().map(Vec::len), Some(0), "nothing was written");
}

/// A request of 10,000 users is written in two lanes at once: results stay in input order, a failing item
/// fails alone, two items naming the same user apply in input order (create, then update), and what items carry
/// beside the user (addresses, pricing) is written for each.
async fn ten_thousand_users_with_addresses_in_one_request(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let users: Vec<Value> = (0..10_000)
        .map(|i| {
            let email = if i == 5_000 { "broken".to_owned() } else { format!("u{i}@example.com") };
            // Item 7,000 names the user of item 10 again.
            let source_id = if i == 7_000 { "S10".to_owned() } else { format!("S{i}") };
            let mut user = json!({"source": "ERP", "sourceId": source_id, "firstName": format!("F{i}"), "email": email,
                   "addresses": [{"type": "delivery", "code": format!("C{i}"), "street": "Main", "number": i,
                                  "city": "Oslo", "country": "NO"}]});
            if i % 1_000 == 2 {
                user["parent"] = json!({"source": "ERP", "sourceId": "G1"});
            }
            if i % 1_000 == 1 {
                user["pricing"] = json!({"categories": [{"id": i, "pricing": {"type": "SP", "amount": 10}},
                                                        {"id": i, "pricing": {"type": "SP", "amount": 20}}]});
            }
            user
        })
        .collect();
    let r = prop(&app, Method::POST, "/users/bulk/sourceId", Some(&json!({"users": users}))).await;
    assert_eq!(r.status, 200, "{:?}", r.body["error"]);
    let data = r.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 10_000);
    for (i, item) in data.iter().enumerate() {
        let key = if i == 7_000 { "S10".to_owned() } else { format!("S{i}") };
        assert_eq!(item["key"], key, "results are in input order");
        assert_eq!(item["success"].as_bool(), Some(i != 5_000), "{item}");
    }
    assert_eq!((data[10]["action"].as_str(), data[7_000]["action"].as_str()), (Some("create"), Some("update")));
    assert_eq!(data[10]["id"], data[7_000]["id"]);
    let listed = prop(&app, Method::GET, "/users?offset=1", None).await;
    assert_eq!(listed.body["itemsFound"], 9_998);
    let twice = prop(&app, Method::GET, "/users/sourceId/S10", None).await;
    assert_eq!(twice.body["data"]["firstName"], "F7000", "the later item applies last");
    let addresses = prop(&app, Method::GET, "/users/sourceId/S10/addresses", None).await;
    assert_eq!(addresses.body["total"], 2, "{:?}", addresses.body);
    let last = prop(&app, Method::GET, "/users/sourceId/S9999/addresses", None).await;
    assert_eq!((last.body["total"].as_i64(), last.body["data"][0]["number"].as_str()), (Some(1), Some("9999")));
    assert_error(&prop(&app, Method::GET, "/users/sourceId/S5000", None).await, 404, 70006);
    for i in [1, 9_001] {
        let id = prop(&app, Method::GET, &format!("/users/sourceId/S{i}"), None).await.body["data"]["id"].clone();
        let public = app.get(&format!("/v1/users?filter=numeric_id%20eq%20{id}")).await.body["data"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let pricing = app.get(&format!("/v1/users/{public}/pricing")).await.body["data"].clone();
        let pricing = pricing.as_array().unwrap();
        assert_eq!(pricing.len(), 1, "the later item for the same category replaces the earlier: {pricing:?}");
        assert_eq!(pricing[0]["pricing"]["amount"], 20.0, "{pricing:?}");
    }

    // Items 2, 1,002, ... name a parent group: one organization, and each of them a member of it.
    let orgs = app.get("/v1/organizations").await;
    let list = orgs.body["data"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{:?}", orgs.body);
    let members = app.get(&format!("/v1/organizations/{}/members", list[0]["id"].as_str().unwrap())).await;
    assert_eq!(members.body["data"].as_array().map(Vec::len), Some(10), "{:?}", members.body);

    // A schema error anywhere, here in the half checked on another thread, refuses the whole request.
    let mut users: Vec<Value> =
        (0..3_000).map(|i| json!({"source": "ERP", "sourceId": format!("N{i}"), "firstName": "N"})).collect();
    users[2_400]["firstName"] = json!(5);
    let r = prop(&app, Method::POST, "/users/bulk/sourceId", Some(&json!({"users": users}))).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(r.body.to_string().contains("#/users/2400/firstName"), "{:?}", r.body);
    assert_eq!(prop(&app, Method::GET, "/users?offset=1", None).await.body["itemsFound"], 9_998);
}

/// An item refused for its addresses (more than a user may have) leaves its user as it was, while the
/// other items of the batch are applied.
async fn an_item_refused_for_its_addresses_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let address = |code: String| json!({"type": "delivery", "code": code, "street": "S", "city": "C", "country": "NL"});
    let full: Vec<Value> = (0..100).map(|i| address(format!("A{i}"))).collect();
    let first = json!({"users": [{"source": "ERP", "sourceId": "full", "lastName": "Before", "addresses": full}]});
    let r = prop(&app, Method::POST, "/users/bulk/sourceId", Some(&first)).await;
    assert_eq!(r.body["data"][0]["success"], true, "{:?}", r.body);
    let second = json!({"users": [
        {"source": "ERP", "sourceId": "full", "lastName": "After", "email": "after@example.com",
         "addresses": [address("A0".into()), address("A100".into())]},
        {"source": "ERP", "sourceId": "other", "lastName": "Fine", "addresses": [address("B".into())]}
    ]});
    let r = prop(&app, Method::POST, "/users/bulk/sourceId", Some(&second)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["data"][0]["success"].as_bool(), r.body["data"][0]["error"].is_string()), (Some(false), true));
    assert_eq!(r.body["data"][1]["success"], true, "{:?}", r.body);
    let user = prop(&app, Method::GET, "/users/sourceId/full", None).await;
    assert_eq!((user.body["data"]["lastName"].as_str(), user.body["data"]["email"].as_str()), (Some("Before"), None));
    let addresses = prop(&app, Method::GET, "/users/sourceId/full/addresses", None).await;
    assert_eq!(addresses.body["total"], 100, "{:?}", addresses.body["total"]);
    // The email the refused item carried was never taken: another user may have it.
    let taker = json!({"users": [{"source": "ERP", "sourceId": "taker", "email": "after@example.com"}]});
    let r = prop(&app, Method::POST, "/users/bulk/sourceId", Some(&taker)).await;
    assert_eq!(r.body["data"][0]["success"], true, "{:?}", r.body);
    let fine = prop(&app, Method::GET, "/users/sourceId/other/addresses", None).await;
    assert_eq!(fine.body["total"], 1);
}

backend_tests!(
    an_item_refused_for_its_addresses_changes_nothing,
    bulk_by_source_id_creates_then_updates,
    bulk_by_id_updates_known_ids_and_creates_unknown_ones,
    bulk_schema_errors_refuse_the_whole_payload,
    ten_thousand_users_with_addresses_in_one_request,
);
