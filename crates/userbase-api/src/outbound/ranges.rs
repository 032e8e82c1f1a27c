//! Which IP addresses are not on the public internet: the special-purpose ranges of the IANA registries
//! (loopback, private, link-local, shared, documentation, multicast, reserved, ...). The outbound policy
//! refuses them unless the operator allows them. IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64,
//! 6to4) are judged by that address, so `::ffff:10.0.0.1` is as private as `10.0.0.1`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

#[allow(clippy::too_many_arguments)]
const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16, len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

/// IPv4 ranges that are not publicly routable, with what they are (RFC 6890 and its updates).
const V4_SPECIAL: [(Ipv4Net, &str); 15] = [
    (v4(0, 0, 0, 0, 8), "an unspecified (\"this network\") address"),
    (v4(10, 0, 0, 0, 8), "a private address (10.0.0.0/8)"),
    (v4(100, 64, 0, 0, 10), "a shared (carrier-grade NAT) address (100.64.0.0/10)"),
    (v4(127, 0, 0, 0, 8), "a loopback address"),
    (v4(169, 254, 0, 0, 16), "a link-local address (169.254.0.0/16, cloud metadata services)"),
    (v4(172, 16, 0, 0, 12), "a private address (172.16.0.0/12)"),
    (v4(192, 0, 0, 0, 24), "an IETF protocol assignment (192.0.0.0/24)"),
    (v4(192, 0, 2, 0, 24), "a documentation address (192.0.2.0/24)"),
    (v4(192, 88, 99, 0, 24), "a 6to4 relay anycast address (192.88.99.0/24)"),
    (v4(192, 168, 0, 0, 16), "a private address (192.168.0.0/16)"),
    (v4(198, 18, 0, 0, 15), "a benchmarking address (198.18.0.0/15)"),
    (v4(198, 51, 100, 0, 24), "a documentation address (198.51.100.0/24)"),
    (v4(203, 0, 113, 0, 24), "a documentation address (203.0.113.0/24)"),
    (v4(224, 0, 0, 0, 4), "a multicast address"),
    // 240.0.0.0/4 is reserved; it includes the broadcast address 255.255.255.255.
    (v4(240, 0, 0, 0, 4), "a reserved or broadcast address"),
];

/// IPv6 ranges, inside global unicast (2000::/3), that are not publicly routable.
const V6_SPECIAL: [(Ipv6Net, &str); 3] = [
    (v6(0x2001, 0, 0, 0, 0, 0, 0, 0, 23), "an IETF protocol assignment (2001::/23)"),
    (v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0, 32), "a documentation address (2001:db8::/32)"),
    (v6(0x3fff, 0, 0, 0, 0, 0, 0, 0, 20), "a documentation address (3fff::/20)"),
];

const GLOBAL_UNICAST: Ipv6Net = v6(0x2000, 0, 0, 0, 0, 0, 0, 0, 3);
const NAT64: Ipv6Net = v6(0x64, 0xff9b, 0, 0, 0, 0, 0, 0, 96);
const SIX_TO_FOUR: Ipv6Net = v6(0x2002, 0, 0, 0, 0, 0, 0, 0, 16);

/// What kind of non-public address `ip` is, or `None` for a public one.
pub fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => special_v4(ip),
        IpAddr::V6(ip) => special_v6(ip),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    V4_SPECIAL.iter().find(|(net, _)| net.contains(&ip)).map(|(_, what)| *what)
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(embedded) = embedded_v4(ip) {
        return special_v4(embedded);
    }
    if ip.is_unspecified() {
        return Some("an unspecified address (::)");
    }
    if ip.is_loopback() {
        return Some("a loopback address (::1)");
    }
    // Outside 2000::/3 nothing is public: unique local fc00::/7, link-local fe80::/10, multicast ff00::/8,
    // discard 100::/64, the deprecated IPv4-compatible ::/96 and site-local fec0::/10, unassigned space.
    if !GLOBAL_UNICAST.contains(&ip) {
        return Some(match ip.segments()[0] {
            0xfc00..=0xfdff => "a unique local (private) address (fc00::/7)",
            0xfe80..=0xfebf => "a link-local address (fe80::/10)",
            0xff00..=0xffff => "a multicast address",
            _ => "a reserved IPv6 address",
        });
    }
    V6_SPECIAL.iter().find(|(net, _)| net.contains(&ip)).map(|(_, what)| *what)
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`,
/// 6to4 `2002:aabb:ccdd::`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    let o = ip.octets();
    if NAT64.contains(&ip) {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if SIX_TO_FOUR.contains(&ip) {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn internal_and_special_addresses_are_refused() {
        for text in [
            "10.0.0.1",
            "192.168.1.1",
            "172.16.0.1",
            "172.31.255.255",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "127.0.0.1",
            "127.8.9.10",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.7",
            "198.51.100.1",
            "203.0.113.9",
            "198.18.0.1",
            "::",
            "::1",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "2001:db8::1",
            "100::1",
        ] {
            assert!(special_range(ip(text)).is_some(), "{text} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for text in [
            "93.184.216.34",
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1",
            "2a00:1450:4001::1",
            "::ffff:93.184.216.34",
            "64:ff9b::5db8:d822",
        ] {
            assert_eq!(special_range(ip(text)), None, "{text} is public");
        }
    }

    #[test]
    fn each_refusal_says_what_the_address_is() {
        assert_eq!(special_range(ip("127.0.0.1")), Some("a loopback address"));
        assert_eq!(special_range(ip("::ffff:10.0.0.1")), Some("a private address (10.0.0.0/8)"));
        assert_eq!(special_range(ip("fd00::1")), Some("a unique local (private) address (fc00::/7)"));
    }
}
