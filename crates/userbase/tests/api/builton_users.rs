//! BuiltOn users: create-or-login, the user object, updates, soft delete, credentials and CORS.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_core::api_key::KeyKind;
use userbase_testing::{backend_tests, Backend};

use crate::builton_support::{error_type, jwt, oid, As, Builton};
use crate::support::TestApp;

fn date(v: &Value) -> i64 {
    v["$date"].as_i64().unwrap_or_else(|| panic!("not a $date: {v}"))
}

async fn a_jwt_creates_the_user_once_and_then_logs_in(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let body = json!({"first_name": "Jone", "last_name": "Doe", "email": "jone@example.com", "tags": ["vip"]});
    let created = b.call(Method::POST, "/users", As::User("sub-1"), Some(&body)).await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let u = &created.body;
    assert_eq!((u["first_name"].as_str(), u["auth_id"].as_str()), (Some("Jone"), Some("sub-1")));
    assert_eq!(u["tags"], json!(["vip"]));
    let first_login = date(&u["last_login"]);

    // Again, through the deprecated route the SDKs call, with another body: a login, the body ignored.
    let again = b.call(Method::POST, "/v2/users", As::User("sub-1"), Some(&json!({"first_name": "X"}))).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(oid(&again.body), oid(u));
    assert_eq!(again.body["first_name"], "Jone");
    assert!(date(&again.body["last_login"]) >= first_login);
    assert!(date(&again.body["modified"]) >= date(&u["modified"]));

    let other = b.call(Method::POST, "/users", As::User("sub-2"), Some(&json!({}))).await;
    assert_ne!(oid(&other.body), oid(u), "another subject is another user");
    assert_eq!(b.get("/users", As::Admin).await.header("x-pagination-total"), Some("2"));
}

async fn the_user_object_has_builtons_shape_and_defaults(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let u = b.admin_create(json!({})).await;
    let id = oid(&u);
    assert!(id.len() == 24 && id.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{id}");
    for (field, value) in [
        ("_cls", json!("User")),
        ("first_name", json!("")),
        ("last_name", json!("")),
        ("email", json!("")),
        ("mobile_phone_number", json!("")),
        ("addresses", json!([])),
        ("bio", json!("")),
        ("tags", json!([])),
        ("note", json!("")),
        ("avatar", json!("")),
        ("auth_id", json!("")),
        ("company", json!({"$oid": "acme"})),
        ("deleted", json!(false)),
        ("blocked", json!(false)),
        ("roles", json!(["user"])),
        ("is_company", json!(false)),
        ("national_id", json!("")),
        ("new_customer", json!(true)),
        ("receive_notifications", json!(true)),
        ("stripe_customer_id", json!("")),
    ] {
        assert_eq!(u[field], value, "{field}");
    }
    for absent in ["salutation", "billing_address", "default_payment_method", "last_login", "image"] {
        assert!(u.get(absent).is_none(), "{absent} is omitted until set: {u}");
    }
    let human = u["human_id"].as_str().unwrap();
    assert!(human.len() == 6 && human.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()), "{human}");
    assert_eq!(date(&u["created"]), date(&u["modified"]));
    let voucher = &u["voucher"];
    assert_eq!(date(&voucher["expires"]) - date(&voucher["created"]), 31_536_000_000);
    assert_eq!((voucher["consumed"].as_i64(), voucher["initial_quantity"].as_i64()), (Some(0), Some(0)));
    assert_eq!(voucher["uuid"].as_str().unwrap().len(), 36);
    assert_eq!(voucher["uuid"].as_str().unwrap().as_bytes()[14], b'4', "a version-4-shaped UUID");
    assert_eq!(date(&voucher["created"]), date(&u["created"]));
    let read = b.call(Method::GET, &format!("/users/{}", oid(&u)), As::Admin, None).await;
    assert_eq!(read.body["voucher"], *voucher, "the voucher is the same on every read");

    let again = b.admin_create(json!({})).await;
    assert_ne!(oid(&again), id, "a service account always creates");
    assert_ne!(again["voucher"]["uuid"], voucher["uuid"], "each user has a voucher of its own");
}

