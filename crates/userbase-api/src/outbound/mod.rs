//! The outbound-address policy: the one rule for every HTTP request the server itself sends (JWKS URLs, the
//! geocoder, and later webhooks). Project settings name those URLs, so without a rule a project admin could make
//! the server call its own network: loopback services, private ranges, a cloud metadata endpoint.
//!
//! By default only public addresses are called (`ranges`). The operator allows more with `--outbound-allow`:
//! host names (exact, any case; whatever they resolve to) and IP addresses or CIDR ranges. The rule holds
//! where it matters, at connection time: names are resolved by `PolicyResolver`, which hands the connector only
//! allowed addresses, so what was checked is what is connected to (no second lookup an attacker's DNS could
//! answer differently); literal addresses, which the connector does not resolve, are checked before the
//! request is sent and on every redirect. No proxy is used, since a proxy would resolve names itself.
//! Settings are checked when written too (`OutboundCheck`), so a refused URL is a clear 422 rather than a
//! silent failure later.

mod ranges;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::Url;
use url::Host;
use userbase_core::outbound::OutboundCheck;

pub use ranges::special_range;

/// How long a setting's host name may take to resolve when the setting is written.
const RESOLVE_ON_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Which addresses the server may send requests to.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    /// Allowed host names, lower case, without a trailing dot.
    hosts: Vec<String>,
    allowed_nets: Vec<IpNet>,
}

/// A request the policy does not allow: the host and what kind of address it is or resolves to. Safe to log
/// and to show (no path, query or credentials of the URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    host: String,
    resolved: Option<IpAddr>,
    what: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.resolved {
            Some(ip) => write!(f, "{} resolves to {ip}, {}", self.host, self.what),
            None => write!(f, "{} is {}", self.host, self.what),
        }
    }
}

impl std::error::Error for Refused {}

impl Refused {
    /// The host that was refused, for log lines.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl OutboundPolicy {
    /// The default: public addresses only.
    pub fn public_only() -> Self {
        Self::default()
    }

    /// Public addresses and `entries`: host names, IP addresses and CIDR ranges (`10.0.0.0/8`, `::1`,
    /// `[::1]`, `geo.internal`). Empty entries are ignored.
    pub fn allowing<S: AsRef<str>>(entries: impl IntoIterator<Item = S>) -> Result<Self, String> {
        let mut policy = Self::default();
        for entry in entries {
            let entry = entry.as_ref().trim();
            let unbracketed = entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')).unwrap_or(entry);
            if entry.is_empty() {
                continue;
            } else if let Ok(net) = unbracketed.parse::<IpNet>() {
                policy.allowed_nets.push(net.trunc());
            } else if let Ok(ip) = unbracketed.parse::<IpAddr>() {
                policy.allowed_nets.push(IpNet::from(ip));
            } else if is_host_name(entry) {
                policy.hosts.push(entry.trim_end_matches('.').to_ascii_lowercase());
            } else {
                return Err(format!(
                    "outbound allow entry '{entry}' is neither a host name nor an IP address or CIDR range"
                ));
            }
        }
        Ok(policy)
    }

    /// Why `ip` may not be called, or `None` when it may: public, or in an allowed range.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let mapped = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        let allowed = |ip: IpAddr| self.allowed_nets.iter().any(|net| net.contains(&ip));
        if allowed(ip) || mapped.is_some_and(allowed) {
            return None;
        }
        special_range(ip)
    }

    fn allows_name(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(host))
    }

    /// The check that needs no resolution: an http(s) URL whose host, if a literal address, is allowed.
    /// Names are left to the resolver.
    fn check_literal(&self, url: &Url) -> Result<(), Refused> {
        let refuse = |host: String, what| Err(Refused { host, resolved: None, what });
        if !matches!(url.scheme(), "http" | "https") {
            return refuse(url.scheme().to_owned(), "not an http(s) URL");
        }
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(Host::Domain(_)) => return Ok(()),
            None => return refuse(String::new(), "a URL without a host"),
        };
        match self.refusal(ip) {
            Some(what) => refuse(ip.to_string(), what),
            None => Ok(()),
        }
    }

    /// The resolved addresses of `host` that may be called; `Refused` when there are none.
    fn allowed_addresses(
        &self,
        host: &str,
        resolved: impl Iterator<Item = SocketAddr>,
    ) -> Result<Vec<SocketAddr>, Refused> {
        if self.allows_name(host) {
            return Ok(resolved.collect());
        }
        let mut first_refused = None;
        let allowed: Vec<SocketAddr> = resolved
            .filter(|addr| match self.refusal(addr.ip()) {
                None => true,
                Some(what) => {
                    first_refused.get_or_insert((addr.ip(), what));
                    false
                }
            })
            .collect();
        match (allowed.is_empty(), first_refused) {
            (true, Some((ip, what))) => Err(Refused { host: host.to_owned(), resolved: Some(ip), what }),
            _ => Ok(allowed),
        }
    }
}

