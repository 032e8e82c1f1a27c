//! The outbound-address policy: project settings naming loopback, unspecified or other internal addresses are
//! refused when written (422 `outbound_address_refused` naming the field), and a stored setting naming one is
//! never fetched (JWKS: the token is refused; geocoder: the address is stored without a position), redirects
//! included. Every fake listens on 127.0.0.0/8; nothing here sends traffic anywhere else.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use reqwest::Method;
use serde_json::{json, Value};
use userbase_api::outbound::OutboundPolicy;
use userbase_api::ServerSettings;
use userbase_core::api_key::KeyKind;
use userbase_core::ids::ProjectId;
use userbase_testing::{backend_tests, Backend};

use crate::auth_support::{claims, fixture, me, rs256};
use crate::builton_support::{oid, As, Builton};
use crate::support::TestApp;

/// What a fake answers to every request.
#[derive(Clone)]
pub(crate) enum Answer {
    Body(String),
    RedirectTo(String),
}

/// A fake provider answering every path, counting the requests that reach it.
pub(crate) struct Fake {
    /// `http://host:port`.
    base: String,
    pub(crate) port: u16,
    hits: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Fake {
    /// `None` when `ip` cannot be bound here (an address this host lacks).
    pub(crate) async fn start(ip: &str, answer: Answer) -> Option<Self> {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.ok()?;
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let router = axum::Router::new().fallback(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            async move {
                match answer {
                    Answer::Body(body) => {
                        (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
                    }
                    Answer::RedirectTo(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
                }
            }
        });
        let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let base = match addr {
            std::net::SocketAddr::V6(a) => format!("http://[{}]:{}", a.ip(), a.port()),
            std::net::SocketAddr::V4(a) => format!("http://{a}"),
        };
        Some(Self { base, port: addr.port(), hits, server })
    }

    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A Nominatim answer with a position.
fn place() -> String {
    json!([{"place_id": 1, "lat": "59.911", "lon": "10.7528", "display_name": "Oslo S"}]).to_string()
}

/// Writes settings straight to the store, past the check on writes: as a setting stored before the policy
/// existed, or under an operator's allow list that has since been narrowed.
async fn store_settings(app: &TestApp, change: impl FnOnce(&mut userbase_core::project::ProjectSettings)) {
    let id = ProjectId::parse("acme").unwrap();
    let mut project = app.state.store.get_project(&id).await.unwrap().unwrap();
    change(&mut project.settings);
    app.state.store.update_project(&project).await.unwrap();
    app.state.keys.forget_project(&id);
}

async fn settings_naming_internal_addresses_are_refused_when_written(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let fake = Fake::start("127.0.0.1", Answer::Body(fixture("jwks1.json"))).await.unwrap();
    let before = app.get("/v1/project").await.body;
    for host in ["127.0.0.1", "[::1]", "localhost", "0.0.0.0", "169.254.169.254", "[::ffff:10.0.0.1]", "[fd00::1]"] {
        let url = format!("http://{host}:{}/x", fake.port);
        for (body, field) in
            [(json!({"geocoder_url": url}), "geocoder_url"), (json!({"jwt": {"jwks_url": url}}), "jwt.jwks_url")]
        {
            let reply = app.patch("/v1/project", &body).await;
            assert_eq!((reply.status, reply.code()), (422, "outbound_address_refused"), "{url}: {:?}", reply.body);
            let error = &reply.body["errors"][0];
            assert_eq!(
                (error["field"].as_str(), error["code"].as_str()),
                (Some(field), Some("outbound_address_refused"))
            );
            assert!(error["message"].as_str().unwrap().contains("--outbound-allow"), "{error}");
        }
    }
    let named = app.patch("/v1/project", &json!({"geocoder_url": format!("http://localhost:{}", fake.port)})).await;
    assert!(named.body["errors"][0]["message"].as_str().unwrap().contains("localhost resolves to 127.0.0.1"));
    // Both at once: both named.
    let both = app
        .patch("/v1/project", &json!({"geocoder_url": "http://10.0.0.1", "jwt": {"jwks_url": "http://192.168.1.1/k"}}))
        .await;
    let fields: Vec<&str> =
        both.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!((both.status, fields), (422, vec!["jwt.jwks_url", "geocoder_url"]));
    assert_eq!(app.get("/v1/project").await.body, before, "a refused write changes nothing");
    assert_eq!(fake.hits(), 0, "checking a setting sends no request");

    // Public addresses are accepted (nothing is sent to them when the setting is written).
    let public = app
        .patch(
            "/v1/project",
            &json!({"geocoder_url": "https://93.184.216.34/nominatim", "jwt": {"jwks_url": "https://[2606:4700::1]/k"}}),
        )
        .await;
    assert_eq!(public.status, 200, "{:?}", public.body);
}

async fn an_allowed_address_is_accepted_and_only_that_one(backend: Backend) {
    let Some(app) = TestApp::spawn_allowing_loopback(backend).await else { return };
    let ok = app.patch("/v1/project", &json!({"geocoder_url": "http://127.0.0.1:9/nominatim"})).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    for url in ["http://[::1]:9", "http://127.0.0.2:9", "http://0.0.0.0:9"] {
        let reply = app.patch("/v1/project", &json!({"geocoder_url": url})).await;
        assert_eq!((reply.status, reply.code()), (422, "outbound_address_refused"), "{url}");
    }
    // A change that leaves the URL as it is does not check it again.
    assert_eq!(app.patch("/v1/project", &json!({"name": "Acme"})).await.status, 200);
}

async fn a_stored_jwks_url_naming_an_internal_address_is_never_fetched(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let fake = Fake::start("127.0.0.1", Answer::Body(fixture("jwks1.json"))).await.unwrap();
    let fake6 = Fake::start("::1", Answer::Body(fixture("jwks1.json"))).await;
    app.create_user(json!({"auth_subject": "sub-1"})).await;
    let pk = app.new_key("acme", KeyKind::Publishable).await;
    let token = rs256("rsa1.pem", Some("rsa-1"), &claims("sub-1"));
    let mut urls: Vec<String> = ["127.0.0.1", "localhost", "0.0.0.0"]
        .iter()
        .map(|host| format!("http://{host}:{}/jwks.json", fake.port))
        .collect();
    urls.extend(fake6.as_ref().map(|f| format!("{}/jwks.json", f.base)));
    for url in urls {
        store_settings(&app, |s| s.jwt.jwks_url = Some(url.clone())).await;
        let reply = me(&app, Method::GET, &token, Some(&pk), None).await;
        assert_eq!((reply.status, reply.body["code"].as_str()), (401, Some("invalid_credentials")), "{url}");
    }
    assert_eq!(fake.hits(), 0, "no request reached the issuer");
    assert_eq!(fake6.map_or(0, |f| f.hits()), 0);

    // The same stored URL, on a server whose operator allows the address: fetched, and the token verifies.
    let allowed = app.sibling(TestApp::allowing_loopback()).await;
    let url = format!("http://127.0.0.1:{}/jwks.json", fake.port);
    store_settings(&app, |s| s.jwt.jwks_url = Some(url)).await;
    let req =
        app.http.get(format!("{}/v1/me", allowed.base)).bearer_auth(&token).header("x-userbase-publishable-key", &pk);
    assert_eq!(TestApp::read(req).await.status, 200);
    assert_eq!(fake.hits(), 1);
}

async fn a_redirect_to_a_refused_address_is_not_followed(backend: Backend) {
    let Some(app) = TestApp::spawn_allowing_loopback(backend).await else { return };
    // 127.0.0.2 is loopback too, but only 127.0.0.1 is allowed.
    let Some(target) = Fake::start("127.0.0.2", Answer::Body(fixture("jwks1.json"))).await else {
        eprintln!("skipped: 127.0.0.2 cannot be bound here");
        return;
    };
    let redirect = Fake::start("127.0.0.1", Answer::RedirectTo(format!("{}/jwks.json", target.base))).await.unwrap();
    let set = app.patch("/v1/project", &json!({"jwt": {"jwks_url": format!("{}/jwks.json", redirect.base)}})).await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    app.create_user(json!({"auth_subject": "sub-1"})).await;
    let pk = app.new_key("acme", KeyKind::Publishable).await;
    let token = rs256("rsa1.pem", Some("rsa-1"), &claims("sub-1"));
    assert_eq!(me(&app, Method::GET, &token, Some(&pk), None).await.status, 401);
    assert_eq!((redirect.hits(), target.hits()), (1, 0), "the redirect was not followed");

    // Where the operator allows the target too, the redirect is followed.
    let outbound = OutboundPolicy::allowing(["127.0.0.0/8"]).unwrap();
    let wider = app.sibling(ServerSettings { outbound: Arc::new(outbound), ..ServerSettings::default() }).await;
    let req =
        app.http.get(format!("{}/v1/me", wider.base)).bearer_auth(&token).header("x-userbase-publishable-key", &pk);
    assert_eq!(TestApp::read(req).await.status, 200);
    assert_eq!(target.hits(), 1);
}

async fn a_stored_geocoder_naming_an_internal_address_is_never_asked(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let fake = Fake::start("127.0.0.1", Answer::Body(place())).await.unwrap();
    let user = b.admin_create(json!({})).await;
    let path = format!("/users/{}/addresses", oid(&user));
    let oslo = json!({"street_name": "Jernbanetorget 1", "zip_code": "0154", "city": "Oslo", "country": "Norway"});
    for host in ["127.0.0.1", "localhost", "0.0.0.0"] {
        let url = format!("http://{host}:{}/nominatim", fake.port);
        store_settings(&b.app, |s| s.geocoder_url = Some(url.clone())).await;
        let reply = b.call(Method::PUT, &path, As::Admin, Some(&json!([oslo]))).await;
        assert_eq!(reply.status, 200, "{url}: the write succeeds: {:?}", reply.body);
        assert_eq!(reply.body["addresses"][0].get("geo"), None::<&Value>, "{url}: no position");
    }
    assert_eq!(fake.hits(), 0, "no request reached the geocoder");
}

backend_tests!(
    settings_naming_internal_addresses_are_refused_when_written,
    an_allowed_address_is_accepted_and_only_that_one,
    a_stored_jwks_url_naming_an_internal_address_is_never_fetched,
    a_redirect_to_a_refused_address_is_not_followed,
    a_stored_geocoder_naming_an_internal_address_is_never_asked,
);