async fn updates_change_only_the_keys_sent(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let u = b.admin_create(json!({"first_name": "Jane", "last_name": "Doe", "bio": "hi", "tags": ["a"]})).await;
    let path = format!("/users/{}", oid(&u));
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let updated = b.call(Method::PUT, &path, As::Admin, Some(&json!({"first_name": "Oliver"}))).await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(
        (updated.body["first_name"].as_str(), updated.body["last_name"].as_str()),
        (Some("Oliver"), Some("Doe"))
    );
    assert_eq!(updated.body["bio"], "hi");
    assert!(date(&updated.body["modified"]) > date(&u["modified"]));

    let body = json!({"notes": "via the alias", "tags": ["b", "c"], "salutation": "Dr", "mobile_phone_number": "+4712345678",
        "default_payment_method": "57ee9c43d75d241d82231433", "image": "5b3b77dd1884cc00086ebbc7", "bio": ""});
    let more = b.call(Method::PUT, &path, As::Admin, Some(&body)).await;
    assert_eq!(more.status, 200, "{:?}", more.body);
    let m = &more.body;
    assert_eq!((m["note"].as_str(), m["salutation"].as_str()), (Some("via the alias"), Some("Dr")));
    assert_eq!(m["tags"], json!(["b", "c"]));
    assert_eq!(m["mobile_phone_number"], "+4712345678");
    assert_eq!(m["default_payment_method"], json!({"$oid": "57ee9c43d75d241d82231433"}));
    assert_eq!(m["image"], json!({"$oid": "5b3b77dd1884cc00086ebbc7"}));
    assert_eq!(m["bio"], "", "\"\" clears");

    for (body, kind, params) in [
        (json!({"nickname": "x"}), "FieldDoesNotExist", "nickname"),
        (json!({"first_name": 5}), "ValidationError", "first_name"),
        (json!({"email": "not-an-email"}), "ValidationError", "email"),
        (json!({"tags": ["a,b"]}), "ValidationError", "tags[0]"),
        (json!({"addresses": [{"city": "Oslo", "planet": "Earth"}]}), "FieldDoesNotExist", "planet"),
    ] {
        let reply = b.call(Method::PUT, &path, As::Admin, Some(&body)).await;
        assert_eq!(reply.status, 400, "{body}: {:?}", reply.body);
        assert_eq!(error_type(&reply), kind, "{body}: {:?}", reply.body);
        assert_eq!(reply.body["code"], 400);
        assert!(reply.body["error"]["params"].as_str().unwrap().contains(params), "{body}: {:?}", reply.body);
        assert!(reply.body["message"].is_string() && reply.body["description"].is_string());
    }
    let on_create = b.call(Method::POST, "/users", As::Admin, Some(&json!({"default_payment_method": "x"}))).await;
    assert_eq!((on_create.status, error_type(&on_create)), (400, "ValidationError"));
    let malformed = TestApp::read(
        b.app
            .http
            .put(format!("{}/builton{path}", b.app.base))
            .bearer_auth(&b.app.key)
            .header("x-builton-api-key", &b.pk)
            .header("content-type", "application/json")
            .body("{\"first_name\":"),
    )
    .await;
    assert_eq!((malformed.status, error_type(&malformed)), (400, "ValidationError"));
    let array = b.call(Method::PUT, &path, As::Admin, Some(&json!([{"first_name": "x"}]))).await;
    assert_eq!((array.status, error_type(&array)), (400, "ValidationError"), "a user body is an object");
}

