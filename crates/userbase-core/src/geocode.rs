//! Geocoding: an address written without coordinates, in a project with a geocoder configured
//! (`ProjectSettings::geocoder_url`), gets the coordinates the provider finds for its text. None by default,
//! and never invented: no provider, no match or a failed provider leave the address without a position.
//! Core decides when to ask and what; the provider (HTTP) is implemented outside core.

use std::time::Duration;

use async_trait::async_trait;

use crate::address::{AddressFields, Geo};
use crate::ids::ProjectId;

/// How long one replace of addresses keeps starting lookups; with each lookup bounded by the provider's
/// own timeout, a write waits at most this plus one timeout. Addresses left when it is spent stay without
/// coordinates.
pub const GEOCODING_BUDGET: Duration = Duration::from_secs(2);

/// What a provider found for an address.
#[derive(Debug, Clone, PartialEq)]
pub struct Geocoded {
    pub geo: Geo,
    /// The provider's name, shown as the address's source (BuiltOn `service`).
    pub service: String,
    /// The provider's id of the place (BuiltOn `service_address_id`).
    pub place_id: Option<String>,
    /// The provider's answer for the place, as it came.
    pub raw: Option<serde_json::Value>,
}

/// A geocoding provider. Implementations bound each call in time and turn every failure (unreachable, slow,
/// an error status, an answer without coordinates) into `None`, logging which without the address text.
#[async_trait]
pub trait Geocoder: Send + Sync {
    /// The place `query` names, asked of the provider at `endpoint` (the project's `geocoder_url`).
    async fn geocode(&self, project: &ProjectId, endpoint: &str, query: &str) -> Option<Geocoded>;
}

/// The free-text form of an address a provider is asked for: street and number, postal code, city, region,
/// country, comma-separated; `None` when the address has none of them (nothing to look up).
pub fn query_text(f: &AddressFields) -> Option<String> {
    let number = format!("{}{}", f.number.as_deref().unwrap_or(""), f.number_extension.as_deref().unwrap_or(""));
    let street = match (f.street.as_deref(), number.as_str()) {
        (Some(s), "") => Some(s.to_owned()),
        (Some(s), n) => Some(format!("{s} {n}")),
        (None, "") => None,
        (None, n) => Some(n.to_owned()),
    };
    let country = f.country_name.as_deref().or(f.country.as_ref().map(|c| c.name()));
    let parts: Vec<&str> =
        [street.as_deref(), f.postal_code.as_deref(), f.city.as_deref(), f.region.as_deref(), country]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::AddressType;

    #[test]
    fn the_query_is_the_address_text_in_postal_order() {
        let mut f = AddressFields::blank(AddressType::Delivery);
        assert_eq!(query_text(&f), None, "nothing to look up");
        f.street = Some("Hausmanns gate".into());
        f.number = Some("29".into());
        f.postal_code = Some("0182".into());
        f.city = Some("Oslo".into());
        f.country_name = Some("Norway".into());
        f.full_name = Some("Ada".into());
        assert_eq!(query_text(&f).as_deref(), Some("Hausmanns gate 29, 0182, Oslo, Norway"), "no names");
    }
}
