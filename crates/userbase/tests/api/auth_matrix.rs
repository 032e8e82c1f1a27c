//! Every credential kind against every surface that exists, across two projects: who may call what, and
//! that no credential ever reaches another project's data.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_core::api_key::KeyKind;
use userbase_testing::{backend_tests, Backend};

use crate::auth_support::{claims, configure_jwt, hs256, user_key, HS_SECRET};
use crate::support::{ids, Reply, TestApp};

async fn oauth_token(app: &TestApp, secret: &str) -> String {
    let id = format!("key_{}", secret.split('_').nth(2).unwrap());
    let form = [("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", secret)];
    let reply = TestApp::read(app.http.post(format!("{}/propeller/oauth2/token", app.base)).form(&form)).await;
    reply.body["access_token"].as_str().unwrap().to_owned()
}

async fn call(app: &TestApp, path: &str, bearer: &str, publishable: Option<&str>) -> Reply {
    let mut req = app.http.request(Method::GET, format!("{}{path}", app.base)).bearer_auth(bearer);
    if let Some(pk) = publishable {
        req = req.header("x-userbase-publishable-key", pk);
    }
    TestApp::read(req).await
}

async fn each_credential_kind_reaches_only_its_own_surfaces_and_project(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    configure_jwt(&app, &app.key, json!({"hs256_secret": HS_SECRET})).await;
    let acme_user = app.create_user(json!({"email": "a@example.com", "auth_subject": "sub-1"})).await;
    let acme_id = acme_user["id"].as_str().unwrap().to_owned();
    let acme_pk = app.new_key("acme", KeyKind::Publishable).await;
    let globex = app.new_project("globex").await;
    let globex_user =
        app.send(Method::POST, "/v1/users", Some(&globex), Some(&json!({"email": "g@example.com"}))).await.body;

    let credentials: Vec<(&str, String, Option<String>, Option<&Value>)> = vec![
        ("acme secret key", app.key.clone(), None, None),
        ("acme OAuth token", oauth_token(&app, &app.key).await, None, None),
        ("acme publishable key", acme_pk.clone(), None, None),
        ("acme user key", user_key(&app, "acme", &acme_id, &["manage"]).await, None, Some(&acme_user)),
        ("acme end-user JWT", hs256(&claims("sub-1")), Some(acme_pk.clone()), Some(&acme_user)),
        ("globex secret key", globex.clone(), None, None),
        (
            "globex user key",
            user_key(&app, "globex", globex_user["id"].as_str().unwrap(), &["manage"]).await,
            None,
            Some(&globex_user),
        ),
    ];
    let acme_user_path = format!("/v1/users/{acme_id}");
    let paths = [
        "/v1/users",
        &acme_user_path,
        "/v1/project",
        "/gigs/projects/acme/users",
        "/gigs/projects/globex/users",
        "/v1/me",
    ];
    let expected: [[u16; 6]; 7] = [
        [200, 200, 200, 200, 403, 403],
        [200, 200, 200, 200, 403, 403],
        [403, 403, 403, 403, 403, 403],
        [403, 403, 403, 403, 403, 200],
        [401, 401, 401, 401, 401, 200],
        [200, 404, 200, 403, 200, 403],
        [403, 403, 403, 403, 403, 200],
    ];
    for ((name, bearer, publishable, me), want) in credentials.iter().zip(expected) {
        for (path, want) in paths.iter().zip(want) {
            let reply = call(&app, path, bearer, publishable.as_deref()).await;
            assert_eq!(reply.status, want, "{name} on {path}: {:?}", reply.body);
            if *path == "/v1/me" && want == 200 {
                assert_eq!(reply.body["id"], me.unwrap()["id"], "{name} acts as its own user");
            }
        }
    }
    let globex_list = call(&app, "/v1/users", &globex, None).await;
    assert_eq!(ids(&globex_list.body), [globex_user["id"].as_str().unwrap()], "globex sees only its own user");
    let globex_project = call(&app, "/v1/project", &globex, None).await;
    assert_eq!(globex_project.body["id"], "globex");

    let metrics = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    for reason in ["not_a_secret_key", "not_an_end_user_credential", "invalid_key"] {
        assert!(metrics.contains(&format!("userbase_auth_failures_total{{reason=\"{reason}\"}}")), "{reason}");
    }
}

backend_tests!(each_credential_kind_reaches_only_its_own_surfaces_and_project);
