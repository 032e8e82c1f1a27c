//! Outbound addresses: a project setting that makes the server send requests (a JWKS URL, a geocoder URL) is
//! checked against the server's outbound-address policy when it is written, so that a project cannot point the
//! server at its own network (loopback, private ranges, cloud metadata). The policy itself (address ranges,
//! DNS) is the server's and is implemented outside core; it is enforced again on every request.

use async_trait::async_trait;

/// The stable code of a refused address, on the field that names it.
pub const OUTBOUND_ADDRESS_REFUSED: &str = "outbound_address_refused";

/// The server's outbound-address policy, as far as writing a setting is concerned.
#[async_trait]
pub trait OutboundCheck: Send + Sync {
    /// `Err(reason)` when the policy refuses the host `url` names (a refused literal address, or a name that
    /// resolves to one). `reason` is safe to show to whoever wrote the setting.
    async fn check(&self, url: &str) -> Result<(), String>;
}
