//! BoltonSea users: each endpoint, its errors, and one user under every dialect.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::auth_support::user_key;
use crate::boltonsea_support::{assert_error, bs, caller, is_iso_millis, message, user_with_key};
use crate::support::TestApp;

/// The seed's create body, with its annotations taken off.
fn seed_body() -> Value {
    json!({"country_id": "ca", "email": "daniel@sajmx.com", "first_name": "Jamie", "last_name": "Jackson",
           "other_id": "sdh23yv3bobe6yob82"})
}

/// The v1 user with this integer id.
async fn v1_user(app: &TestApp, numeric_id: &Value) -> Value {
    let list = app.get("/v1/users?limit=200").await;
    list.body["data"].as_array().unwrap().iter().find(|u| &u["numeric_id"] == numeric_id).cloned().unwrap()
}

async fn organization_count(app: &TestApp) -> usize {
    app.get("/v1/organizations?limit=200").await.body["data"].as_array().unwrap().len()
}

async fn create_returns_the_user_with_its_default_profile_and_a_key_of_it_reads_it(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let key = caller(&app).await;
    let created = bs(&app, Method::POST, "/users", Some(&key), Some(&seed_body())).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let u = &created.body;
    assert!(u["id"].is_i64());
    assert_eq!(
        (&u["email"], &u["first_name"], &u["last_name"], &u["country_id"], &u["other_id"], &u["role"]),
        (
            &json!("daniel@sajmx.com"),
            &json!("Jamie"),
            &json!("Jackson"),
            &json!("CA"),
            &json!("sdh23yv3bobe6yob82"),
            &json!("Owner")
        )
    );
    assert_eq!(u["default_account"]["organization_name"], "Default Profile");
    assert!(u["default_account"]["id"].is_i64());
    assert!(is_iso_millis(u["created_on"].as_str().unwrap()), "{u}");
    assert!(is_iso_millis(u["updated_on"].as_str().unwrap()), "{u}");
    let mut keys: Vec<&String> = u.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "country_id",
            "created_on",
            "default_account",
            "email",
            "first_name",
            "id",
            "last_name",
            "other_id",
            "role",
            "updated_on"
        ]
    );

    // The new user's own key sees the same user at `/users` and `/users/me`.
    let v1 = v1_user(&app, &u["id"]).await;
    let own = user_key(&app, "acme", v1["id"].as_str().unwrap(), &["read"]).await;
    for path in ["/users", "/users/me"] {
        let me = bs(&app, Method::GET, path, Some(&own), None).await;
        assert_eq!(me.status, 200, "{path}: {:?}", me.body);
        assert_eq!(&me.body, u, "{path}");
    }
}

async fn create_needs_no_field_and_names_every_invalid_one(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let key = caller(&app).await;
    let empty = bs(&app, Method::POST, "/users", Some(&key), Some(&json!({}))).await;
    assert_eq!(empty.status, 201, "{:?}", empty.body);
    for field in ["email", "first_name", "last_name", "country_id", "other_id"] {
        assert_eq!(empty.body[field], Value::Null, "{field}");
    }
    assert_eq!(empty.body["role"], "Owner");
    let (users, orgs) =
        (app.get("/v1/users").await.body["data"].as_array().unwrap().len(), organization_count(&app).await);

    let bad = json!({"email": "nope", "country_id": "XX", "first_name": 5, "last_name": ["x"], "other_id": "a\u{1}b",
                     "nickname": "J"});
    let reply = bs(&app, Method::POST, "/users", Some(&key), Some(&bad)).await;
    assert_error(&reply, 400, "/users");
    let mut named: Vec<&str> =
        reply.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    named.sort();
    assert_eq!(named, ["country_id", "email", "first_name", "last_name", "nickname", "other_id"]);
    for field in named {
        assert!(message(&reply).contains(field), "{field} is named in {:?}", message(&reply));
    }
    assert_eq!(app.get("/v1/users").await.body["data"].as_array().unwrap().len(), users, "nothing was created");
    assert_eq!(organization_count(&app).await, orgs, "no organization was created");
}

async fn taken_emails_and_other_ids_are_409_and_leave_no_organization(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let key = caller(&app).await;
    assert_eq!(bs(&app, Method::POST, "/users", Some(&key), Some(&seed_body())).await.status, 201);
    let orgs = organization_count(&app).await;
    for body in
        [json!({"email": "DANIEL@sajmx.com"}), json!({"email": "other@sajmx.com", "other_id": "sdh23yv3bobe6yob82"})]
    {
        let reply = bs(&app, Method::POST, "/users", Some(&key), Some(&body)).await;
        assert_error(&reply, 409, "/users");
    }
    assert_eq!(organization_count(&app).await, orgs, "a refused create leaves no Default Profile behind");
    // The same other_id is free in another project, and a user with it is created there.
    let beta = app.new_project("beta").await;
    let beta_user = app.send(Method::POST, "/v1/users", Some(&beta), Some(&json!({}))).await;
    let beta_key = user_key(&app, "beta", beta_user.body["id"].as_str().unwrap(), &["create"]).await;
    let there = bs(&app, Method::POST, "/users", Some(&beta_key), Some(&seed_body())).await;
    assert_eq!(there.status, 201, "{:?}", there.body);
}

