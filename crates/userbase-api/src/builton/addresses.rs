//! `PUT /users/{id}/addresses`: replaces the user's embedded address list (`{"addresses": [...]}` or a bare
//! array), kept as canonical addresses; the billing address stays.

use axum::extract::State;
use axum::response::Response;
use userbase_core::address::AddressKind;
use userbase_core::error::FieldErrors;
use userbase_core::DomainError;

use super::error::BuiltonError;
use super::extract::{AddressesInput, BuiltonQuery, Target};
use super::user_input::address_list;
use super::users::{named, user_response};
use crate::dialect::NoParams;
use crate::AppState;

pub async fn update_addresses(
    State(state): State<AppState>,
    target: Target,
    BuiltonQuery(NoParams {}): BuiltonQuery<NoParams>,
    AddressesInput(addresses): AddressesInput,
) -> Result<Response, BuiltonError> {
    let mut e = FieldErrors::new();
    let list = address_list(&mut e, "addresses", addresses);
    e.finish().map_err(DomainError::Invalid)?;
    state
        .addresses
        .replace_kind(&target.project, &target.user, AddressKind::List, list)
        .await
        .map_err(|e| named(e, &target))?;
    // The replace is a write to the user: its `modified` moves.
    let user = state
        .users
        .update(&target.project, &target.user, Default::default(), super::users::LIMITS, None)
        .await
        .map_err(|e| named(e, &target))?;
    user_response(&state, &target.project, &user).await
}
