//! Gigs user addresses over the canonical addresses.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::gigs_support::{assert_same_shape, gigs};
use crate::support::TestApp;

async fn addresses_are_created_listed_retrieved_and_deleted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = gigs(&app, Method::POST, "/users", Some(&json!({"email": "a@example.com"}))).await.body;
    let base = format!("/users/{}/addresses", user["id"].as_str().unwrap());
    let body = json!({"line1": "129 West 81st Street", "line2": "Apartment 5A", "city": "New York", "postalCode": "10024",
                      "state": "NY", "country": "us"});
    let created = gigs(&app, Method::POST, &base, Some(&body)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let expected = json!({"object": "userAddress", "id": "adr_x", "user": "usr_x", "city": "x", "country": "US", "line1": "x", "line2": "x",
                          "postalCode": "x", "state": "x", "createdAt": "x"});
    assert_same_shape(&created.body, &expected, "address");
    assert_eq!(created.body["country"], "US");
    // The published Gigs client reads `user` as the owning user's id.
    assert_eq!(created.body["user"], user["id"]);
    let id = created.body["id"].as_str().unwrap();

    let v1 = app.get(&format!("/v1/users/{}/addresses/{id}", user["id"].as_str().unwrap())).await;
    assert_eq!((v1.body["street"].as_str(), v1.body["region"].as_str()), (Some("129 West 81st Street"), Some("NY")));

    let second =
        gigs(&app, Method::POST, &base, Some(&json!({"line1": "1 Main St", "city": "Oslo", "country": "NO"}))).await;
    assert_eq!(second.body["line2"], Value::Null);
    let list = gigs(&app, Method::GET, &format!("{base}?limit=1"), None).await;
    assert_eq!(list.body["object"], "list");
    assert_eq!(list.body["items"][0]["id"], second.body["id"], "newest first");
    assert_eq!(list.body["moreItemsAfter"], second.body["id"]);
    let rest = gigs(&app, Method::GET, &format!("{base}?after={}", second.body["id"].as_str().unwrap()), None).await;
    assert_eq!(rest.body["items"][0]["id"], id);
    assert_eq!(rest.body["moreItemsBefore"], id);

    assert_eq!(gigs(&app, Method::GET, &format!("{base}/{id}"), None).await.body, created.body);
    let deleted = gigs(&app, Method::DELETE, &format!("{base}/{id}"), None).await;
    assert_eq!((deleted.status, &deleted.body), (200, &created.body));
    let gone = gigs(&app, Method::GET, &format!("{base}/{id}"), None).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["message"], "Address not found.");
}

async fn bad_addresses_are_422_and_foreign_ones_404(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let user = gigs(&app, Method::POST, "/users", Some(&json!({"email": "a@example.com"}))).await.body;
    let other = gigs(&app, Method::POST, "/users", Some(&json!({"email": "b@example.com"}))).await.body;
    let base = format!("/users/{}/addresses", user["id"].as_str().unwrap());
    for (body, prop) in [
        (json!({"city": "Oslo", "country": "NO"}), "line1"),
        (json!({"line1": "x", "country": "NO"}), "city"),
        (json!({"line1": "x", "city": "Oslo"}), "country"),
        (json!({"line1": "x", "city": "Oslo", "country": "XX"}), "country"),
        (json!({"line1": "x", "city": "Oslo", "country": "NO", "zip": "1"}), "zip"),
    ] {
        let reply = gigs(&app, Method::POST, &base, Some(&body)).await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(reply.body["details"][0]["property"], prop, "{body}");
    }
    let created = gigs(&app, Method::POST, &base, Some(&json!({"line1": "x", "city": "Oslo", "country": "NO"}))).await;
    let id = created.body["id"].as_str().unwrap();
    let foreign = format!("/users/{}/addresses/{id}", other["id"].as_str().unwrap());
    assert_eq!(gigs(&app, Method::GET, &foreign, None).await.status, 404);
    assert_eq!(gigs(&app, Method::DELETE, &foreign, None).await.status, 404);
    assert_eq!(gigs(&app, Method::GET, "/users/usr_0000000000000000000000000000/addresses", None).await.status, 404);
    assert_eq!(gigs(&app, Method::GET, &format!("{base}?after=adr_nope"), None).await.status, 422);
    // A cursor names an address of this user, not of another one.
    let theirs = format!("/users/{}/addresses", other["id"].as_str().unwrap());
    let reply = gigs(&app, Method::GET, &format!("{theirs}?before={id}"), None).await;
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    assert_eq!(reply.body["details"][0]["property"], "before");
    assert_eq!(reply.body["message"], "before does not name an address of this user.");
}

backend_tests!(addresses_are_created_listed_retrieved_and_deleted, bad_addresses_are_422_and_foreign_ones_404);