async fn put_replaces_the_user_and_requires_country_email_and_first_name(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (user, key) =
        user_with_key(&app, json!({"email": "a@example.com", "middle_name": "M"}), &["read", "update"]).await;
    let id = user["id"].as_str().unwrap();
    let full = json!({"country_id": "nl", "email": "smith@cool.com", "first_name": "Smith", "last_name": "Pierre",
                      "other_id": "12a3x34"});
    let replaced = bs(&app, Method::PUT, "/users", Some(&key), Some(&full)).await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.body);
    assert_eq!((&replaced.body["country_id"], &replaced.body["other_id"]), (&json!("NL"), &json!("12a3x34")));
    // Another system's reference stays when BoltonSea replaces its own.
    let refs =
        json!({"external_refs": [{"source": "erp", "source_id": "7"}, {"source": "other_id", "source_id": "12a3x34"}]});
    assert_eq!(app.patch(&format!("/v1/users/{id}"), &refs).await.status, 200);

    let minimal = json!({"country_id": "BE", "email": "smith@cool.com", "first_name": "Smitty"});
    let replaced = bs(&app, Method::PUT, "/users/me", Some(&key), Some(&minimal)).await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.body);
    assert_eq!((&replaced.body["last_name"], &replaced.body["other_id"]), (&Value::Null, &Value::Null));
    let v1 = app.get(&format!("/v1/users/{id}")).await.body;
    assert_eq!(v1["external_refs"], json!([{"source": "erp", "source_id": "7"}]));
    assert_eq!((&v1["first_name"], &v1["country"], &v1["middle_name"]), (&json!("Smitty"), &json!("BE"), &json!("M")));

    for (body, missing) in [
        (json!({}), vec!["country_id", "email", "first_name"]),
        (json!({"country_id": null, "email": "", "first_name": "X"}), vec!["country_id", "email"]),
        (json!({"country_id": "NL", "email": 1, "first_name": "X", "extra": 1}), vec!["email", "extra"]),
    ] {
        let reply = bs(&app, Method::PUT, "/users", Some(&key), Some(&body)).await;
        assert_error(&reply, 400, "/users");
        let mut named: Vec<&str> =
            reply.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        named.sort();
        assert_eq!(named, missing, "{body}");
    }
    app.create_user(json!({"email": "taken@example.com"})).await;
    let taken = json!({"country_id": "NL", "email": "TAKEN@example.com", "first_name": "X"});
    assert_error(&bs(&app, Method::PUT, "/users/me", Some(&key), Some(&taken)).await, 409, "/users/me");
    assert_eq!(
        app.get(&format!("/v1/users/{id}")).await.body["email"],
        "smith@cool.com",
        "a refused PUT changes nothing"
    );
}

async fn delete_is_204_and_the_user_and_its_key_are_gone(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for path in ["/users", "/users/me"] {
        let (user, key) = user_with_key(&app, json!({"email": "gone@example.com"}), &["read", "delete"]).await;
        let deleted = bs(&app, Method::DELETE, path, Some(&key), None).await;
        assert_eq!((deleted.status, &deleted.body), (204, &Value::Null), "{path}");
        assert_eq!(app.get(&format!("/v1/users/{}", user["id"].as_str().unwrap())).await.status, 404);
        assert_error(&bs(&app, Method::GET, "/users", Some(&key), None).await, 401, "/users");
    }
}

