//! BuiltOn's per-user lists of real records: orders, payment methods, subscriptions (written through v1).

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::auth_support::now;
use crate::builton_support::{error_type, oid, As, Builton};

/// A user signed in with a JWT for `sub`, and their v1 id.
async fn user_with_records(b: &Builton, sub: &str) -> (Value, String) {
    let email = format!("{sub}@example.com");
    let user = b.call(Method::POST, "/users", As::User(sub), Some(&json!({"email": email}))).await.body;
    let v1 = b.app.get(&format!("/v1/users?email={email}")).await.body["data"][0]["id"].as_str().unwrap().to_owned();
    (user, v1)
}

async fn record(b: &Builton, v1_user: &str, collection: &str, body: Value) -> String {
    let reply = b.app.post(&format!("/v1/users/{v1_user}/{collection}"), &body).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(oid).collect()
}

async fn orders_are_listed_with_status_lists_date_windows_sort_and_pages(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let (user, v1) = user_with_records(&b, "buyer").await;
    let first = record(
        &b,
        &v1,
        "orders",
        json!({"status": "SUCCESS", "delivery_status": "DONE", "details": {"total_amount": 42, "items": []}}),
    )
    .await;
    let second = record(&b, &v1, "orders", json!({"status": "PROCESSING"})).await;
    let third = record(&b, &v1, "orders", json!({"status": "CANCELLED", "delivery_status": "CANCELLED"})).await;

    let mine = b.get("/users/me/orders", As::User("buyer")).await;
    assert_eq!(mine.status, 200, "{:?}", mine.body);
    assert_eq!(
        (ids(&mine.body), mine.header("x-pagination-total")),
        (vec![first.clone(), second.clone(), third.clone()], Some("3"))
    );
    let o = &mine.body[0];
    assert_eq!((o["order_status"].as_str(), o["delivery_status"].as_str()), (Some("SUCCESS"), Some("DONE")));
    assert_eq!((o["total_amount"].as_i64(), o["items"].clone()), (Some(42), json!([])));
    assert_eq!(o["user"], json!({"$oid": oid(&user)}));
    assert!(o["created"]["$date"].is_i64() && o["modified"]["$date"].is_i64());
    assert_eq!(o["deleted"], false);

    let by_admin = b.get(&format!("/users/{}/orders?sort=-created", oid(&user)), As::Admin).await;
    assert_eq!(ids(&by_admin.body), [third.clone(), second.clone(), first.clone()]);
    let query = |q: String| {
        let b = &b;
        async move {
            let reply = b.get(&format!("/users/me/orders?{q}"), As::User("buyer")).await;
            assert_eq!(reply.status, 200, "{q}: {:?}", reply.body);
            ids(&reply.body)
        }
    };
    assert_eq!(query("order_status=success,%20processing".into()).await, [first.clone(), second.clone()]);
    assert_eq!(query("delivery_status=CANCELLED".into()).await, [third.as_str()]);
    assert_eq!(query("size=2&page=1".into()).await, [third.as_str()]);
    assert_eq!(query(format!("from_date={}", now() + 60)).await, Vec::<String>::new());
    assert_eq!(query(format!("to_date={}", now() - 60)).await, Vec::<String>::new());
    assert_eq!(query(format!("to_date={}&date_filter=modified", now() + 60)).await.len(), 3);
    assert_eq!(query("from_date=2361183241434822606848".into()).await, Vec::<String>::new());
    // Outside the default window of now ± 15 days: the window is there unless the client moves it.
    assert_eq!(query(format!("from_date={}&to_date={}", now() - 86_400 * 40, now() - 86_400 * 20)).await.len(), 0);
    for bad in [
        "order_status=LOST",
        "delivery_status=FLYING",
        "sort=price",
        "date_filter=shipped",
        "size=0",
        "status=ACTIVE",
        "include_deleted=true",
        "colour=red",
    ] {
        let reply = b.get(&format!("/users/me/orders?{bad}"), As::User("buyer")).await;
        assert_eq!((reply.status, error_type(&reply)), (400, "ValidationError"), "{bad}: {:?}", reply.body);
    }
}