/// A plausible DNS name: letters, digits, `-` and `.`, not starting with `.` or `-`.
fn is_host_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && !text.starts_with(['.', '-'])
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Checks a setting when it is written: a literal address against the ranges, a name by resolving it (bounded
/// in time) and checking every address it has. A name that does not resolve now is let through: the request
/// is checked again when it is made.
#[async_trait::async_trait]
impl OutboundCheck for OutboundPolicy {
    async fn check(&self, url: &str) -> Result<(), String> {
        let explain = |refused: Refused| {
            format!("The server does not send requests there: {refused}. Its operator can allow it (--outbound-allow).")
        };
        let Ok(url) = Url::parse(url) else { return Ok(()) };
        self.check_literal(&url).map_err(explain)?;
        let Some(Host::Domain(name)) = url.host() else { return Ok(()) };
        if self.allows_name(name) {
            return Ok(());
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let lookup = tokio::time::timeout(RESOLVE_ON_WRITE_TIMEOUT, tokio::net::lookup_host((name, port))).await;
        let Ok(Ok(addresses)) = lookup else { return Ok(()) };
        for addr in addresses {
            if let Some(what) = self.refusal(addr.ip()) {
                return Err(explain(Refused { host: name.to_owned(), resolved: Some(addr.ip()), what }));
            }
        }
        Ok(())
    }
}

/// Resolves names for the outbound client and passes on only the addresses the policy allows.
struct PolicyResolver(Arc<OutboundPolicy>);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed = policy.allowed_addresses(&host, resolved)?;
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Why an outbound request failed, for the caller's log line (never the URL: it may carry credentials).
#[derive(Debug)]
pub enum SendError {
    /// The policy refused the address, or a redirect to one.
    Refused(Refused),
    Timeout,
    /// Anything else that kept an answer from arriving (connection refused, TLS, too many redirects).
    Unreachable,
}

impl SendError {
    fn of(e: &reqwest::Error) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = source {
            if let Some(refused) = err.downcast_ref::<Refused>() {
                return SendError::Refused(refused.clone());
            }
            source = err.source();
        }
        if e.is_timeout() {
            SendError::Timeout
        } else {
            SendError::Unreachable
        }
    }
}

/// An HTTP client bound to the outbound policy: the only way the server sends requests of its own.
#[derive(Clone)]
pub struct OutboundClient {
    /// `None` when the client could not be built (no TLS backend); every request then fails, rather than
    /// falling back to a client without the policy.
    http: Option<reqwest::Client>,
    policy: Arc<OutboundPolicy>,
}

impl OutboundClient {
    /// A client following at most `max_redirects` redirects (each checked like the first URL), with whatever
    /// else `configure` sets (timeouts, user agent).
    pub fn new(
        policy: Arc<OutboundPolicy>,
        max_redirects: usize,
        configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Self {
        let redirect_policy = policy.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            // `previous` holds the first URL too.
            if attempt.previous().len() > max_redirects {
                return attempt.stop();
            }
            match redirect_policy.check_literal(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(refused) => attempt.error(refused),
            }
        });
        let builder = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolver(policy.clone())))
            .redirect(redirects);
        let http = match configure(builder).build() {
            Ok(http) => Some(http),
            Err(e) => {
                tracing::error!(error = %e.without_url(), "cannot build the outbound HTTP client; outbound requests will fail");
                None
            }
        };
        Self { http, policy }
    }

    /// A request to `url`, if the policy allows its address (a name is checked when it is resolved); send it
    /// with `send`. For requests other than a plain GET (webhooks will POST).
    pub fn request(&self, method: reqwest::Method, url: Url) -> Result<reqwest::RequestBuilder, SendError> {
        self.policy.check_literal(&url).map_err(SendError::Refused)?;
        let http = self.http.as_ref().ok_or(SendError::Unreachable)?;
        Ok(http.request(method, url))
    }

    /// Sends a request made by `request`, telling a refused address from other failures.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, SendError> {
        request.send().await.map_err(|e| SendError::of(&e))
    }

    /// Sends `GET url` accepting `accept`, if the policy allows its address.
    pub async fn get(&self, url: Url, accept: &'static str) -> Result<reqwest::Response, SendError> {
        let request = self.request(reqwest::Method::GET, url)?.header("accept", accept);
        self.send(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> impl Iterator<Item = SocketAddr> {
        list.iter().map(|ip| SocketAddr::new(ip.parse().unwrap(), 443)).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn allow_entries_are_names_addresses_or_ranges() {
        let policy = OutboundPolicy::allowing(["127.0.0.1", "10.1.0.0/16", "[::1]", "Geo.Internal.", " "]).unwrap();
        assert_eq!(policy.refusal("127.0.0.1".parse().unwrap()), None);
        assert_eq!(policy.refusal("::ffff:127.0.0.1".parse().unwrap()), None, "the mapped form too");
        assert!(policy.refusal("127.0.0.2".parse().unwrap()).is_some(), "one address, not the whole range");
        assert_eq!(policy.refusal("10.1.200.3".parse().unwrap()), None);
        assert!(policy.refusal("10.2.0.1".parse().unwrap()).is_some());
        assert_eq!(policy.refusal("::1".parse().unwrap()), None);
        assert!(policy.allows_name("geo.internal") && policy.allows_name("GEO.internal."));
        assert!(!policy.allows_name("other.internal"));
        for bad in ["http://x", "10.0.0.0/99", "a b", "-x"] {
            assert!(OutboundPolicy::allowing([bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn literal_hosts_are_checked_without_resolving() {
        let policy = OutboundPolicy::public_only();
        for url in [
            "http://127.0.0.1:9/x",
            "http://[::1]/",
            "http://0.0.0.0/",
            "https://169.254.169.254/latest",
            "http://[::ffff:10.0.0.1]/",
            "http://2130706433/",
            "http://0x7f.1/",
            "ftp://93.184.216.34/",
        ] {
            assert!(policy.check_literal(&Url::parse(url).unwrap()).is_err(), "{url}");
        }
        for url in ["https://93.184.216.34/jwks", "https://[2606:4700::1]/", "https://issuer.example.com/"] {
            assert_eq!(policy.check_literal(&Url::parse(url).unwrap()), Ok(()), "{url}");
        }
    }

    #[test]
    fn resolved_addresses_are_filtered_and_a_name_with_none_left_is_refused() {
        let policy = OutboundPolicy::public_only();
        let kept = policy.allowed_addresses("mixed.example", addrs(&["10.0.0.1", "93.184.216.34"])).unwrap();
        assert_eq!(kept, addrs(&["93.184.216.34"]).collect::<Vec<_>>(), "only the public address is connected to");
        let refused = policy.allowed_addresses("localhost", addrs(&["127.0.0.1", "::1"])).unwrap_err();
        assert_eq!(refused.to_string(), "localhost resolves to 127.0.0.1, a loopback address");
        let named = OutboundPolicy::allowing(["localhost"]).unwrap();
        assert_eq!(named.allowed_addresses("localhost", addrs(&["127.0.0.1", "::1"])).unwrap().len(), 2);
    }

    /// The resolver's refusal comes back through reqwest as `SendError::Refused`, before any connection is made
    /// (`localhost` resolves from the hosts file; nothing listens on port 9 anyway).
    #[tokio::test]
    async fn a_name_resolving_to_a_refused_address_fails_as_refused() {
        let client = OutboundClient::new(Arc::new(OutboundPolicy::public_only()), 0, |b| b);
        for url in ["http://localhost:9/jwks.json", "http://127.0.0.1:9/", "http://[::1]:9/"] {
            let sent = client.get(Url::parse(url).unwrap(), "application/json").await;
            assert!(matches!(sent, Err(SendError::Refused(_))), "{url}: {sent:?}");
        }
        let allowed = OutboundClient::new(Arc::new(OutboundPolicy::allowing(["localhost"]).unwrap()), 0, |b| b);
        let sent = allowed.get(Url::parse("http://localhost:9/").unwrap(), "application/json").await;
        assert!(matches!(sent, Err(SendError::Unreachable)), "allowed, so tried (and nothing listens): {sent:?}");
    }
}