async fn the_default_account_is_one_of_the_users_organizations(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let key = caller(&app).await;
    let created = bs(&app, Method::POST, "/users", Some(&key), Some(&json!({"email": "a@example.com"}))).await;
    let v1 = v1_user(&app, &created.body["id"]).await;
    let own = user_key(&app, "acme", v1["id"].as_str().unwrap(), &["read", "update"]).await;
    let team = app.post("/v1/organizations", &json!({"name": "Team"})).await.body;
    let member = app
        .send(
            Method::PUT,
            &format!("/v1/organizations/{}/members/{}", team["id"].as_str().unwrap(), v1["id"].as_str().unwrap()),
            Some(&app.key),
            Some(&json!({"role": "Developer"})),
        )
        .await;
    assert_eq!(member.status, 200, "{:?}", member.body);

    let moved = bs(
        &app,
        Method::PUT,
        "/users/default_account",
        Some(&own),
        Some(&json!({"organization_id": team["numeric_id"]})),
    )
    .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!(moved.body["default_account"], json!({"id": team["numeric_id"], "organization_name": "Team"}));
    assert_eq!(moved.body["role"], "Developer");
    assert_eq!(bs(&app, Method::GET, "/users/me", Some(&own), None).await.body, moved.body);

    let outsider = app.post("/v1/organizations", &json!({"name": "Elsewhere"})).await.body;
    let beta = app.new_project("beta").await;
    let beta_org = app.send(Method::POST, "/v1/organizations", Some(&beta), Some(&json!({"name": "B"}))).await.body;
    let path = "/users/default_account";
    for (body, status) in [
        (json!({}), 400),
        (json!({"organization_id": null}), 400),
        (json!({"organization_id": "113"}), 400),
        (json!({"organization_id": 1.5}), 400),
        (json!({"organization_id": team["numeric_id"], "name": "x"}), 400),
        (json!({"organization_id": 987654321}), 404),
        (json!({"organization_id": beta_org["numeric_id"]}), 404),
        (json!({"organization_id": outsider["numeric_id"]}), 403),
    ] {
        let reply = bs(&app, Method::PUT, path, Some(&own), Some(&body)).await;
        assert_error(&reply, status, path);
    }
    assert_eq!(
        bs(&app, Method::GET, "/users", Some(&own), None).await.body["default_account"]["id"],
        team["numeric_id"]
    );
}

async fn users_are_found_by_email_in_the_keys_project_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let key = caller(&app).await;
    let created = bs(&app, Method::POST, "/users", Some(&key), Some(&seed_body())).await.body;
    let found = bs(&app, Method::GET, "/users/email/DANIEL%40SajMX.com", Some(&key), None).await;
    assert_eq!(found.status, 200, "{:?}", found.body);
    assert_eq!(found.body, created);
    assert_eq!(bs(&app, Method::GET, "/users/email/daniel@sajmx.com", Some(&key), None).await.body, created);
    assert_error(
        &bs(&app, Method::GET, "/users/email/x%40y.com", Some(&key), None).await,
        404,
        "/users/email/x%40y.com",
    );
    assert_error(
        &bs(&app, Method::GET, "/users/email/not-an-email", Some(&key), None).await,
        400,
        "/users/email/not-an-email",
    );

    // Project beta has its own user with that email; acme's key never sees it, nor beta's users.
    let beta = app.new_project("beta").await;
    let beta_user = app.send(Method::POST, "/v1/users", Some(&beta), Some(&json!({"email": "only@beta.com"}))).await;
    let beta_key = user_key(&app, "beta", beta_user.body["id"].as_str().unwrap(), &["manage"]).await;
    let theirs = bs(&app, Method::POST, "/users", Some(&beta_key), Some(&seed_body())).await.body;
    assert_ne!(theirs["id"], created["id"]);
    assert_eq!(bs(&app, Method::GET, "/users/email/daniel%40sajmx.com", Some(&beta_key), None).await.body, theirs);
    assert_eq!(bs(&app, Method::GET, "/users/email/daniel%40sajmx.com", Some(&key), None).await.body, created);
    assert_error(
        &bs(&app, Method::GET, "/users/email/only%40beta.com", Some(&key), None).await,
        404,
        "/users/email/only%40beta.com",
    );
}

