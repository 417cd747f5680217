//! Who is asking, by network address: the peer, or — when the peer is one
//! of the operator's own proxies — the address that proxy says it serves.
//!
//! `X-Forwarded-For` is a list any client can start; only the entries that
//! trusted proxies appended are believed. It is read from the right: the
//! first address that is not a trusted proxy is the client. Without trusted
//! proxies configured the header is ignored, so a client cannot choose the
//! address it is limited by.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The networks whose connections are the operator's proxies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR networks
    /// (`10.0.0.0/8, 192.0.2.7, ::1`).
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{s:?} is not an IP address or network (CIDR)"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address for `req` (`None` without a peer, as in tests
    /// that call handlers directly).
    pub(crate) fn client_of(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip().to_canonical();
        if !self.trusts(peer) {
            return Some(peer);
        }
        let header: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        Some(self.client_behind(peer, &header.join(",")))
    }

    /// The client that `header` (an `X-Forwarded-For` value) names,
    /// received from the trusted proxy `peer`.
    pub(crate) fn client_behind(&self, peer: IpAddr, header: &str) -> IpAddr {
        let forwarded: Vec<IpAddr> = header.split(',').filter_map(forwarded_address).collect();
        self.client_in(peer, &forwarded)
    }

    /// From the right of `forwarded`, the first address not a trusted proxy
    /// (or the leftmost, when every hop is trusted; the peer when none).
    fn client_in(&self, peer: IpAddr, forwarded: &[IpAddr]) -> IpAddr {
        forwarded
            .iter()
            .rev()
            .find(|a| !self.trusts(**a))
            .or(forwarded.first())
            .copied()
            .unwrap_or(peer)
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port or brackets;
/// `None` for anything else (`unknown`, a name), which is skipped.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(address) = entry.parse::<IpAddr>() {
        return Some(address.to_canonical());
    }
    if let Ok(socket) = entry.parse::<std::net::SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    entry
        .strip_prefix('[')
        .and_then(|e| e.strip_suffix(']'))
        .and_then(|e| e.parse::<IpAddr>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_what_trusted_proxies_appended_is_believed() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7").unwrap();
        let proxy = ip("10.1.2.3");
        // A client behind two of ours.
        let hops = [ip("203.0.113.9"), ip("10.9.9.9")];
        assert_eq!(trusted.client_in(proxy, &hops), ip("203.0.113.9"));
        // A client that wrote its own header first: the proxy's entry wins.
        let forged = [ip("198.51.100.1"), ip("203.0.113.9")];
        assert_eq!(trusted.client_in(proxy, &forged), ip("203.0.113.9"));
        // Everything trusted: the leftmost; no header: the proxy itself.
        assert_eq!(trusted.client_in(proxy, &[ip("10.0.0.1")]), ip("10.0.0.1"));
        assert_eq!(trusted.client_in(proxy, &[]), proxy);
        assert!(trusted.trusts(ip("::ffff:10.1.1.1")), "mapped addresses");
        assert!(!trusted.trusts(ip("192.0.2.8")));
    }

    #[test]
    fn entries_and_lists_parse_or_are_refused() {
        assert_eq!(forwarded_address(" 203.0.113.9 "), Some(ip("203.0.113.9")));
        assert_eq!(
            forwarded_address("203.0.113.9:4711"),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(forwarded_address("[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(
            forwarded_address("[2001:db8::1]:80"),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(forwarded_address("unknown"), None);
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
    }
}
