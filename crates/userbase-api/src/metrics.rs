//! Prometheus metrics, served at `/metrics`: failed authentications by reason. Owned by the app state (no
//! global registry), so several apps in one process count apart.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

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
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("userbase");
        let auth_failures = Family::<FailureLabels, Counter>::default();
        registry.register("auth_failures", "Failed authentications, by reason", auth_failures.clone());
        Arc::new(Self { registry, auth_failures })
    }

    /// Counts a failed authentication; `reason` is a fixed label, never the credential.
    pub fn auth_failure(&self, reason: &'static str) {
        self.auth_failures.get_or_create(&FailureLabels { reason }).inc();
    }
}

pub async fn serve_metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = String::new();
    if encode(&mut text, &state.metrics.registry).is_err() {
        text.clear();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
}
