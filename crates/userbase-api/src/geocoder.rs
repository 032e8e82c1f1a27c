//! The Nominatim-compatible geocoder (core's `Geocoder`): `GET {url}/search?format=jsonv2&limit=1&q=<text>`,
//! with a 2 s bound on the whole exchange, and the first result's `lat`/`lon` as the position, its
//! `place_id` as the place id and the result object as the raw answer. Any failure is logged (kind and
//! project only: never the address text or the URL, which may carry credentials) and gives no position.
//! Requests go through the outbound-address policy (`crate::outbound`): a refused address fails like an
//! unreachable provider.

use std::sync::Arc;
use std::time::Duration;

use userbase_core::address::Geo;
use userbase_core::geocode::{Geocoded, Geocoder};
use userbase_core::ids::ProjectId;

use crate::outbound::{OutboundClient, OutboundPolicy, SendError};

/// The bound on one lookup: connect, request and the whole answer.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// Larger answers are not a single place.
const MAX_BYTES: usize = 256 * 1024;
/// What addresses located here show as their `service`.
const SERVICE: &str = "nominatim";

/// Why a lookup gave no position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    BadUrl,
    /// The outbound-address policy refused the provider's address.
    Refused,
    Timeout,
    Unreachable,
    Status(u16),
    TooLarge,
    NotJson,
    NoMatch,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::BadUrl => f.write_str("bad_url"),
            Failure::Refused => f.write_str("refused_address"),
            Failure::Timeout => f.write_str("timeout"),
            Failure::Unreachable => f.write_str("unreachable"),
            Failure::Status(code) => write!(f, "status_{code}"),
            Failure::TooLarge => f.write_str("too_large"),
            Failure::NotJson => f.write_str("not_json"),
            Failure::NoMatch => f.write_str("no_match"),
        }
    }
}

#[derive(Clone)]
pub struct NominatimGeocoder {
    http: OutboundClient,
}

impl Default for NominatimGeocoder {
    /// A geocoder that calls public addresses only.
    fn default() -> Self {
        Self::new(Arc::new(OutboundPolicy::public_only()))
    }
}

impl NominatimGeocoder {
    /// A geocoder whose requests follow `policy`.
    pub fn new(policy: Arc<OutboundPolicy>) -> Self {
        // No redirects: a provider answers its search URL itself.
        let http = OutboundClient::new(policy, 0, |builder| {
            builder
                .connect_timeout(TIMEOUT)
                .timeout(TIMEOUT)
                // Nominatim's usage policy asks clients to say who they are.
                .user_agent(concat!("userbase/", env!("CARGO_PKG_VERSION")))
        });
        Self { http }
    }
}

/// The one outbound request of the geocoder: a GET of `url`, its body read up to `MAX_BYTES`.
async fn fetch(http: &OutboundClient, url: reqwest::Url) -> Result<Vec<u8>, Failure> {
    let sent = |e: reqwest::Error| if e.is_timeout() { Failure::Timeout } else { Failure::Unreachable };
    let mut response = http.get(url, "application/json").await.map_err(|e| match e {
        SendError::Refused(_) => Failure::Refused,
        SendError::Timeout => Failure::Timeout,
        SendError::Unreachable => Failure::Unreachable,
    })?;
    if !response.status().is_success() {
        return Err(Failure::Status(response.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(sent)? {
        if body.len() + chunk.len() > MAX_BYTES {
            return Err(Failure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `{endpoint}/search?format=jsonv2&limit=1&q=<query>`.
fn search_url(endpoint: &str, query: &str) -> Result<reqwest::Url, Failure> {
    let mut url = reqwest::Url::parse(endpoint).map_err(|_| Failure::BadUrl)?;
    url.path_segments_mut().map_err(|_| Failure::BadUrl)?.pop_if_empty().push("search");
    url.query_pairs_mut().append_pair("format", "jsonv2").append_pair("limit", "1").append_pair("q", query);
    Ok(url)
}

/// A number given as a JSON number or a string (Nominatim sends coordinates as strings).
fn number(v: &serde_json::Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).filter(|n: &f64| n.is_finite())
}

/// The first result of a `jsonv2` answer, if it has a valid position.
fn first_place(body: &[u8]) -> Result<Geocoded, Failure> {
    let answer: serde_json::Value = serde_json::from_slice(body).map_err(|_| Failure::NotJson)?;
    let place = answer.as_array().and_then(|a| a.first()).ok_or(Failure::NoMatch)?;
    let (lat, lng) = (number(&place["lat"]), number(&place["lon"]));
    let geo = lat.zip(lng).and_then(|(lat, lng)| Geo::parse("geo", lat, lng).ok()).ok_or(Failure::NoMatch)?;
    let place_id = match &place["place_id"] {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    Ok(Geocoded { geo, service: SERVICE.to_owned(), place_id, raw: Some(place.clone()) })
}

#[async_trait::async_trait]
impl Geocoder for NominatimGeocoder {
    async fn geocode(&self, project: &ProjectId, endpoint: &str, query: &str) -> Option<Geocoded> {
        let found = match search_url(endpoint, query) {
            Ok(url) => fetch(&self.http, url).await.and_then(|body| first_place(&body)),
            Err(failure) => Err(failure),
        };
        match found {
            Ok(place) => Some(place),
            Err(Failure::NoMatch) => {
                tracing::info!(project.id = %project, "geocoder found no place; the address keeps no position");
                None
            }
            Err(failure) => {
                tracing::warn!(
                    project.id = %project,
                    geocoder.failure = %failure,
                    "geocoder failed; the address is stored without a position"
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_search_url_keeps_the_endpoint_path_and_encodes_the_text() {
        let url = search_url("http://127.0.0.1:9/nominatim", "Hausmanns gate 29, Oslo & co").unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/nominatim/search?format=jsonv2&limit=1&q=Hausmanns+gate+29%2C+Oslo+%26+co"
        );
        assert_eq!(search_url("https://geo.test", "x").unwrap().path(), "/search");
    }

    #[test]
    fn only_a_first_result_with_a_valid_position_counts() {
        let ok = json!([{"place_id": 42, "lat": "59.91", "lon": "10.75", "display_name": "Oslo"}]);
        let place = first_place(ok.to_string().as_bytes()).unwrap();
        assert_eq!((place.geo.lat(), place.geo.lng(), place.place_id.as_deref()), (59.91, 10.75, Some("42")));
        assert_eq!(place.raw, Some(ok[0].clone()));
        for (body, failure) in [
            ("[]", Failure::NoMatch),
            (r#"[{"lat": "north", "lon": "10"}]"#, Failure::NoMatch),
            (r#"[{"lat": "95", "lon": "10"}]"#, Failure::NoMatch),
            (r#"{"error": "Unable to geocode"}"#, Failure::NoMatch),
            ("<html>", Failure::NotJson),
        ] {
            assert_eq!(first_place(body.as_bytes()).err(), Some(failure), "{body}");
        }
    }
}
