//! Where a webhook may be sent. A subscription names a URL; the addresses its host resolves
//! to must all be public unless the configuration allowlists them
//! (`MARDOM_WEBHOOK_ALLOW`), so that a portal cannot make the server call into the Center's
//! own network (SSRF): no loopback, private, link-local (cloud metadata: 169.254.169.254),
//! shared, multicast, reserved or unspecified address, in IPv4, IPv6 or IPv4 inside IPv6.
//! The check is made when the subscription is created and again on every connection (the
//! dispatcher resolves through it), so a name that later resolves elsewhere is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Addresses (or networks) a webhook may reach although they are not public: a receiver on
/// the Center's own network, or a test's on 127.0.0.1.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist(Vec<IpNet>);

impl Allowlist {
    /// Parses a comma-separated list of addresses and networks (`127.0.0.1, 10.20.0.0/16`).
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{item}` is not an IP address or network"))
            })
            .collect::<Result<_, _>>()
            .map(Allowlist)
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// Why an address may not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0} is a loopback address")]
    Loopback(IpAddr),
    #[error("{0} is a private address")]
    Private(IpAddr),
    #[error("{0} is a link-local address (cloud metadata lives there)")]
    LinkLocal(IpAddr),
    #[error("{0} is not a public unicast address")]
    NotPublic(IpAddr),
}

/// An IPv4 address carried in IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Whether `ip` may be reached: public, or allowlisted.
pub fn check(ip: IpAddr, allow: &Allowlist) -> Result<(), Refused> {
    if allow.allows(ip) {
        return Ok(());
    }
    match canonical(ip) {
        IpAddr::V4(v4) => check_v4(v4),
        IpAddr::V6(v6) => check_v6(v6),
    }
}

fn check_v4(ip: Ipv4Addr) -> Result<(), Refused> {
    let [a, b, c, _] = ip.octets();
    let any = IpAddr::V4(ip);
    if ip.is_loopback() {
        return Err(Refused::Loopback(any));
    }
    if ip.is_private() {
        return Err(Refused::Private(any));
    }
    if ip.is_link_local() {
        return Err(Refused::LinkLocal(any));
    }
    let not_public = ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0                                  // "this network"
        || (a == 100 && (64..128).contains(&b))    // shared (carrier-grade NAT)
        || (a == 192 && b == 0 && c == 0)          // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b))     // benchmarking
        || a >= 240; // reserved
    if not_public {
        return Err(Refused::NotPublic(any));
    }
    Ok(())
}

fn check_v6(ip: Ipv6Addr) -> Result<(), Refused> {
    let any = IpAddr::V6(ip);
    let first = ip.segments()[0];
    if ip.is_loopback() {
        return Err(Refused::Loopback(any));
    }
    if (first & 0xfe00) == 0xfc00 {
        // Unique local (fc00::/7), where fd00:ec2::254 (a cloud's metadata) lives.
        return Err(Refused::Private(any));
    }
    if (first & 0xffc0) == 0xfe80 {
        return Err(Refused::LinkLocal(any));
    }
    let not_public = ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xffc0) == 0xfec0              // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b // NAT64: may reach IPv4 inside
        || ip.to_ipv4().is_some(); // IPv4-compatible (::a.b.c.d)
    if not_public {
        return Err(Refused::NotPublic(any));
    }
    Ok(())
}

/// A subscription's URL, checked for its form (the addresses are checked on resolution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl {
    pub url: url::Url,
}

/// What is wrong with a URL's form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadUrl {
    #[error("not an absolute URL")]
    Unparsable,
    #[error("only http and https are accepted")]
    Scheme,
    #[error(
        "a URL with a user name or password would keep a credential in the subscription; use the signature"
    )]
    Credentials,
    #[error("the URL has no host")]
    NoHost,
    #[error("at most 2000 characters")]
    TooLong,
}

impl TargetUrl {
    pub fn parse(text: &str) -> Result<Self, BadUrl> {
        if text.chars().count() > 2000 {
            return Err(BadUrl::TooLong);
        }
        let url = url::Url::parse(text.trim()).map_err(|_| BadUrl::Unparsable)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BadUrl::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(BadUrl::Credentials);
        }
        if url.host().is_none() {
            return Err(BadUrl::NoHost);
        }
        Ok(Self { url })
    }

    /// The address in the URL itself, when it names one rather than a host name.
    pub fn literal_address(&self) -> Option<IpAddr> {
        match self.url.host()? {
            url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
            url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
            url::Host::Domain(_) => None,
        }
    }

    /// Plain `http` is for allowlisted receivers only (a Center's own network, a test): what
    /// crosses the internet goes over TLS.
    pub fn plain_http_allowed(&self, addresses: &[IpAddr], allow: &Allowlist) -> bool {
        self.url.scheme() == "https"
            || (!addresses.is_empty() && addresses.iter().all(|ip| allow.allows(*ip)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn inside_addresses_are_refused_public_ones_pass() {
        let none = Allowlist::default();
        for (address, class) in [
            ("127.0.0.1", "loopback"),
            ("127.0.0.2", "loopback"),
            ("::1", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.5.4", "private"),
            ("192.168.1.1", "private"),
            ("fd00:ec2::254", "private"),
            ("169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("::ffff:10.0.0.1", "private"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("0.0.0.0", "public"),
            ("::", "public"),
            ("100.64.0.1", "public"),
            ("224.0.0.1", "public"),
            ("255.255.255.255", "public"),
            ("192.0.2.10", "public"),
            ("198.18.0.1", "public"),
            ("240.0.0.1", "public"),
            ("64:ff9b::a00:1", "public"),
            ("::10.0.0.1", "public"),
        ] {
            let refused = check(ip(address), &none).expect_err(address);
            assert!(refused.to_string().contains(class), "{address}: {refused}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::6810:85e5",
            "1.1.1.1",
        ] {
            assert_eq!(check(ip(public), &none), Ok(()), "{public}");
        }
    }

    #[test]
    fn the_allowlist_admits_exactly_what_it_names() {
        let allow = Allowlist::parse("127.0.0.1, 10.20.0.0/16").unwrap();
        assert_eq!(check(ip("127.0.0.1"), &allow), Ok(()));
        assert_eq!(check(ip("::ffff:127.0.0.1"), &allow), Ok(()));
        assert!(check(ip("127.0.0.2"), &allow).is_err());
        assert_eq!(check(ip("10.20.3.4"), &allow), Ok(()));
        assert!(check(ip("10.21.0.1"), &allow).is_err());
        assert!(check(ip("169.254.169.254"), &allow).is_err());
        assert!(Allowlist::parse("127.0.0.1, nonsense").is_err());
        assert_eq!(Allowlist::parse("").unwrap(), Allowlist::default());
    }

    #[test]
    fn urls_are_http_or_https_without_credentials() {
        assert!(TargetUrl::parse("https://portal.example/hooks").is_ok());
        assert_eq!(
            TargetUrl::parse("ftp://portal.example/").unwrap_err(),
            BadUrl::Scheme
        );
        assert_eq!(
            TargetUrl::parse("file:///etc/passwd").unwrap_err(),
            BadUrl::Scheme
        );
        assert_eq!(
            TargetUrl::parse("https://u:p@portal.example/").unwrap_err(),
            BadUrl::Credentials
        );
        assert_eq!(
            TargetUrl::parse("not a url").unwrap_err(),
            BadUrl::Unparsable
        );
        let literal = TargetUrl::parse("http://[::ffff:a00:1]:8080/x").unwrap();
        assert_eq!(literal.literal_address(), Some(ip("::ffff:10.0.0.1")));
        let allow = Allowlist::parse("127.0.0.1").unwrap();
        let plain = TargetUrl::parse("http://127.0.0.1:9/").unwrap();
        assert!(plain.plain_http_allowed(&[ip("127.0.0.1")], &allow));
        assert!(!plain.plain_http_allowed(&[ip("93.184.216.34")], &allow));
    }
}
