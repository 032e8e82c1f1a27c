//! userbase HTTP layer. One module per API surface translates requests into service calls and results into
//! that surface's response and error shapes; `auth` turns credentials into a `Principal`. No SQL and no
//! business rules live here.

pub mod auth;
mod boltonsea;
mod builton;
mod bulk_stream;
mod dialect;
mod docs;
pub mod edge;
pub mod geocoder;
mod gigs;
mod health;
mod metrics;
mod middleware;
pub mod outbound;
mod propeller;
pub mod v1;

use std::sync::Arc;

use axum::Router;
use userbase_core::idempotency::IdempotencyService;
use userbase_core::server_secret::ServerSecrets;
use userbase_core::services::{
    AddressService, BulkService, KeyService, NestedBulkService, OrganizationService, PersonalDataService,
    PricingService, ProjectService, RecordService, UserService, DEFAULT_KEY_CACHE_TTL,
};
use userbase_core::store::Store;

pub use middleware::REQUEST_ID;

/// Largest accepted request body, except on bulk endpoints (decisions.md, "Limits").
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach: the services over one store. Handlers get a clone per request, so it is
/// one shared pointer (cloning the services themselves cost a dozen atomic counts per request).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    pub store: Arc<dyn Store>,
    pub users: UserService,
    pub addresses: AddressService,
    pub bulk: BulkService,
    /// Bulk upserts with nested addresses, attributes, pricing and parent (Propeller).
    pub nested_bulk: NestedBulkService,
    pub idempotency: IdempotencyService,
    pub jwt: auth::JwtVerifier,
    pub metrics: std::sync::Arc<metrics::Metrics>,
    pub keys: KeyService,
    pub projects: ProjectService,
    pub organizations: OrganizationService,
    pub records: RecordService,
    pub pricing: PricingService,
    pub personal_data: PersonalDataService,
}

/// The server's settings that reach the services.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// How long verified keys are reused (see `KeyService::with_cache_ttl`).
    pub key_cache_ttl: std::time::Duration,
    /// Which addresses the server's own requests (JWKS, geocoder) may go to.
    pub outbound: Arc<outbound::OutboundPolicy>,
    /// The server secret(s) that hash new keys and sign access tokens; none by default.
    pub server_secrets: ServerSecrets,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            key_cache_ttl: DEFAULT_KEY_CACHE_TTL,
            outbound: Arc::new(outbound::OutboundPolicy::public_only()),
            server_secrets: ServerSecrets::none(),
        }
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_settings(store, ServerSettings::default())
    }

    /// How long verified keys are reused (see `KeyService::with_cache_ttl`); revocations and project changes
    /// made by other processes reach the cache as the store reports them (`KeyService::follow_changes`).
    pub fn with_key_cache_ttl(store: Arc<dyn Store>, key_cache_ttl: std::time::Duration) -> Self {
        Self::with_settings(store, ServerSettings { key_cache_ttl, ..ServerSettings::default() })
    }

    pub fn with_settings(store: Arc<dyn Store>, settings: ServerSettings) -> Self {
        let keys = KeyService::with_cache_ttl(store.clone(), settings.key_cache_ttl)
            .with_server_secrets(settings.server_secrets)
            .follow_changes();
        let personal_data = PersonalDataService::new(store.clone()).with_key_cache(keys.clone());
        let outbound = settings.outbound;
        Self(Arc::new(Services {
            users: UserService::new(store.clone()).with_key_cache(keys.clone()),
            addresses: AddressService::new(store.clone())
                .with_geocoder(Arc::new(geocoder::NominatimGeocoder::new(outbound.clone()))),
            bulk: BulkService::new(store.clone()),
            nested_bulk: NestedBulkService::new(store.clone()),
            idempotency: IdempotencyService::new(store.clone()),
            jwt: auth::JwtVerifier::new(outbound.clone()),
            metrics: metrics::Metrics::new(keys.clone(), personal_data.totals()),
            projects: ProjectService::new(store.clone()).with_key_cache(keys.clone()).with_outbound_check(outbound),
            keys,
            organizations: OrganizationService::new(store.clone()),
            records: RecordService::new(store.clone()),
            pricing: PricingService::new(store.clone()),
            personal_data,
            store,
        }))
    }
}

/// The whole HTTP application: health checks and every enabled API surface.
pub fn router(state: AppState) -> Router {
    let (v1, _) = v1::routes().split_for_parts();
    let v1 = v1
        .route_layer(axum::middleware::from_fn(v1::query_guard::refuse_unknown_parameters))
        .method_not_allowed_fallback(|| async { v1::method_not_allowed() })
        .layer(axum::middleware::from_fn_with_state(state.clone(), v1::idempotency::idempotency));
    let app = Router::new()
        .merge(health::routes())
        .route("/metrics", axum::routing::get(metrics::serve_metrics))
        .nest("/v1", v1)
        .nest("/builton", builton::routes())
        .nest("/gigs", gigs::routes())
        .nest("/propeller", propeller::routes())
        .nest("/boltonsea", boltonsea::routes())
        .merge(docs::routes())
        .with_state(state);
    middleware::apply(app)
}
