//! BuiltOn addresses: the embedded list and the billing address, stored as canonical addresses, replaced
//! whole through `PUT /users/{id}/addresses` (wrapped or bare array) or a user write.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::builton_support::{error_type, oid, As, Builton};

fn oslo() -> Value {
    json!({"city": "Oslo", "service": "google", "alias": "", "country": "Norway", "zip_code": "0182", "street_name": "Hausmanns gate 29"})
}

async fn the_address_list_is_replaced_whole_in_either_body_shape(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let me = b.call(Method::POST, "/users", As::User("home"), Some(&json!({"email": "home@example.com"}))).await.body;
    let wrapped =
        b.call(Method::PUT, "/users/me/addresses", As::User("home"), Some(&json!({"addresses": [oslo()]}))).await;
    assert_eq!(wrapped.status, 200, "{:?}", wrapped.body);
    assert_eq!(wrapped.body["addresses"], json!([oslo()]), "given back as sent (no geocoder: no geo, no raw)");
    assert!(wrapped.body["modified"]["$date"].as_i64() >= me["modified"]["$date"].as_i64());

    let second = json!({"street_name": "Nadderudåsen 30", "city": "Bekkestua", "zip_code": "1357", "country": "Norway", "geo": [59.92, 10.59]});
    let bare =
        b.call(Method::PUT, &format!("/users/{}/addresses", oid(&me)), As::Admin, Some(&json!([second, oslo()]))).await;
    assert_eq!(bare.status, 200, "{:?}", bare.body);
    let list = bare.body["addresses"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0]["street_name"].as_str(), list[0]["geo"].clone()),
        (Some("Nadderudåsen 30"), json!([59.92, 10.59]))
    );
    assert_eq!((list[0]["service"].as_str(), list[0]["alias"].as_str()), (Some("google"), Some("")), "defaults");

    // Stored as canonical addresses: v1 sees them, with the street split from its number and a country code.
    let v1 = b.app.get("/v1/users?email=home@example.com").await.body["data"][0]["id"].as_str().unwrap().to_owned();
    let canonical = b.app.get(&format!("/v1/users/{v1}/addresses")).await.body;
    let streets: Vec<(&str, &str, &str)> = canonical["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["street"].as_str().unwrap(), a["number"].as_str().unwrap(), a["country"].as_str().unwrap()))
        .collect();
    assert!(streets.contains(&("Hausmanns gate", "29", "NO")), "{canonical}");

    let emptied = b.call(Method::PUT, "/users/me/addresses", As::User("home"), Some(&json!([]))).await;
    assert_eq!(emptied.body["addresses"], json!([]));
    for (body, kind) in [
        (json!({"addresses": [{"city": "Oslo", "planet": "Earth"}]}), "FieldDoesNotExist"),
        (json!([{"city": 5}]), "ValidationError"),
        (json!(["Oslo"]), "ValidationError"),
        (json!({"list": []}), "FieldDoesNotExist"),
        (json!({}), "ValidationError"),
        (json!("Oslo"), "ValidationError"),
        (json!([{"geo": [91.0, 0.0]}]), "ValidationError"),
    ] {
        let reply = b.call(Method::PUT, "/users/me/addresses", As::User("home"), Some(&body)).await;
        assert_eq!((reply.status, error_type(&reply)), (400, kind), "{body}: {:?}", reply.body);
    }
}

async fn user_writes_set_the_list_and_the_billing_address(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let billing = json!({"street_name": "Karl Johans gate 1", "city": "Oslo", "country": "Norway", "full_name": "Ada Byron", "organization_name": "Acme", "email": "bill@example.com"});
    let u = b.admin_create(json!({"addresses": [oslo()], "billing_address": billing})).await;
    assert_eq!(u["addresses"], json!([oslo()]));
    let mut expected = billing.clone();
    expected["alias"] = json!("");
    expected["service"] = json!("google");
    assert_eq!(u["billing_address"], expected);
    let path = format!("/users/{}", oid(&u));
    // The list replace leaves the billing address; a user update with only other keys leaves both.
    let replaced = b.call(Method::PUT, &format!("{path}/addresses"), As::Admin, Some(&json!([]))).await.body;
    assert_eq!(
        (replaced["addresses"].clone(), replaced["billing_address"]["city"].as_str()),
        (json!([]), Some("Oslo"))
    );
    let named = b.call(Method::PUT, &path, As::Admin, Some(&json!({"first_name": "A"}))).await.body;
    assert_eq!(named["billing_address"]["city"], "Oslo");
    let cleared = b
        .call(Method::PUT, &path, As::Admin, Some(&json!({"billing_address": null, "addresses": [oslo()]})))
        .await
        .body;
    assert!(cleared.get("billing_address").is_none(), "{cleared}");
    assert_eq!(cleared["addresses"], json!([oslo()]));
    // A login ignores the body: addresses are only taken when the JWT creates the user.
    let first = b.call(Method::POST, "/users", As::User("s"), Some(&json!({"addresses": [oslo()]}))).await.body;
    assert_eq!(first["addresses"], json!([oslo()]));
    let login = b.call(Method::POST, "/users", As::User("s"), Some(&json!({"addresses": []}))).await.body;
    assert_eq!(login["addresses"], json!([oslo()]));
}

/// The user and its addresses are written in two steps: an address list the second step would refuse (over
/// the limit of 100) is refused before the first, so nothing changes, on create as on update.
async fn a_refused_address_list_leaves_the_user_unchanged(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let too_many: Vec<Value> = (0..101).map(|_| oslo()).collect();
    let me = b.call(Method::POST, "/users", As::User("full"), Some(&json!({"first_name": "Before"}))).await.body;
    let update = json!({"first_name": "After", "addresses": too_many});
    let reply = b.call(Method::PUT, "/users/me", As::User("full"), Some(&update)).await;
    assert_eq!((reply.status, error_type(&reply)), (400, "ValidationError"), "{:?}", reply.body);
    let now = b.get("/users/me", As::User("full")).await.body;
    assert_eq!((&now["first_name"], &now["modified"]), (&me["first_name"], &me["modified"]), "the user did not change");

    let create = json!({"email": "crowded@example.com", "addresses": too_many});
    let reply = b.call(Method::POST, "/users", As::Admin, Some(&create)).await;
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(b.app.get("/v1/users?email=crowded@example.com").await.body["data"], json!([]), "no user was created");
}

backend_tests!(
    a_refused_address_list_leaves_the_user_unchanged,
    the_address_list_is_replaced_whole_in_either_body_shape,
    user_writes_set_the_list_and_the_billing_address
);
