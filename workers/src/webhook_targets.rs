//! Where webhook deliveries may go.
//!
//! A webhook's URL is the one place where a user makes the server open a
//! connection of their choosing. Left open, it reaches what sits behind the
//! firewall (the database, a cloud's metadata service at 169.254.169.254, an
//! admin port on loopback), and the deliveries log, which shows how each
//! attempt ended, turns it into a port scanner. So a receiver must be on a
//! public address: checked when the webhook is created (a literal address, or
//! a `localhost` name) and again at every delivery, on the addresses its name
//! resolves to at that moment (a name that was public at creation can point
//! inside later: DNS rebinding). Redirects are never followed, and no proxy
//! from the environment is used (it would resolve the name for us).
//!
//! Operators who run their receivers inside their own network say so
//! (`webhooks_allow_private`); then plain `http://` is accepted too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which receivers webhooks may be sent to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookTargets {
    /// Loopback, private, link-local and other non-public addresses, and
    /// plain `http://`, are allowed (receivers inside the operator's own
    /// network). Off by default.
    pub allow_private: bool,
}

/// Why a receiver's URL is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefusedTarget {
    /// Neither `https://` nor, where private targets are allowed, `http://`.
    #[error("the receiver's URL must start with https://")]
    NotHttps,
    /// No host to connect to.
    #[error("the receiver's URL has no host")]
    NoHost,
    /// A name or address that is not on the public internet.
    #[error(
        "the receiver {0} is not a public address (loopback, private, link-local, \
         multicast and unspecified addresses are refused)"
    )]
    NotPublic(String),
}

impl WebhookTargets {
    /// Checks what can be checked without a lookup: the scheme, and the host
    /// when it is an address or a `localhost` name. The name's addresses are
    /// checked when it is resolved, at each delivery.
    pub fn check_url(&self, url: &Url) -> Result<(), RefusedTarget> {
        let host = url.host().ok_or(RefusedTarget::NoHost)?;
        // Where it goes first: that is the graver refusal.
        if !self.allow_private {
            let refused = |host: &dyn std::fmt::Display| RefusedTarget::NotPublic(host.to_string());
            match host {
                url::Host::Ipv4(ip) if !is_public(IpAddr::V4(ip)) => return Err(refused(&ip)),
                url::Host::Ipv6(ip) if !is_public(IpAddr::V6(ip)) => return Err(refused(&ip)),
                url::Host::Domain(name) if is_local_name(name) => return Err(refused(&name)),
                _ => {}
            }
        }
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.allow_private => Ok(()),
            _ => Err(RefusedTarget::NotHttps),
        }
    }

    /// The HTTP client deliveries go out with: this policy applied to every
    /// address a name resolves to, no redirects followed (a receiver cannot
    /// bounce our signed requests elsewhere), no proxy, a bounded wait.
    pub(crate) fn client(self, timeout: std::time::Duration) -> reqwest::Client {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .user_agent(concat!("darkroom-webhooks/", env!("CARGO_PKG_VERSION")));
        if !self.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicAddressesOnly));
        }
        builder
            .build()
            .expect("invariant: the webhook client's settings are valid")
    }
}

/// Resolves names as the system does, then keeps only public addresses; a
/// name left with none is refused (and no connection is made).
struct PublicAddressesOnly;

impl Resolve for PublicAddressesOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|address| is_public(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(RefusedTarget::NotPublic(host)) as _);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// `localhost` and its subdomains, which resolvers answer locally (RFC 6761).
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// True for an address on the public internet: not loopback, private
/// (RFC 1918, unique local), shared (carrier-grade NAT), link-local,
/// multicast, broadcast, unspecified, documentation or benchmarking, and
/// not an IPv4 address of those kinds written as IPv6 (mapped, compatible,
/// NAT64 or 6to4).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space, RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, RFC 2544
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)) // documentation
}

/// The IPv4 address inside an IPv6 one that carries it: mapped
/// (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) or
/// 6to4 (`2002:AABB:CCDD::/48`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let last_two = || Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7]));
    match s {
        // Compatible, but not :: and ::1 themselves (checked as IPv6).
        [0, 0, 0, 0, 0, 0, _, _] if u32::from(s[6]) << 16 | u32::from(s[7]) > 1 => Some(last_two()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(last_two()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        let public = [
            "1.1.1.1",
            "93.184.216.34",
            "100.63.255.255",
            "172.32.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ];
        for ip in public {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        let inside = [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254", // cloud metadata
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "198.18.0.1",
            "240.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "fd00::1",
            "fc12::1",
            "ff02::1",
            "::ffff:127.0.0.1", // mapped
            "::ffff:10.0.0.1",
            "::127.0.0.1",        // compatible
            "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
            "2002:7f00:1::",      // 6to4 of 127.0.0.1
            "2001:db8::1",
        ];
        for ip in inside {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_by_scheme_and_literal_host() {
        let strict = WebhookTargets::default();
        let check = |targets: WebhookTargets, url: &str| targets.check_url(&url.parse().unwrap());
        assert_eq!(check(strict, "https://partner.example/hook"), Ok(()));
        assert_eq!(check(strict, "https://93.184.216.34/hook"), Ok(()));
        assert_eq!(
            check(strict, "http://partner.example/hook"),
            Err(RefusedTarget::NotHttps)
        );
        for inside in [
            "https://127.0.0.1:8080/",
            "https://localhost/",
            "https://api.LOCALHOST./",
            "https://[::1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://169.254.169.254/latest/meta-data/",
            "https://2130706433/", // 127.0.0.1 as one number
            "https://0x7f.1/",     // and in hex
            "https://10.1/",       // 10.0.0.1, shortened
        ] {
            assert!(
                matches!(check(strict, inside), Err(RefusedTarget::NotPublic(_))),
                "{inside}"
            );
        }
        assert_eq!(
            check(strict, "ftp://partner.example/"),
            Err(RefusedTarget::NotHttps)
        );
        assert!(matches!(
            check(strict, "http://10.0.0.7/"),
            Err(RefusedTarget::NotPublic(_))
        ));

        let inside_allowed = WebhookTargets {
            allow_private: true,
        };
        assert_eq!(check(inside_allowed, "http://127.0.0.1:9/hook"), Ok(()));
        assert_eq!(check(inside_allowed, "https://10.0.0.7/hook"), Ok(()));
        assert_eq!(
            check(inside_allowed, "ftp://10.0.0.7/"),
            Err(RefusedTarget::NotHttps)
        );
    }

    #[tokio::test]
    async fn names_resolving_inside_are_refused_at_connect_time() {
        // `localhost` resolves (from /etc/hosts) to loopback only: the strict
        // client refuses to connect, the permissive one gets as far as a
        // closed port.
        let url = "http://localhost:9/hook";
        let strict = WebhookTargets::default().client(std::time::Duration::from_secs(5));
        let err = strict.post(url).send().await.unwrap_err();
        let refused =
            std::iter::successors(Some(&err as &(dyn std::error::Error + 'static)), |e| {
                e.source()
            })
            .any(|e| e.downcast_ref::<RefusedTarget>().is_some());
        assert!(refused, "{err:?}");
    }
}
