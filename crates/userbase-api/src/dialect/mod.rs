//! The dialect kit: what every API surface (v1, Gigs, and the vendor dialects to come) shares, so that a
//! dialect module is a translation table and nothing else.
//!
//! - Extractors: [`Json`] (a strict JSON object body), [`Query`] (a strict query string) and [`SecretKey`]
//!   (an admin credential). Each fails with a kit error ([`BodyError`], [`QueryError`], [`AuthError`]); a
//!   dialect wraps them in its own newtypes with `#[derive(FromRequest)]`/`#[derive(FromRequestParts)]` and
//!   `#[from_request(via(..), rejection(TheDialectError))]`, so its handlers state what they need in their
//!   signatures and every failure comes out in the dialect's shape.
//! - [`DialectError`]: what a dialect's error type must be able to render: body, query, auth and domain
//!   errors, with domain field names spelled the dialect's way.
//!
//! Paging, filters, ids and business rules are not here: they are core's.

mod body;
mod credential;
mod query;

use std::borrow::Cow;

use axum::response::IntoResponse;
use userbase_core::error::FieldError;
use userbase_core::DomainError;

pub use body::{declared_media_type, parse_json_slice, BodyError, Json, JsonObjectOrArray, ObjectOrArray, NUL_MESSAGE};
pub use credential::SecretKey;
pub use query::{NoParams, Query, QueryError, QueryNoEmpty};

pub use crate::auth::AuthError;

/// Kit errors answer in userbase's own (v1) shape when no dialect converted them; every dialect extractor
/// converts them into its own error first, so this only satisfies axum's rejection bound.
macro_rules! answer_as_v1 {
    ($($error:ty),*) => {$(
        impl IntoResponse for $error {
            fn into_response(self) -> axum::response::Response {
                crate::v1::Problem::from(self).into_response()
            }
        }
    )*};
}
answer_as_v1!(BodyError, QueryError, AuthError);

/// A dialect's error type: every failure of the kit's extractors and of the services, rendered in the
/// dialect's own shape and status.
pub trait DialectError:
    IntoResponse + From<DomainError> + From<BodyError> + From<QueryError> + From<AuthError> + Send + 'static
{
    /// The dialect's spelling of a domain field name (`postal_code` is Gigs' `postalCode`); field errors
    /// from core name domain fields.
    fn wire_field(domain_field: &str) -> Cow<'static, str> {
        Cow::Owned(domain_field.to_owned())
    }

    /// Domain field errors with their fields renamed for the wire.
    fn wire_fields(errors: Vec<FieldError>) -> Vec<FieldError> {
        errors.into_iter().map(|f| FieldError { field: Self::wire_field(&f.field).into_owned(), ..f }).collect()
    }
}
