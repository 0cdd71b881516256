//! Who the client is, by address. Behind a reverse proxy every connection comes from the proxy, so
//! the client's own address is read from `X-Forwarded-For`, but only when the connection comes from a
//! proxy the operator trusts (`INBOX_TRUSTED_PROXIES`): anyone else could write any address there.

use std::net::IpAddr;

/// An address range: an address and how many leading bits of it must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(net)), 32, self.prefix)
                    == masked(u128::from(u32::from(ip)), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix)
                    == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of a `width`-bit number.
fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    match prefix {
        0 => 0,
        p => bits >> (width - p.min(width)),
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`, as a dual-stack socket reports it) is IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed. Empty (the default): none is, and the connection's
/// own peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// Comma-separated addresses or CIDR ranges (`10.0.0.1, 172.16.0.0/12, fd00::/8`).
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut networks = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (address, prefix) = match item.split_once('/') {
                Some((address, prefix)) => (address, Some(prefix)),
                None => (item, None),
            };
            let address: IpAddr = address
                .parse()
                .map_err(|_| format!("{item:?} is not an IP address or CIDR range"))?;
            let address = canonical(address);
            let width = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => width,
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= width)
                    .ok_or_else(|| format!("{item:?} has a prefix length beyond {width}"))?,
            };
            networks.push(Network { address, prefix });
        }
        Ok(TrustedProxies(networks))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client's address: the connection's peer, unless that peer is a trusted proxy; then the
    /// right-most address of `X-Forwarded-For` (all its header lines, in order) that is not a trusted
    /// proxy. Each proxy appends the address it received the request from, so everything left of the
    /// first untrusted hop was written by the client and proves nothing. An entry that is not an
    /// address stops the walk at the last trusted hop.
    pub fn client_address<'a>(
        &self,
        peer: Option<IpAddr>,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> Option<IpAddr> {
        let mut client = canonical(peer?);
        if !self.trusts(client) {
            return Some(client);
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|line| line.split(','))
            .collect();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        Some(client)
    }
}

impl TrustedProxies {
    /// The client of `req` ([`TrustedProxies::client_address`] over its peer and `X-Forwarded-For`). A
    /// header line that is not text counts as an entry that is not an address (it ends the walk), so
    /// that whatever a client wrote left of it cannot be taken for a hop.
    pub fn client_of(&self, req: &poem::Request) -> Option<IpAddr> {
        let forwarded_for = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| v.to_str().unwrap_or("not text"));
        self.client_address(
            req.remote_addr().as_socket_addr().map(|a| a.ip()),
            forwarded_for,
        )
    }
}

/// The client address as the sign-in throttle and the rate limits count it: IPv4 whole, IPv6 by its
/// /64, which one machine usually holds whole.
pub fn address_key(address: Option<IpAddr>) -> String {
    match address.map(canonical) {
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(v4) => v4.to_string(),
        None => "unknown".to_owned(),
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`, `[2001:db8::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })?;
    Some(canonical(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_address(ip("10.0.0.1"), ["6.6.6.6"].into_iter()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7").unwrap();
        // The client wrote a fake address on the left; the proxies appended the real one.
        let header = ["6.6.6.6, 203.0.113.9", "10.1.2.3"];
        assert_eq!(
            trusted.client_address(ip("192.168.1.7"), header.into_iter()),
            ip("203.0.113.9")
        );
        // Every hop trusted: the left-most one.
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), ["10.0.0.9, 10.0.0.8"].into_iter()),
            ip("10.0.0.9")
        );
        // No header: the proxy itself.
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), std::iter::empty()),
            ip("10.0.0.1")
        );
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), ["203.0.113.9, unknown"].into_iter()),
            ip("10.0.0.1")
        );
        // Ports, brackets and IPv4 written as IPv6.
        assert_eq!(
            trusted.client_address(ip("::ffff:10.0.0.1"), ["[2001:db8::1]:443"].into_iter()),
            ip("2001:db8::1")
        );
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), ["203.0.113.9:5555"].into_iter()),
            ip("203.0.113.9")
        );
        // A peer outside the trusted ranges is believed about nothing.
        assert_eq!(
            trusted.client_address(ip("192.168.1.8"), ["203.0.113.9"].into_iter()),
            ip("192.168.1.8")
        );
    }

    #[test]
    fn ranges_parse_and_match_by_prefix() {
        let t = TrustedProxies::parse(" 172.16.0.0/12 ,fd00::/8,::1,0.0.0.0/0").unwrap();
        assert!(t.trusts("172.31.255.255".parse().unwrap()));
        assert!(t.trusts("fdab::1".parse().unwrap()));
        assert!(t.trusts("::1".parse().unwrap()));
        assert!(
            t.trusts("8.8.8.8".parse().unwrap()),
            "0.0.0.0/0 is every IPv4"
        );
        assert!(!t.trusts("2001:db8::1".parse().unwrap()));
        let narrow = TrustedProxies::parse("172.16.0.0/12").unwrap();
        assert!(!narrow.trusts("172.32.0.0".parse().unwrap()));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        for bad in ["10.0.0.0/33", "fd00::/129", "proxy.local", "10.0.0.0/x"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }
}