async fn payment_methods_hide_deleted_ones_unless_asked(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let (user, v1) = user_with_records(&b, "payer").await;
    let card =
        record(&b, &v1, "payment_methods", json!({"details": {"method": "stripe", "card": {"brand": "visa"}}})).await;
    let old = record(&b, &v1, "payment_methods", json!({"status": "EXPIRED"})).await;
    assert_eq!(b.app.delete(&format!("/v1/users/{v1}/payment_methods/{old}")).await.status, 200);
    let listed = b.get(&format!("/users/{}/payment_methods", oid(&user)), As::Admin).await;
    assert_eq!((ids(&listed.body), listed.header("x-pagination-total")), (vec![card.clone()], Some("1")));
    let pm = &listed.body[0];
    assert_eq!((pm["active"].as_bool(), pm["method"].as_str()), (Some(true), Some("stripe")));
    assert_eq!(pm["card"]["brand"], "visa");
    let all = b.get("/users/me/payment_methods?include_deleted=true&sort=-created", As::User("payer")).await;
    assert_eq!(ids(&all.body), [old, card]);
    assert_eq!(all.body[0]["deleted"], true);
    assert_eq!(b.get("/users/me/payment_methods?order_status=SUCCESS", As::User("payer")).await.status, 400);
}

async fn subscriptions_default_to_active_ones_newest_change_first(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let (user, v1) = user_with_records(&b, "subscriber").await;
    let plan = json!({"$oid": "5b3b77dd1884cc00086ebbc7"});
    let active =
        record(&b, &v1, "subscriptions", json!({"status": "ACTIVE", "details": {"plan": plan, "name": "LICENSE"}}))
            .await;
    let created = record(&b, &v1, "subscriptions", json!({})).await;
    let later = record(&b, &v1, "subscriptions", json!({"status": "ACTIVE"})).await;
    let path = format!("/users/{}/subscriptions", oid(&user));
    let listed = b.get(&path, As::Admin).await;
    assert_eq!(
        (ids(&listed.body), listed.header("x-pagination-total")),
        (vec![later.clone(), active.clone()], Some("2"))
    );
    assert_eq!(listed.body[1]["plan"], plan);
    assert_eq!(listed.body[1]["status"], "ACTIVE");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    b.app.patch(&format!("/v1/users/{v1}/subscriptions/{active}"), &json!({"details": {"name": "PRO"}})).await;
    assert_eq!(ids(&b.get(&path, As::Admin).await.body), [active.clone(), later.clone()], "-modified by default");
    assert_eq!(ids(&b.get(&format!("{path}?status=CREATED"), As::Admin).await.body), [created.as_str()]);
    assert_eq!(
        b.get(&format!("{path}?status=created,active&size=1&page=2"), As::Admin).await.body.as_array().unwrap().len(),
        1
    );
    b.app.delete(&format!("/v1/users/{v1}/subscriptions/{later}")).await;
    assert_eq!(ids(&b.get(&path, As::Admin).await.body), [active.as_str()]);
    assert_eq!(
        ids(&b.get(&format!("{path}?include_deleted=true&sort=created"), As::Admin).await.body),
        [active, later]
    );
    for bad in ["status=PAID", "from_date=1", "sort=plan"] {
        let reply = b.get(&format!("{path}?{bad}"), As::Admin).await;
        assert_eq!((reply.status, error_type(&reply)), (400, "ValidationError"), "{bad}");
    }
}

async fn records_of_unknown_or_deleted_users_are_not_found(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let (user, _) = user_with_records(&b, "gone").await;
    b.call(Method::DELETE, "/users/me", As::User("gone"), None).await;
    for path in ["orders", "payment_methods", "subscriptions"] {
        let reply = b.get(&format!("/users/{}/{path}", oid(&user)), As::Admin).await;
        assert_eq!((reply.status, error_type(&reply)), (404, "DoesNotExist"), "{path}");
        let unknown = b.get(&format!("/users/5a25250cd57ba213edcba515/{path}"), As::Admin).await;
        assert_eq!(unknown.status, 404, "{path}");
    }
}

backend_tests!(
    orders_are_listed_with_status_lists_date_windows_sort_and_pages,
    payment_methods_hide_deleted_ones_unless_asked,
    subscriptions_default_to_active_ones_newest_change_first,
    records_of_unknown_or_deleted_users_are_not_found,
);
