//! Every request/response example of the seed page (shared/seeds/000), replayed: same requests, answers of
//! the same shape (the seed elides fields with `[...]`, so only its keys are checked). The geocoded `geo` and
//! `raw` of the address examples are left out: no geocoder is configured, and none is invented.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::builton_support::{assert_has_seed_shape, oid, As, Builton};

fn seed_user() -> Value {
    json!({"_id": {"$oid": "5a25250cd57ba213edcba515"}, "first_name": "Jane", "last_name": "Doe", "email": "jane@example.com"})
}

fn seed_address_answer() -> Value {
    json!({"_id": {"$oid": "57ee9c72d76d431f85111432"}, "first_name": "Oliver", "last_name": "Doe",
        "addresses": [{"zip_code": "0182", "alias": "", "street_name": "Hausmanns gate 29", "service": "google", "country": "Norway", "city": "Oslo"}]})
}

fn seed_address() -> Value {
    json!({"city": "Oslo", "service": "google", "alias": "", "country": "Norway", "zip_code": "0182", "street_name": "Hausmanns gate 29"})
}

async fn the_seed_examples_replay_with_the_same_shapes(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let user = As::User("1234567890");
    let check = |reply: crate::support::Reply, seed: Value, what: &str| {
        assert_eq!(reply.status, 200, "{what}: {:?}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/json"), "{what}");
        assert_has_seed_shape(&reply.body, &seed, what);
        reply.body
    };
    // User role.
    let created = check(
        b.call(
            Method::POST,
            "/users",
            user,
            Some(&json!({"first_name": "Jone", "last_name": "Doe", "email": "jone@example.com"})),
        )
        .await,
        seed_user(),
        "create",
    );
    check(b.get("/users/me", user).await, seed_user(), "retrieve me");
    check(
        b.call(Method::PUT, "/users/me", user, Some(&json!({"first_name": "Oliver"}))).await,
        seed_user(),
        "update me",
    );
    let wrapped = json!({"addresses": [seed_address()]});
    check(b.call(Method::PUT, "/users/me/addresses", user, Some(&wrapped)).await, seed_address_answer(), "addresses");

    let email = "jone@example.com";
    let v1 = b.app.get(&format!("/v1/users?email={email}")).await.body["data"][0]["id"].as_str().unwrap().to_owned();
    let order = json!({"total_amount": 42, "items": [{"product": "x"}]});
    b.app.post(&format!("/v1/users/{v1}/orders"), &json!({"details": order})).await;
    let card = json!({"method": "stripe", "card": {"brand": "visa"}});
    b.app.post(&format!("/v1/users/{v1}/payment_methods"), &json!({"details": card})).await;
    let plan = json!({"plan": {"$oid": "5b3b77dd1884cc00086ebbc7"}, "method": "license", "throttling_starts": 1000, "name": "LICENSE",
        "is_retrying_payment": false, "infinite": false, "total_fail_attempts": 0, "payments": [], "trial": false});
    b.app.post(&format!("/v1/users/{v1}/subscriptions"), &json!({"status": "ACTIVE", "details": plan})).await;
    check(
        b.get("/users/me/orders", user).await,
        json!([{"_id": {"$oid": "5c815f19ce39da0008e83eae"}, "total_amount": 42, "items": [{}]}]),
        "orders",
    );
    check(
        b.get("/users/me/payment_methods", user).await,
        json!([{"_id": {"$oid": "57ee9c43d75d241d82231433"}, "active": true, "user": {"$oid": "57ee9c72d76d431f85111432"}, "method": "stripe", "card": {}}]),
        "payment methods",
    );
    let mut subscription = plan.clone();
    subscription["_id"] = json!({"$oid": "5b570317a5f4b4000b6618dc"});
    subscription["status"] = json!("CREATED");
    subscription["user"] = json!({"$oid": "5b55ba2c89dff8000d0d5c29"});
    subscription["payments"] = json!([]);
    check(b.get("/users/me/subscriptions", user).await, json!([subscription]), "subscriptions");

    // Admin role.
    let id = oid(&created);
    check(b.get(&format!("/users/{id}"), As::Admin).await, seed_user(), "admin retrieve");
    check(b.get("/users", As::Admin).await, json!([seed_user()]), "admin list");
    check(
        b.call(Method::PUT, &format!("/users/{id}"), As::Admin, Some(&json!({"first_name": "Oliver"}))).await,
        seed_user(),
        "admin update",
    );
    let bare = json!([seed_address()]);
    check(
        b.call(Method::PUT, &format!("/users/{id}/addresses"), As::Admin, Some(&bare)).await,
        seed_address_answer(),
        "admin addresses",
    );

    let deleted = check(
        b.call(Method::DELETE, "/users/me", user, None).await,
        json!({"_id": {"$oid": "57ee9c72d76d431f85111432"}, "created": {"$date": 1475428903950_i64}, "modified": {"$date": 1475428903951_i64}, "deleted": true}),
        "delete",
    );
    assert_eq!(deleted["deleted"], true);
}

backend_tests!(the_seed_examples_replay_with_the_same_shapes);
