//! The outbound rules: which addresses a call to another service (a connection test, an OAuth
//! token endpoint) may reach. Decided on the resolved IP address of every connection, never on
//! the host name alone, so a name that resolves to a private address is refused like the address.
//!
//! The OAuth2 timing rules live here too, as pure functions of times.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Duration, Utc};

/// Why an address is refused by default, or `None` when it is a public address.
pub fn refused_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

/// IANA's IPv4 special-purpose blocks that are not globally reachable, beyond what the standard
/// library's classifications cover: (first octets, prefix length, reason).
const V4_SPECIAL: [([u8; 3], u8, &str); 7] = [
    (
        [192, 0, 0],
        24,
        "an IETF protocol assignment (192.0.0.0/24)",
    ),
    ([192, 0, 2], 24, "a documentation address (TEST-NET-1)"),
    (
        [192, 88, 99],
        24,
        "a reserved address (the deprecated 6to4 relay anycast)",
    ),
    ([198, 18, 0], 15, "a benchmarking address (198.18.0.0/15)"),
    ([198, 51, 100], 24, "a documentation address (TEST-NET-2)"),
    ([203, 0, 113], 24, "a documentation address (TEST-NET-3)"),
    ([100, 64, 0], 10, "a shared (carrier-grade NAT) address"),
];

fn in_v4_block(ip: Ipv4Addr, first: [u8; 3], len: u8) -> bool {
    let net = u32::from_be_bytes([first[0], first[1], first[2], 0]);
    let mask = u32::MAX << (32 - u32::from(len));
    u32::from(ip) & mask == net & mask
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, ..] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some("an unspecified address")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if ip.is_broadcast() || a >= 240 {
        Some("a reserved address")
    } else {
        V4_SPECIAL
            .iter()
            .find(|(first, len, _)| in_v4_block(ip, *first, *len))
            .map(|(_, _, reason)| *reason)
    }
}

/// IANA's IPv6 special-purpose blocks that are not globally reachable and that no other rule
/// below covers: (leading segments, prefix length, reason).
const V6_SPECIAL: [([u16; 4], u8, &str); 6] = [
    (
        [0x64, 0xff9b, 1, 0],
        48,
        "a local-use NAT64 address (64:ff9b:1::/48)",
    ),
    ([0x100, 0, 0, 0], 64, "a discard-only address (100::/64)"),
    ([0x100, 0, 0, 1], 64, "a dummy address (100:0:0:1::/64)"),
    (
        [0x2001, 0, 0, 0],
        23,
        "an IETF protocol assignment (2001::/23, Teredo included)",
    ),
    (
        [0x2001, 0xdb8, 0, 0],
        32,
        "a documentation address (2001:db8::/32)",
    ),
    ([0x3fff, 0, 0, 0], 20, "a documentation address (3fff::/20)"),
];

/// Segment routing SIDs (5f00::/16): not globally reachable either.
const V6_SRV6: u16 = 0x5f00;

