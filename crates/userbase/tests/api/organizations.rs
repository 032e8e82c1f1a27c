//! `/v1/organizations`, memberships and default organizations.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::support::TestApp;

async fn org(app: &TestApp, body: Value) -> Value {
    let reply = app.post("/v1/organizations", &body).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply.body
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

async fn organizations_are_created_nested_changed_listed_and_deleted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let root = org(
        &app,
        json!({"name": "Acme", "external_ref": {"source": "erp", "source_id": "A1"}, "metadata": {"tier": "gold"}}),
    )
    .await;
    assert!(id(&root).starts_with("org_"));
    assert_eq!(root["parent_id"], Value::Null);
    let child = org(&app, json!({"name": "Acme EU", "parent_id": id(&root)})).await;
    assert_eq!(child["parent_id"], root["id"]);
    let grandchild = org(&app, json!({"name": "Acme NL", "parent_id": id(&child)})).await;

    let cycle = app.patch(&format!("/v1/organizations/{}", id(&root)), &json!({"parent_id": id(&grandchild)})).await;
    assert_eq!(cycle.status, 422, "{:?}", cycle.body);
    let own = app.patch(&format!("/v1/organizations/{}", id(&root)), &json!({"parent_id": id(&root)})).await;
    assert_eq!(own.status, 422);
    let patched = app
        .patch(
            &format!("/v1/organizations/{}", id(&root)),
            &json!({"plan": "free", "metadata": {"tier": null, "x": "1"}}),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!((patched.body["plan"].as_str(), patched.body["metadata"].clone()), (Some("free"), json!({"x": "1"})));
    assert_eq!(patched.body["name"], "Acme");

    let dup = app
        .post("/v1/organizations", &json!({"name": "Other", "external_ref": {"source": "erp", "source_id": "A1"}}))
        .await;
    assert_eq!(dup.status, 409);
    for bad in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "x", "parent_id": "org_0000000000000000000000000000"}),
        json!({"name": "x", "parent_id": "nope"}),
    ] {
        assert_eq!(app.post("/v1/organizations", &bad).await.status, 422, "{bad}");
    }

    let first = app.get("/v1/organizations?limit=2").await;
    assert_eq!(first.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(first.body["data"][0]["id"], grandchild["id"], "newest first");
    let next = first.body["next_cursor"].as_str().unwrap();
    let second = app.get(&format!("/v1/organizations?limit=2&cursor={next}")).await;
    assert_eq!(second.body["data"][0]["id"], root["id"]);
    assert_eq!(second.body["has_more"], false);

    assert_eq!(app.delete(&format!("/v1/organizations/{}", id(&child))).await.status, 200);
    assert_eq!(app.get(&format!("/v1/organizations/{}", id(&child))).await.status, 404);
    let orphan = app.get(&format!("/v1/organizations/{}", id(&grandchild))).await;
    assert_eq!(orphan.body["parent_id"], Value::Null, "children lose their deleted parent");
}

async fn members_roles_and_default_organizations(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let app = &app;
    let acme = org(app, json!({"name": "Acme"})).await;
    let other = org(app, json!({"name": "Other"})).await;
    let ann = app.create_user(json!({"email": "ann@example.com"})).await;
    let bob = app.create_user(json!({"email": "bob@example.com"})).await;
    let members = format!("/v1/organizations/{}/members", id(&acme));
    let put = |user: &Value, role: Option<&str>| {
        let body = match role {
            Some(r) => json!({ "role": r }),
            None => json!({}),
        };
        let path = format!("{members}/{}", id(user));
        async move { app.send(Method::PUT, &path, Some(&app.key), Some(&body)).await }
    };
    let added = put(&ann, Some("Owner")).await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    assert_eq!((added.body["role"].as_str(), added.body["user_id"].clone()), (Some("Owner"), ann["id"].clone()));
    assert_eq!(put(&bob, None).await.body["role"], "member");
    assert_eq!(put(&bob, Some("Viewer")).await.body["role"], "Viewer", "a second put changes the role");
    let listed = app.get(&members).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);

    let default = |user: &Value, org: Value| {
        let path = format!("/v1/users/{}/default_organization", id(user));
        async move { app.send(Method::PUT, &path, Some(&app.key), Some(&json!({ "organization_id": org }))).await }
    };
    let not_member = default(&ann, other["id"].clone()).await;
    assert_eq!(not_member.status, 422);
    let set = default(&ann, acme["id"].clone()).await;
    assert_eq!(set.status, 200);
    assert_eq!(set.body["default_organization_id"], acme["numeric_id"]);
    let mine = app.get(&format!("/v1/users/{}/organizations", id(&ann))).await;
    assert_eq!(mine.body["data"][0]["is_default"], true);
    assert_eq!(mine.body["data"][0]["organization_name"], "Acme");

    let bob_path = format!("{members}/{}", id(&bob));
    assert_eq!(app.delete(&bob_path).await.status, 204);
    assert_eq!(app.delete(&bob_path).await.status, 404);
    assert_eq!(
        app.send(Method::PUT, &format!("{members}/usr_0000000000000000000000000000"), Some(&app.key), Some(&json!({})))
            .await
            .status,
        404
    );
    assert_eq!(
        app.send(Method::PUT, &format!("{members}/{}", id(&bob)), Some(&app.key), Some(&json!({"role": ""})))
            .await
            .status,
        422
    );

    assert_eq!(app.delete(&format!("/v1/organizations/{}", id(&acme))).await.status, 200);
    let after = app.get(&format!("/v1/users/{}", id(&ann))).await;
    assert_eq!(after.body["default_organization_id"], Value::Null, "the default goes with the organization");
    assert!(app.get(&format!("/v1/users/{}/organizations", id(&ann))).await.body["data"]
        .as_array()
        .unwrap()
        .is_empty());
}

async fn organizations_stay_in_their_project(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let acme = org(&app, json!({"name": "Acme"})).await;
    let ann = app.create_user(json!({})).await;
    let other = app.new_project("globex").await;
    let k = Some(other.as_str());
    assert_eq!(app.send(Method::GET, &format!("/v1/organizations/{}", id(&acme)), k, None).await.status, 404);
    assert_eq!(app.send(Method::DELETE, &format!("/v1/organizations/{}", id(&acme)), k, None).await.status, 404);
    assert!(app.send(Method::GET, "/v1/organizations", k, None).await.body["data"].as_array().unwrap().is_empty());
    let theirs = app.send(Method::POST, "/v1/organizations", k, Some(&json!({"name": "Globex"}))).await.body;
    let cross = format!("/v1/organizations/{}/members/{}", id(&theirs), id(&ann));
    assert_eq!(
        app.send(Method::PUT, &cross, k, Some(&json!({}))).await.status,
        404,
        "acme's user is unknown to globex"
    );
    let parent_elsewhere =
        app.send(Method::POST, "/v1/organizations", k, Some(&json!({"name": "X", "parent_id": id(&acme)}))).await;
    assert_eq!(parent_elsewhere.status, 422);
}

backend_tests!(
    organizations_are_created_nested_changed_listed_and_deleted,
    members_roles_and_default_organizations,
    organizations_stay_in_their_project,
);
