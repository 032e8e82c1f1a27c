//! End-user JWTs verified against a JWKS URL served by a local issuer on 127.0.0.1: key rotation, stored
//! keys beside a URL, and one project's slow issuer never holding up another project.

use std::sync::{Arc, Mutex};

use axum::routing::get;
use reqwest::Method;
use serde_json::json;
use tokio::sync::Notify;
use userbase_core::api_key::KeyKind;
use userbase_testing::{backend_tests, Backend};

use crate::auth_support::{claims, configure_jwt, fixture, me, rs256};
use crate::support::TestApp;

/// A local issuer serving whatever `doc` holds at `/jwks.json`; answers wait for `gate` when given.
struct Issuer {
    url: String,
    doc: Arc<Mutex<String>>,
    server: tokio::task::JoinHandle<()>,
}

impl Issuer {
    async fn start(doc: String, gate: Option<(Arc<Notify>, Arc<Notify>)>) -> Self {
        let doc = Arc::new(Mutex::new(doc));
        let served = doc.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let router = axum::Router::new().route(
            "/jwks.json",
            get(move || {
                let (served, gate) = (served.clone(), gate.clone());
                async move {
                    if let Some((asked, release)) = gate {
                        asked.notify_one();
                        release.notified().await;
                    }
                    served.lock().unwrap().clone()
                }
            }),
        );
        let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, doc, server }
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn a_jwks_url_is_fetched_and_refreshed_on_key_rotation(backend: Backend) {
    let Some(app) = TestApp::spawn_allowing_loopback(backend).await else { return };
    let issuer = Issuer::start(fixture("jwks1.json"), None).await;
    configure_jwt(&app, &app.key, json!({ "jwks_url": issuer.url })).await;
    app.create_user(json!({"auth_subject": "sub-1"})).await;
    let pk = app.new_key("acme", KeyKind::Publishable).await;
    let first = rs256("rsa1.pem", Some("rsa-1"), &claims("sub-1"));
    assert_eq!(me(&app, Method::GET, &first, Some(&pk), None).await.status, 200);
    // The issuer rotates to a new key; a token naming it makes the server fetch the set again (refetches
    // are spaced at least a second apart, so wait that out).
    *issuer.doc.lock().unwrap() = fixture("jwks2.json");
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let rotated = rs256("rsa2.pem", Some("rsa-2"), &claims("sub-1"));
    assert_eq!(me(&app, Method::GET, &rotated, Some(&pk), None).await.status, 200);
    let retired = rs256("rsa1.pem", Some("rsa-1"), &claims("sub-1"));
    assert_eq!(me(&app, Method::GET, &retired, Some(&pk), None).await.status, 401, "the retired key is gone");
}

async fn a_jwks_url_is_still_consulted_when_pem_keys_are_configured_too(backend: Backend) {
    let Some(app) = TestApp::spawn_allowing_loopback(backend).await else { return };
    let issuer = Issuer::start(fixture("jwks2.json"), None).await;
    configure_jwt(&app, &app.key, json!({ "public_keys_pem": [fixture("rsa1.pub.pem")], "jwks_url": issuer.url }))
        .await;
    app.create_user(json!({"auth_subject": "sub-1"})).await;
    let pk = app.new_key("acme", KeyKind::Publishable).await;
    for (token, what) in [
        (rs256("rsa1.pem", Some("rsa-1"), &claims("sub-1")), "the PEM key"),
        (rs256("rsa2.pem", Some("rsa-2"), &claims("sub-1")), "the key published at the URL"),
    ] {
        assert_eq!(me(&app, Method::GET, &token, Some(&pk), None).await.status, 200, "{what}");
    }
}

async fn a_slow_issuer_of_one_project_does_not_hold_up_another(backend: Backend) {
    let Some(app) = TestApp::spawn_allowing_loopback(backend).await else { return };
    let (asked, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let slow = Issuer::start(fixture("jwks1.json"), Some((asked.clone(), release.clone()))).await;
    let fast = Issuer::start(fixture("jwks1.json"), None).await;
    configure_jwt(&app, &app.key, json!({ "jwks_url": slow.url })).await;
    app.create_user(json!({"auth_subject": "sub-1"})).await;
    let acme_pk = app.new_key("acme", KeyKind::Publishable).await;
    let globex = app.new_project("globex").await;
    configure_jwt(&app, &globex, json!({ "jwks_url": fast.url })).await;
    let created = app.send(Method::POST, "/v1/users", Some(&globex), Some(&json!({"auth_subject": "sub-1"}))).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let globex_pk = app.new_key("globex", KeyKind::Publishable).await;
    let token = rs256("rsa1.pem", Some("rsa-1"), &claims("sub-1"));

    let waiting = {
        let (base, http, token, pk) = (app.base.clone(), app.http.clone(), token.clone(), acme_pk.clone());
        tokio::spawn(async move {
            let req = http.get(format!("{base}/v1/me")).bearer_auth(token).header("x-userbase-publishable-key", pk);
            req.send().await.unwrap().status().as_u16()
        })
    };
    asked.notified().await;
    // acme's issuer is now mid-answer; globex must not queue behind it. Were it to, acme's fetch would
    // time out before the issuer is released below, and acme's login would fail.
    assert_eq!(me(&app, Method::GET, &token, Some(&globex_pk), None).await.status, 200);
    release.notify_one();
    assert_eq!(waiting.await.unwrap(), 200, "acme's login completes once its issuer answers");
}

async fn an_unreachable_or_garbled_jwks_url_refuses_tokens_with_401(backend: Backend) {
    let Some(app) = TestApp::spawn_allowing_loopback(backend).await else { return };
    let closed = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}/jwks.json", listener.local_addr().unwrap())
    };
    let garbage = Issuer::start("not a key set".to_owned(), None).await;
    // The real key set, padded past the 1 MiB bound: it would verify the token were the bound not kept.
    let mut padded: serde_json::Value = serde_json::from_str(&fixture("jwks1.json")).unwrap();
    padded["pad"] = json!("x".repeat(2 << 20));
    let huge = Issuer::start(padded.to_string(), None).await;
    app.create_user(json!({"auth_subject": "sub-1"})).await;
    let pk = app.new_key("acme", KeyKind::Publishable).await;
    let token = rs256("rsa1.pem", Some("rsa-1"), &claims("sub-1"));
    for url in [closed, garbage.url.clone(), huge.url.clone()] {
        configure_jwt(&app, &app.key, json!({ "jwks_url": url })).await;
        let reply = me(&app, Method::GET, &token, Some(&pk), None).await;
        assert_eq!((reply.status, reply.body["code"].as_str()), (401, Some("invalid_credentials")), "{url}");
    }
}

backend_tests!(
    a_jwks_url_is_fetched_and_refreshed_on_key_rotation,
    a_jwks_url_is_still_consulted_when_pem_keys_are_configured_too,
    a_slow_issuer_of_one_project_does_not_hold_up_another,
    an_unreachable_or_garbled_jwks_url_refuses_tokens_with_401,
);
