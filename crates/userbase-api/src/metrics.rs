//! Prometheus metrics, served at `/metrics`: failed authentications by reason, key lookups that reached
//! the database (the rest are answered by the key cache, known or unknown), and rows of personal data removed
//! by erases and by the retention purge. Owned by the app state (no
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

use userbase_core::services::{KeyService, RemovedTotals};

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
    pub fn new(keys: KeyService, removed: Arc<RemovedTotals>) -> Arc<Self> {
        let mut registry = Registry::with_prefix("userbase");
        let auth_failures = Family::<FailureLabels, Counter>::default();
        registry.register("auth_failures", "Failed authentications, by reason", auth_failures.clone());
        registry.register_collector(Box::new(KeyLookups(keys)));
        registry.register_collector(Box::new(Removed(removed)));
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

/// `userbase_personal_data_removed_total{cause="erase"|"purge", kind="users"|"addresses"|...}`: rows removed by
/// this process, read from the personal-data service at each scrape.
#[derive(Debug)]
struct Removed(Arc<RemovedTotals>);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RemovedLabels {
    cause: &'static str,
    kind: &'static str,
}

impl Collector for Removed {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(
            "personal_data_removed",
            "Rows of personal data removed, by cause (erase, purge) and kind",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for (cause, kind, rows) in self.0.snapshot() {
            let labels = RemovedLabels { cause, kind };
            let metric = family.encode_family(&labels)?;
            ConstCounter::new(rows).encode(metric)?;
        }
        Ok(())
    }
}

pub async fn serve_metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = String::new();
    if encode(&mut text, &state.metrics.registry).is_err() {
        text.clear();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
}