async fn users_update_themselves_by_me_or_id_and_nobody_else(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let me = b.call(Method::POST, "/users", As::User("me-1"), Some(&json!({"first_name": "Me"}))).await.body;
    let other = b.admin_create(json!({"first_name": "Other"})).await;
    let by_me = b.call(Method::PUT, "/users/me", As::User("me-1"), Some(&json!({"last_name": "Self"}))).await;
    assert_eq!((by_me.status, by_me.body["last_name"].as_str()), (200, Some("Self")));
    let by_id = b.get(&format!("/users/{}", oid(&me)), As::User("me-1")).await;
    assert_eq!((by_id.status, by_id.body["last_name"].as_str()), (200, Some("Self")));
    // `image` is a service account's key on updates (000.4); a user sending it changes nothing.
    let image = b
        .call(
            Method::PUT,
            "/users/me",
            As::User("me-1"),
            Some(&json!({"image": "5a25250cd57ba213edcba515", "bio": "x"})),
        )
        .await;
    assert_eq!((image.status, error_type(&image)), (400, "FieldDoesNotExist"), "{:?}", image.body);
    assert_eq!(b.get("/users/me", As::User("me-1")).await.body["bio"], by_id.body["bio"]);
    let by_admin = b
        .call(
            Method::PUT,
            &format!("/users/{}", oid(&me)),
            As::Admin,
            Some(&json!({"image": "5a25250cd57ba213edcba515"})),
        )
        .await;
    assert_eq!(by_admin.status, 200, "{:?}", by_admin.body);
    for (method, path) in [
        (Method::GET, format!("/users/{}", oid(&other))),
        (Method::PUT, format!("/users/{}", oid(&other))),
        (Method::DELETE, format!("/users/{}", oid(&other))),
        (Method::GET, format!("/users/{}/orders", oid(&other))),
        (Method::PUT, format!("/users/{}/addresses", oid(&other))),
        (Method::GET, "/users/5a25250cd57ba213edcba515".to_owned()),
        (Method::GET, "/users".to_owned()),
        (Method::GET, "/users/search?query=x".to_owned()),
    ] {
        let reply = b.call(method.clone(), &path, As::User("me-1"), Some(&json!({}))).await;
        assert_eq!((reply.status, error_type(&reply)), (403, "AuthorizationError"), "{method} {path}");
    }
    // `me` is nobody for a service account; ids are opaque: any unknown one is 404, never 400.
    for path in ["/users/me", "/users/5a25250cd57ba213edcba515", "/users/5a25250cd57ba256dgrte432", "/users/x"] {
        let reply = b.get(path, As::Admin).await;
        assert_eq!((reply.status, error_type(&reply)), (404, "DoesNotExist"), "{path}");
    }
    let missing = b.get("/users/5a25250cd57ba213edcba515", As::Admin).await;
    assert_eq!(missing.body["error"]["params"], "5a25250cd57ba213edcba515");
    assert_eq!(missing.body["code"], 404);
    let no_account = b.get("/users/me", As::User("never-signed-in")).await;
    assert_eq!((no_account.status, error_type(&no_account)), (404, "DoesNotExist"));
}

async fn delete_is_soft_and_answers_with_the_deleted_user(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let u = b.admin_create(json!({"first_name": "Gone", "addresses": [{"city": "Oslo"}]})).await;
    let path = format!("/users/{}", oid(&u));
    let deleted = b.call(Method::DELETE, &path, As::Admin, None).await;
    assert_eq!(deleted.status, 200, "{:?}", deleted.body);
    assert_eq!((deleted.body["deleted"].as_bool(), deleted.body["first_name"].as_str()), (Some(true), Some("Gone")));
    assert_eq!(deleted.body["addresses"][0]["city"], "Oslo");
    assert!(date(&deleted.body["modified"]) >= date(&u["modified"]));
    for method in [Method::GET, Method::DELETE] {
        let again = b.call(method.clone(), &path, As::Admin, None).await;
        assert_eq!((again.status, error_type(&again)), (404, "DoesNotExist"), "{method}");
    }
    assert_eq!(b.get("/users", As::Admin).await.body, json!([]));
    let listed = b.get("/users?include_deleted=true", As::Admin).await;
    assert_eq!(listed.body[0]["deleted"], true);

    // A user deletes themselves with `me`; signing in again makes a fresh user.
    let mine = b.call(Method::POST, "/users", As::User("s"), Some(&json!({}))).await.body;
    assert_eq!(b.call(Method::DELETE, "/users/me", As::User("s"), None).await.body["deleted"], true);
    let fresh = b.call(Method::POST, "/users", As::User("s"), Some(&json!({}))).await.body;
    assert_ne!(oid(&fresh), oid(&mine));
}

