//! Prometheus metrics, served at `/metrics`: failed authentications by reason, and key lookups that reached
//! the database (the rest are answered by the key cache, known or unknown). Owned by the app state (no
//! global registry), so several apps in one process count apart.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use userbase_core::services::KeyService;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    reason: &'static str,
}

pub struct Metrics {
    registry: Registry,
    auth_failures: Family<FailureLabels, Counter>,
}

impl Metrics {
    pub fn new(keys: KeyService) -> Arc<Self> {
        let mut registry = Registry::with_prefix("userbase");
        let auth_failures = Family::<FailureLabels, Counter>::default();
        registry.register("auth_failures", "Failed authentications, by reason", auth_failures.clone());
        registry.register_collector(Box::new(KeyLookups(keys)));
        Arc::new(Self { registry, auth_failures })
    }

    /// Counts a failed authentication; `reason` is a fixed label, never the credential.
    pub fn auth_failure(&self, reason: &'static str) {
        self.auth_failures.get_or_create(&FailureLabels { reason }).inc();
    }
}

/// `userbase_key_store_lookups_total`: read from the key service at each scrape.
struct KeyLookups(KeyService);

impl std::fmt::Debug for KeyLookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLookups")
    }
}

impl Collector for KeyLookups {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counter = ConstCounter::new(self.0.store_lookups());
        let metric = encoder.encode_descriptor(
            "key_store_lookups",
            "Key lookups that reached the database",
            None,
            counter.metric_type(),
        )?;
        counter.encode(metric)
    }
}

pub async fn serve_metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = String::new();
    if encode(&mut text, &state.metrics.registry).is_err() {
        text.clear();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
}