fn in_v6_block(ip: Ipv6Addr, first: [u16; 4], len: u8) -> bool {
    let mut net = [0u16; 8];
    net[..4].copy_from_slice(&first);
    let net = u128::from(Ipv6Addr::from(net));
    let mask = u128::MAX << (128 - u32::from(len));
    u128::from(ip) & mask == net & mask
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    // An IPv4 address carried inside IPv6 is judged as that IPv4 address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    let seg = ip.segments();
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
        // NAT64 (64:ff9b::/96): the last 32 bits are an IPv4 address.
        let o = ip.octets();
        return v4_reason(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if seg[0..4] == [0, 0, 0, 0] && seg[4] == 0xffff && seg[5] == 0 {
        // IPv4-translated (::ffff:0:a.b.c.d, SIIT): judged as the IPv4 address it carries.
        let o = ip.octets();
        return v4_reason(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if seg[0] == 0x2002 {
        // 6to4 (2002::/16): bits 16..48 are an IPv4 address.
        let o = ip.octets();
        return v4_reason(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    if ip.is_unspecified() {
        Some("an unspecified address")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if seg[0..6] == [0, 0, 0, 0, 0, 0] {
        // IPv4-compatible (::a.b.c.d, deprecated).
        let o = ip.octets();
        v4_reason(Ipv4Addr::new(o[12], o[13], o[14], o[15])).or(Some("a reserved address"))
    } else if seg[0] & 0xfe00 == 0xfc00 {
        Some("a private (unique local) address")
    } else if seg[0] & 0xffc0 == 0xfe80 || seg[0] & 0xffc0 == 0xfec0 {
        Some("a link-local address")
    } else if seg[0] & 0xff00 == 0xff00 {
        Some("a multicast address")
    } else if seg[0] == V6_SRV6 {
        Some("a segment-routing address (5f00::/16)")
    } else {
        V6_SPECIAL
            .iter()
            .find(|(first, len, _)| in_v6_block(ip, *first, *len))
            .map(|(_, _, reason)| *reason)
    }
}

/// When a token should be refreshed ahead of its expiry: the larger of 2 minutes and 10 % of
/// its lifetime before `expires_at` (the lifetime counted from when it was obtained).
pub fn refresh_due_at(
    obtained_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
) -> DateTime<Utc> {
    let lifetime = obtained_at.map_or(Duration::zero(), |o| expires_at - o);
    let ahead = (lifetime / 10).max(Duration::minutes(2));
    expires_at - ahead
}

/// Resolve refreshes first when the token expires within this window.
pub const RESOLVE_REFRESH_WINDOW_SECS: i64 = 60;

/// How long to wait before retrying a refresh after `failures` transient failures in a row:
/// 30 s doubling to at most an hour.
pub fn retry_backoff(failures: i32) -> Duration {
    let exp = failures.clamp(1, 8) - 1;
    Duration::seconds((30i64 << exp).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_and_public_addresses() {
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "224.0.0.1",
            "239.1.1.1",
            "255.255.255.255",
            "240.0.0.1",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "::127.0.0.1",
            "::10.0.0.1",
            // IANA special-purpose blocks, each at its edges.
            "192.0.0.0",
            "192.0.0.255",
            "192.0.2.1",
            "192.88.99.1",
            "198.18.0.0",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "100.127.255.255",
            "64:ff9b:1::1",
            "64:ff9b:1:ffff::1",
            "100::1",
            "100::ffff:ffff:ffff:ffff",
            "100:0:0:1::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:1ff:ffff::1",
            "2001:2::1",
            "2001:db8::1",
            "2001:db8:ffff::1",
            "3fff::1",
            "3fff:fff::1",
            "5f00::1",
            "::ffff:198.18.0.1",
            "::ffff:0:7f00:1",
            "::ffff:0:a00:1",
            "64:ff9b::c000:201",
        ];
        for a in refused {
            let ip: IpAddr = a.parse().expect(a);
            assert!(refused_reason(ip).is_some(), "{a} should be refused");
        }
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "172.15.255.255",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            // Just outside the special-purpose blocks.
            "191.255.255.255",
            "192.0.1.1",
            "192.0.3.0",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.101.0",
            "203.0.114.0",
            "64:ff9b:2::1",
            "2001:200::1",
            "2001:db9::1",
            "3fff:1000::1",
            "5f01::1",
            "100:0:0:2::1",
        ];
        for a in public {
            let ip: IpAddr = a.parse().expect(a);
            assert_eq!(refused_reason(ip), None, "{a} should be allowed");
        }
    }

    #[test]
    fn reasons_name_the_class() {
        let r = |a: &str| refused_reason(a.parse().expect("ip"));
        assert_eq!(r("127.0.0.1"), Some("a loopback address"));
        assert_eq!(r("::ffff:127.0.0.1"), Some("a loopback address"));
        assert_eq!(r("10.0.0.1"), Some("a private address"));
        assert_eq!(r("169.254.169.254"), Some("a link-local address"));
    }

    #[test]
    fn refresh_ahead_is_the_larger_of_two_minutes_and_a_tenth() {
        let t0 = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        // A one-hour token: 10 % is 6 minutes.
        let exp = t0 + Duration::hours(1);
        assert_eq!(refresh_due_at(Some(t0), exp), exp - Duration::minutes(6));
        // A five-minute token: 10 % is 30 s, so two minutes win.
        let exp = t0 + Duration::minutes(5);
        assert_eq!(refresh_due_at(Some(t0), exp), exp - Duration::minutes(2));
        // Unknown start: two minutes.
        assert_eq!(refresh_due_at(None, exp), exp - Duration::minutes(2));
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(retry_backoff(1), Duration::seconds(30));
        assert_eq!(retry_backoff(2), Duration::seconds(60));
        assert_eq!(retry_backoff(3), Duration::seconds(120));
        assert_eq!(retry_backoff(50), Duration::seconds(3600));
        assert_eq!(retry_backoff(0), Duration::seconds(30));
    }
}
