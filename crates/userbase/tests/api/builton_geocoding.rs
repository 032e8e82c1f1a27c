//! BuiltOn geocoding against a fake Nominatim on 127.0.0.1: none unless the project sets `geocoder_url`
//! (and then no request at all), coordinates stored and shown when it finds the place, never asked when
//! the client sent coordinates, and a down, slow or nonsensical provider never failing the write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::builton_support::{oid, As, Builton};

/// How the fake provider answers `/search`.
#[derive(Clone, Copy)]
enum Mode {
    /// Oslo Central Station, in Nominatim's `jsonv2` shape.
    Finds,
    /// Longer than the geocoder's 2 s bound.
    Slow,
    /// 200 with HTML.
    Garbage,
    /// 200 with a result that has no coordinates.
    NoCoordinates,
    /// A 500.
    Fails,
}

/// A fake Nominatim that keeps the `q` of every request it gets.
struct FakeNominatim {
    url: String,
    asked: Arc<Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeNominatim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn found_place() -> Value {
    json!({"place_id": 307_543_212_u64, "licence": "test", "osm_type": "node", "lat": "59.9110", "lon": "10.7528",
           "category": "railway", "type": "station", "display_name": "Oslo S, Jernbanetorget, Oslo, Norge"})
}

impl FakeNominatim {
    async fn start(mode: Mode) -> Self {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        // Under a path, as a provider behind a proxy would be.
        let url = format!("http://{}/nominatim", listener.local_addr().unwrap());
        let router = axum::Router::new().route(
            "/nominatim/search",
            get(move |Query(q): Query<HashMap<String, String>>| {
                let log = log.clone();
                async move {
                    assert_eq!((q["format"].as_str(), q["limit"].as_str()), ("jsonv2", "1"), "{q:?}");
                    log.lock().unwrap().push(q["q"].clone());
                    let place = json!([found_place()]).to_string();
                    match mode {
                        Mode::Finds => (StatusCode::OK, place),
                        Mode::Slow => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            (StatusCode::OK, place)
                        }
                        Mode::Garbage => (StatusCode::OK, "<html>busy</html>".to_owned()),
                        Mode::NoCoordinates => (StatusCode::OK, json!([{"place_id": 1, "name": "Oslo"}]).to_string()),
                        Mode::Fails => (StatusCode::INTERNAL_SERVER_ERROR, "{}".to_owned()),
                    }
                }
            }),
        );
        let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, asked, server }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

/// An http URL where nothing listens (a port bound, then let go).
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

async fn set_geocoder(b: &Builton, url: Value) -> crate::support::Reply {
    b.app.send(Method::PATCH, "/v1/project", Some(&b.app.key), Some(&json!({ "geocoder_url": url }))).await
}

fn oslo_s() -> Value {
    json!({"street_name": "Jernbanetorget 1", "zip_code": "0154", "city": "Oslo", "country": "Norway"})
}

async fn a_found_place_is_stored_and_shown_and_nothing_is_asked_without_a_url(backend: Backend) {
    let Some(b) = Builton::spawn_allowing_loopback(backend).await else { return };
    let fake = FakeNominatim::start(Mode::Finds).await;
    let user = b.admin_create(json!({"addresses": [oslo_s()]})).await;
    let path = format!("/users/{}", oid(&user));
    assert_eq!(
        user["addresses"],
        json!([{"street_name": "Jernbanetorget 1", "zip_code": "0154", "city": "Oslo", "country": "Norway", "alias": "", "service": "google"}]),
        "no geocoder: no position"
    );
    assert!(fake.asked().is_empty(), "no URL, no request");
    let shown = b.app.get("/v1/project").await;
    assert_eq!(shown.body["settings"]["geocoder_url"], Value::Null, "none by default");

    let set = set_geocoder(&b, json!(fake.url)).await;
    assert_eq!((set.status, set.body["settings"]["geocoder_url"].as_str()), (200, Some(fake.url.as_str())));
    let given =
        json!({"street_name": "Karl Johans gate 1", "city": "Oslo", "geo": [59.91, 10.74], "service": "google"});
    let reply = b.call(Method::PUT, &format!("{path}/addresses"), As::Admin, Some(&json!([oslo_s(), given]))).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(fake.asked(), ["Jernbanetorget 1, 0154, Oslo, Norway"], "only the address without coordinates");
    let located = &reply.body["addresses"][0];
    assert_eq!(located["geo"], json!([59.911, 10.7528]));
    assert_eq!(
        (located["service"].as_str(), located["service_address_id"].as_str()),
        (Some("nominatim"), Some("307543212"))
    );
    assert_eq!(located["raw"], found_place());
    assert_eq!(located["street_name"], "Jernbanetorget 1", "the text stays as the client sent it");
    assert_eq!(
        reply.body["addresses"][1],
        json!({"street_name": "Karl Johans gate 1", "city": "Oslo", "geo": [59.91, 10.74], "alias": "", "service": "google"}),
        "client coordinates kept, never asked"
    );

    // Stored: read back through BuiltOn, and a billing address on a user update is located too.
    let read = b.get(&path, As::Admin).await.body;
    assert_eq!(read["addresses"], reply.body["addresses"]);
    let billed = b.call(Method::PUT, &path, As::Admin, Some(&json!({"billing_address": oslo_s()}))).await.body;
    assert_eq!(billed["billing_address"]["geo"], json!([59.911, 10.7528]));
    assert_eq!(fake.asked().len(), 2);

    // Removed again: no more requests.
    assert_eq!(set_geocoder(&b, Value::Null).await.body["settings"]["geocoder_url"], Value::Null);
    let plain = b.call(Method::PUT, &format!("{path}/addresses"), As::Admin, Some(&json!([oslo_s()]))).await.body;
    assert_eq!(plain["addresses"][0].get("geo"), None);
    assert_eq!(fake.asked().len(), 2);
}

async fn a_down_slow_or_nonsensical_provider_never_fails_the_write(backend: Backend) {
    let Some(b) = Builton::spawn_allowing_loopback(backend).await else { return };
    let user = b.admin_create(json!({})).await;
    let path = format!("/users/{}/addresses", oid(&user));
    let mut fakes = Vec::new();
    let mut urls = vec![("down", closed_port_url().await)];
    for (name, mode) in [
        ("slow", Mode::Slow),
        ("garbage", Mode::Garbage),
        ("no coordinates", Mode::NoCoordinates),
        ("error status", Mode::Fails),
    ] {
        let fake = FakeNominatim::start(mode).await;
        urls.push((name, fake.url.clone()));
        fakes.push(fake);
    }
    for (name, url) in urls {
        assert_eq!(set_geocoder(&b, json!(url)).await.status, 200);
        let started = Instant::now();
        let reply = b.call(Method::PUT, &path, As::Admin, Some(&json!({"addresses": [oslo_s()]}))).await;
        let took = started.elapsed();
        assert_eq!(reply.status, 200, "{name}: {:?}", reply.body);
        let stored = &reply.body["addresses"][0];
        assert_eq!(
            (stored["city"].as_str(), stored.get("geo"), stored.get("raw")),
            (Some("Oslo"), None, None),
            "{name}"
        );
        assert_eq!(stored["service"], "google", "{name}: no source claimed");
        assert!(took < Duration::from_secs(5), "{name}: the geocoder's timeout bounds the write, took {took:?}");
    }
    // Each fake was asked (so the failures above were the provider's answers, not requests never made).
    for fake in &fakes {
        assert_eq!(fake.asked().len(), 1);
    }
}

async fn a_geocoder_url_must_be_an_http_url(backend: Backend) {
    let Some(b) = Builton::spawn_allowing_loopback(backend).await else { return };
    for bad in [json!("ftp://geo.example"), json!("geo.example"), json!("http://geo.example/?key=1"), json!(5)] {
        let reply = set_geocoder(&b, bad.clone()).await;
        assert_eq!(reply.status, if bad.is_string() { 422 } else { 400 }, "{bad}: {:?}", reply.body);
    }
    assert_eq!(b.app.get("/v1/project").await.body["settings"]["geocoder_url"], Value::Null);
}

backend_tests!(
    a_found_place_is_stored_and_shown_and_nothing_is_asked_without_a_url,
    a_down_slow_or_nonsensical_provider_never_fails_the_write,
    a_geocoder_url_must_be_an_http_url,
);
