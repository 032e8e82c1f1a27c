//! userbase HTTP layer. One module per API surface translates requests into service calls and results into
//! that surface's response and error shapes; `auth` turns credentials into a `Principal`. No SQL and no
//! business rules live here.

pub mod auth;
mod body;
mod bulk_stream;
mod docs;
mod gigs;
mod health;
mod metrics;
mod middleware;
mod propeller;
pub mod v1;

use std::sync::Arc;

use axum::Router;
use userbase_core::idempotency::IdempotencyService;
use userbase_core::services::{
    AddressService, BulkService, KeyService, OrganizationService, PricingService, ProjectService, RecordService,
    UserService,
};
use userbase_core::store::Store;

/// Largest accepted request body, except on bulk endpoints (decisions.md, "Limits").
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach: the services over one store.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub users: UserService,
    pub addresses: AddressService,
    pub bulk: BulkService,
    pub idempotency: IdempotencyService,
    pub jwt: auth::JwtVerifier,
    pub metrics: std::sync::Arc<metrics::Metrics>,
    pub keys: KeyService,
    pub projects: ProjectService,
    pub organizations: OrganizationService,
    pub records: RecordService,
    pub pricing: PricingService,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            users: UserService::new(store.clone()),
            addresses: AddressService::new(store.clone()),
            bulk: BulkService::new(store.clone()),
            idempotency: IdempotencyService::new(store.clone()),
            jwt: auth::JwtVerifier::default(),
            metrics: metrics::Metrics::new(),
            keys: KeyService::new(store.clone()),
            projects: ProjectService::new(store.clone()),
            organizations: OrganizationService::new(store.clone()),
            records: RecordService::new(store.clone()),
            pricing: PricingService::new(store.clone()),
            store,
        }
    }

    /// How long verified keys are reused (see `KeyService::with_cache_ttl`).
    pub fn key_cache_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.keys = KeyService::with_cache_ttl(self.store.clone(), ttl);
        self
    }
}

/// The whole HTTP application: health checks and every enabled API surface.
pub fn router(state: AppState) -> Router {
    let (v1, _) = v1::routes().split_for_parts();
    let v1 = v1
        .method_not_allowed_fallback(|| async { v1::method_not_allowed() })
        .layer(axum::middleware::from_fn_with_state(state.clone(), v1::idempotency::idempotency));
    let app = Router::new()
        .merge(health::routes())
        .route("/metrics", axum::routing::get(metrics::serve_metrics))
        .nest("/v1", v1)
        .nest("/gigs", gigs::routes())
        .nest("/propeller", propeller::routes())
        .merge(docs::routes())
        .with_state(state);
    middleware::apply(app)
}