async fn credentials_are_checked_and_refused_in_builtons_shape(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let url = format!("{}/builton/users", b.app.base);
    let other_project_key = b.app.new_project("other").await;
    let other_pk = b.app.new_key("other", KeyKind::Publishable).await;
    let http = &b.app.http;
    let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        ("nothing", http.get(&url), 401),
        ("publishable key alone", http.get(&url).header("X-Builton-Api-Key", &b.pk), 401),
        ("secret key without the publishable key", http.get(&url).bearer_auth(&b.app.key), 401),
        ("jwt without the publishable key", http.get(&url).bearer_auth(jwt("a")), 401),
        (
            "unknown publishable key",
            http.get(&url).bearer_auth(&b.app.key).header("X-Builton-Api-Key", "ub_pk_nope"),
            401,
        ),
        (
            "secret key as the api key",
            http.get(&url).bearer_auth(&b.app.key).header("X-Builton-Api-Key", &b.app.key),
            401,
        ),
        (
            "another company's publishable key",
            http.get(&url).bearer_auth(&b.app.key).header("X-Builton-Api-Key", &other_pk),
            403,
        ),
        (
            "another company's secret key",
            http.get(&url).bearer_auth(&other_project_key).header("X-Builton-Api-Key", &b.pk),
            403,
        ),
        ("a forged jwt", http.get(&url).bearer_auth(format!("{}x", jwt("a"))).header("X-Builton-Api-Key", &b.pk), 401),
        ("the publishable key as bearer", http.get(&url).bearer_auth(&b.pk).header("X-Builton-Api-Key", &b.pk), 403),
        ("lowercase header", http.get(&url).bearer_auth(&b.app.key).header("x-builton-api-key", &b.pk), 200),
        ("the js sdk's spelling", http.get(&url).bearer_auth(&b.app.key).header("X-Builton-API-Key", &b.pk), 200),
    ];
    for (what, req, status) in cases {
        let reply = TestApp::read(req).await;
        assert_eq!(reply.status, status, "{what}: {:?}", reply.body);
        if status != 200 {
            assert_eq!(error_type(&reply), "AuthorizationError", "{what}");
            assert_eq!(reply.body["code"], status, "{what}");
        }
    }
    let expired = crate::auth_support::hs256(&json!({"sub": "a", "exp": crate::auth_support::now() - 3600}));
    let reply =
        TestApp::read(http.post(&url).bearer_auth(expired).header("X-Builton-Api-Key", &b.pk).json(&json!({}))).await;
    assert_eq!((reply.status, error_type(&reply)), (401, "AuthorizationError"));
}

