//! userbase domain: the canonical user model as validated types, the services that hold the business rules
//! (ids, uniqueness, patch semantics, soft delete and restore) and the store interface they run against.
//! Knows nothing of HTTP or SQL.

pub mod address;
pub mod api_key;
pub mod erasure;
pub mod error;
pub mod filter;
pub mod geocode;
pub mod idempotency;
pub mod ids;
pub mod organization;
pub mod outbound;
pub mod page;
pub mod patch;
pub mod pricing;
pub mod project;
pub mod record;
pub mod server_secret;
pub mod services;
pub mod store;
pub mod time_util;
pub mod user;
pub mod values;

pub use error::{DomainError, FieldError};