async fn bad_bodies_routes_and_methods_answer_in_the_spring_shape(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let key = caller(&app).await;
    let raw = |body: Vec<u8>, content_type: &'static str| {
        app.http
            .post(format!("{}/boltonsea/users", app.base))
            .header("X-API-KEY", &key)
            .header("content-type", content_type)
            .body(body)
    };
    for (body, content_type, status) in [
        (b"{\"email\":".to_vec(), "application/json", 400),
        (b"[1, 2]".to_vec(), "application/json", 400),
        (b"\"x\"".to_vec(), "application/json", 400),
        (format!("{{\"first_name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024)).into_bytes(), "application/json", 400),
        (b"{}".to_vec(), "text/plain", 415),
    ] {
        assert_error(&TestApp::read(raw(body, content_type)).await, status, "/users");
    }
    assert_error(&bs(&app, Method::GET, "/nope", Some(&key), None).await, 404, "/nope");
    assert_error(&bs(&app, Method::GET, "/users/123", Some(&key), None).await, 404, "/users/123");
    assert_error(&bs(&app, Method::PATCH, "/users", Some(&key), None).await, 405, "/users");
    assert_error(&bs(&app, Method::POST, "/users/me", Some(&key), Some(&json!({}))).await, 405, "/users/me");
    assert_error(
        &bs(&app, Method::GET, "/users/default_account", Some(&key), None).await,
        405,
        "/users/default_account",
    );
    assert_eq!(app.get("/v1/users").await.body["data"].as_array().unwrap().len(), 1, "nothing was created");
}

/// A user created through BoltonSea is the same user through v1 (with its Default Profile organization and
/// membership), Gigs and BuiltOn.
async fn a_user_created_here_is_the_same_user_on_every_surface(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let key = caller(&app).await;
    let created = bs(&app, Method::POST, "/users", Some(&key), Some(&seed_body())).await.body;
    let v1 = v1_user(&app, &created["id"]).await;
    assert_eq!(
        (&v1["email"], &v1["first_name"], &v1["last_name"], &v1["country"]),
        (&json!("daniel@sajmx.com"), &json!("Jamie"), &json!("Jackson"), &json!("CA"))
    );
    assert_eq!(v1["external_refs"], json!([{"source": "other_id", "source_id": "sdh23yv3bobe6yob82"}]));
    let id = v1["id"].as_str().unwrap();
    let orgs = app.get(&format!("/v1/users/{id}/organizations")).await;
    assert_eq!(orgs.status, 200, "{:?}", orgs.body);
    let memberships = orgs.body["data"].as_array().unwrap();
    assert_eq!(memberships.len(), 1, "{memberships:?}");
    let m = &memberships[0];
    assert_eq!(
        (&m["organization_name"], &m["role"], &m["is_default"]),
        (&json!("Default Profile"), &json!("Owner"), &json!(true))
    );
    let org = app.get(&format!("/v1/organizations/{}", m["organization_id"].as_str().unwrap())).await.body;
    assert_eq!(org["numeric_id"], created["default_account"]["id"]);
    let members = app.get(&format!("/v1/organizations/{}/members", org["id"].as_str().unwrap())).await.body;
    assert_eq!(members["data"][0]["user_id"], v1["id"]);

    let gigs = app.get(&format!("/gigs/projects/acme/users/{id}")).await;
    assert_eq!((&gigs.body["email"], &gigs.body["fullName"]), (&json!("daniel@sajmx.com"), &json!("Jamie Jackson")));

    let pk = app.new_key("acme", userbase_core::api_key::KeyKind::Publishable).await;
    let builton = TestApp::read(
        app.http
            .get(format!("{}/builton/users/{}", app.base, v1["object_id"].as_str().unwrap()))
            .bearer_auth(&app.key)
            .header("X-Builton-Api-Key", &pk),
    )
    .await;
    assert_eq!(builton.status, 200, "{:?}", builton.body);
    assert_eq!(
        (&builton.body["email"], &builton.body["first_name"], &builton.body["last_name"]),
        (&json!("daniel@sajmx.com"), &json!("Jamie"), &json!("Jackson"))
    );
}

/// Propeller finds a BoltonSea user by its integer id (the same `id`) and by its `other_id` as a lookup key.
async fn a_user_created_here_is_visible_through_propeller(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let key = caller(&app).await;
    let created = bs(&app, Method::POST, "/users", Some(&key), Some(&seed_body())).await.body;
    let by_id = crate::propeller_support::prop(
        &app,
        Method::GET,
        &format!("/users/id/{}?expands=sources", created["id"]),
        None,
    )
    .await;
    assert_eq!(by_id.status, 200, "{:?}", by_id.body);
    let u = &by_id.body["data"];
    assert_eq!(u["id"], created["id"]);
    assert_eq!(
        (&u["email"], &u["firstName"], &u["lastName"]),
        (&json!("daniel@sajmx.com"), &json!("Jamie"), &json!("Jackson"))
    );
    assert_eq!(u["sources"], json!([{"source": "other_id", "sourceId": "sdh23yv3bobe6yob82"}]));
    let by_ref =
        crate::propeller_support::prop(&app, Method::GET, "/users/sourceId/sdh23yv3bobe6yob82?source=other_id", None)
            .await;
    assert_eq!(by_ref.status, 200, "{:?}", by_ref.body);
    assert_eq!(by_ref.body["data"]["id"], created["id"]);
}

backend_tests!(
    create_returns_the_user_with_its_default_profile_and_a_key_of_it_reads_it,
    create_needs_no_field_and_names_every_invalid_one,
    taken_emails_and_other_ids_are_409_and_leave_no_organization,
    put_replaces_the_user_and_requires_country_email_and_first_name,
    delete_is_204_and_the_user_and_its_key_are_gone,
    the_default_account_is_one_of_the_users_organizations,
    users_are_found_by_email_in_the_keys_project_only,
    bad_bodies_routes_and_methods_answer_in_the_spring_shape,
    a_user_created_here_is_the_same_user_on_every_surface,
    a_user_created_here_is_visible_through_propeller,
);