async fn reads_and_deletes_take_a_json_content_type_without_a_body_and_answer_cors(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let u = b.admin_create(json!({"first_name": "A"})).await;
    let url = format!("{}/builton/users/{}", b.app.base, oid(&u));
    for method in [Method::GET, Method::DELETE] {
        let req = b
            .app
            .http
            .request(method.clone(), &url)
            .bearer_auth(&b.app.key)
            .header("X-Builton-Api-Key", &b.pk)
            .header("content-type", "application/json");
        let reply = TestApp::read(req).await;
        assert_eq!(reply.status, 200, "{method}: {:?}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
        assert_eq!(reply.header("access-control-expose-headers"), Some("X-Pagination-Total"));
        assert!(reply.header("access-control-allow-headers").unwrap().contains("X-BuiltOn-Api-Key"));
    }
    let preflight = TestApp::read(b.app.http.request(Method::OPTIONS, format!("{}/builton/users", b.app.base))).await;
    assert_eq!(preflight.status, 200);
    assert_eq!(preflight.header("access-control-allow-methods"), Some("PUT, GET, POST, DELETE, OPTIONS"));
    let refused = b.get("/users", As::Nobody).await;
    assert_eq!((refused.status, refused.header("access-control-allow-origin")), (401, Some("*")));
    let unknown = b.get("/users/me/ratings", As::Admin).await;
    assert_eq!((unknown.status, error_type(&unknown)), (404, "DoesNotExist"));
    let not_allowed = b.call(Method::PATCH, "/users", As::Admin, Some(&json!({}))).await;
    assert_eq!(not_allowed.status, 405);
}

async fn a_taken_email_is_a_validation_error(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    b.admin_create(json!({"email": "taken@example.com"})).await;
    let dup = b.call(Method::POST, "/users", As::Admin, Some(&json!({"email": "TAKEN@example.com"}))).await;
    assert_eq!((dup.status, error_type(&dup)), (400, "ValidationError"), "{:?}", dup.body);
    assert_eq!(dup.body["error"]["params"], "email");
    let empty = b.admin_create(json!({"email": ""})).await;
    let empty_too = b.admin_create(json!({"email": ""})).await;
    assert_ne!(oid(&empty), oid(&empty_too), "\"\" is no email, and many users have none");
}

async fn one_user_through_builton_v1_and_gigs(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let built = b.admin_create(json!({"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com"})).await;
    let v1 = b.app.get("/v1/users?email=ada@example.com").await.body["data"][0].clone();
    assert_eq!((v1["first_name"].as_str(), v1["last_name"].as_str()), (Some("Ada"), Some("Byron")));
    let public_id = v1["id"].as_str().unwrap();
    let gigs = b.app.get(&format!("/gigs/projects/acme/users/{public_id}")).await.body;
    assert_eq!((gigs["fullName"].as_str(), gigs["email"].as_str()), (Some("Ada Byron"), Some("ada@example.com")));

    let from_v1 =
        b.app.create_user(json!({"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"})).await;
    let gigs_reply =
        b.app.post("/gigs/projects/acme/users", &json!({"email": "alan@example.com", "fullName": "Alan Turing"})).await;
    assert_eq!(gigs_reply.status, 201);
    let listed = b.get("/users?sort=created", As::Admin).await.body;
    let by_email = |email: &str| listed.as_array().unwrap().iter().find(|u| u["email"] == email).cloned().unwrap();
    assert_eq!(oid(&by_email("ada@example.com")), oid(&built));
    let grace = by_email("grace@example.com");
    assert_eq!((grace["first_name"].as_str(), grace["last_name"].as_str()), (Some("Grace"), Some("Hopper")));
    assert_eq!(grace["_cls"], "User");
    let v1_grace = b.app.get(&format!("/v1/users/{}", from_v1["id"].as_str().unwrap())).await.body;
    assert_eq!(b.get(&format!("/users/{}", oid(&grace)), As::Admin).await.body["human_id"].as_str().unwrap().len(), 6);
    assert_eq!(v1_grace["email"], "grace@example.com");
    assert_eq!(by_email("alan@example.com")["email"], "alan@example.com");
}

async fn concurrent_first_sign_ins_of_one_subject_make_one_user(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let url = format!("{}/builton/users", b.app.base);
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let req = b.app.http.post(&url).bearer_auth(jwt("racer")).header("X-Builton-Api-Key", &b.pk);
            tokio::spawn(TestApp::read(req.json(&json!({"first_name": "R"}))))
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    let ids: std::collections::HashSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{:?}", r.body);
            oid(&r.body)
        })
        .collect();
    assert_eq!(ids.len(), 1, "one user for one subject");
    assert_eq!(b.get("/users", As::Admin).await.header("x-pagination-total"), Some("1"));
}

backend_tests!(
    a_jwt_creates_the_user_once_and_then_logs_in,
    concurrent_first_sign_ins_of_one_subject_make_one_user,
    the_user_object_has_builtons_shape_and_defaults,
    updates_change_only_the_keys_sent,
    users_update_themselves_by_me_or_id_and_nobody_else,
    delete_is_soft_and_answers_with_the_deleted_user,
    credentials_are_checked_and_refused_in_builtons_shape,
    reads_and_deletes_take_a_json_content_type_without_a_body_and_answer_cors,
    a_taken_email_is_a_validation_error,
    one_user_through_builton_v1_and_gigs,
);
