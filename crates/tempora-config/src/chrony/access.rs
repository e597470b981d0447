//! `allow` and `deny` lines: the `allow` and `deny` lists of
//! `[ntp-server]`.
//!
//! chrony lets the most specific rule for an address win, and a later
//! line for the same subnet replace an earlier one; `all` also clears the
//! rules inside the subnet. Tempora has two lists, and `deny` wins over any
//! `allow`: a later line removes the earlier rule of the other kind for
//! the same subnet (noted), a root `deny` is no entry (Tempora refuses
//! whatever no `allow` names), and an `allow` inside a wider `deny` is
//! noted as refused.

use std::net::IpAddr;

use super::toml::{Origin, one_line, quote};
use super::{Line, State};
use crate::ConfigError;

/// A subnet of an `allow` or `deny` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Subnet {
    /// An address of the subnet (masked when written).
    pub addr: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Subnet {
    /// The whole IPv4 and IPv6 space (chrony's `allow` without a subnet).
    pub(super) const ROOTS: [Subnet; 2] = [
        Subnet {
            addr: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            prefix: 0,
        },
        Subnet {
            addr: IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
            prefix: 0,
        },
    ];

    /// chrony's subnet: `ADDR`, `ADDR/BITS`, or one to three IPv4 octets
    /// (`10`, `192.168`, `192.168.1`, with or without `/BITS`), which
    /// stand for a /8, /16, /24. `None` for anything else (a host name).
    fn parse(text: &str) -> Option<Subnet> {
        let (a, bits) = match text.split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let (addr, implied) = match a.parse::<IpAddr>() {
            Ok(ip) => (ip, if ip.is_ipv4() { 32 } else { 128 }),
            Err(_) => short_ipv4(a)?,
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = bits.unwrap_or(implied);
        (prefix <= max).then_some(Subnet { addr, prefix })
    }

    fn bits(&self) -> (u128, u8) {
        match self.addr {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, self.prefix),
            IpAddr::V6(v6) => (u128::from(v6), self.prefix),
        }
    }

    /// Whether `other` lies within this subnet (or is it).
    pub(super) fn covers(&self, other: &Subnet) -> bool {
        if self.addr.is_ipv4() != other.addr.is_ipv4() || self.prefix > other.prefix {
            return false;
        }
        let ((a, p), (b, _)) = (self.bits(), other.bits());
        let mask = if p == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(p))
        };
        a & mask == b & mask
    }

    /// As Tempora writes a CIDR block (the address masked).
    pub(super) fn text(&self) -> String {
        let (bits, p) = self.bits();
        let mask = if p == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(p))
        };
        let masked = bits & mask;
        let addr = match self.addr {
            IpAddr::V4(_) => IpAddr::from(std::net::Ipv4Addr::from((masked >> 96) as u32)),
            IpAddr::V6(_) => IpAddr::from(std::net::Ipv6Addr::from(masked)),
        };
        format!("{addr}/{}", self.prefix)
    }
}

/// `10`, `192.168`, `192.168.1` as an IPv4 network and its implied prefix.
fn short_ipv4(text: &str) -> Option<(IpAddr, u8)> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (o, p) in octets.iter_mut().zip(&parts) {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    let prefix = u8::try_from(parts.len() * 8).ok()?;
    Some((IpAddr::from(octets), prefix))
}

impl State<'_> {
    /// `allow` and `deny`, with or without `all` and a subnet.
    pub(super) fn access(&mut self, line: &Line) -> Result<(), ConfigError> {
        let allow = line.name == "allow";
        let mut args = line.args.as_slice();
        let all = args.first().is_some_and(|a| a.eq_ignore_ascii_case("all"));
        if all {
            args = &args[1..];
        }
        let subnets: Vec<Subnet> = match args {
            [] => Subnet::ROOTS.to_vec(),
            [s] => match Subnet::parse(s) {
                Some(s) => vec![s],
                None => {
                    self.note(
                        line,
                        "not converted: Tempora's access lists take addresses and subnets, \
                         not host names",
                    );
                    return Ok(());
                }
            },
            _ => return Err(self.error(line, format!("`{}` takes at most one subnet", line.name))),
        };
        let origin = line.origin();
        for s in subnets {
            self.access_rule(allow, all, s, &origin);
        }
        Ok(())
    }

    /// One subnet of an `allow` or `deny` line: later lines override
    /// earlier ones for the same subnet, `all` for the subnets within.
    fn access_rule(&mut self, allow: bool, all: bool, s: Subnet, origin: &Origin) {
        let serve = &mut self.serve;
        let (mine, theirs) = if allow {
            (&mut serve.allow, &mut serve.deny)
        } else {
            (&mut serve.deny, &mut serve.allow)
        };
        let overridden = |r: &Subnet| if all { s.covers(r) } else { *r == s };
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(theirs)
            .into_iter()
            .partition(|(r, _)| overridden(r));
        *theirs = kept;
        // Denying everything is what Tempora does to whatever no `allow`
        // names: a root `deny` would overrule every later `allow`.
        let root_deny = s.prefix == 0 && !allow;
        if !root_deny {
            mine.push((s, origin.clone()));
        }
        if root_deny {
            self.note_at(
                origin,
                format!(
                    "{}: converted as no entry: Tempora refuses every client no `allow` names",
                    s.text()
                ),
            );
        }
        for (r, o) in gone {
            self.note_at(
                &o,
                format!("{}: left out: line {} overrides it", r.text(), origin.line),
            );
        }
    }

    /// A note on each `allow` that a wider `deny` overrules in Tempora.
    pub(super) fn access_conflicts(&mut self) {
        let mut conflicts = Vec::new();
        for (a, ao) in &self.serve.allow {
            if let Some((d, dn)) = self
                .serve
                .deny
                .iter()
                .find(|(d, _)| d.covers(a) && d.prefix < a.prefix)
            {
                conflicts.push((ao.clone(), a.text(), d.text(), dn.line));
            }
        }
        for (o, a, d, line) in conflicts {
            self.note_at(
                &o,
                format!(
                    "{a} is inside `deny` {d} (line {line}): Tempora's deny wins over a narrower \
                     allow, so these clients are refused (chronyd would answer them)"
                ),
            );
        }
    }
}

/// A TOML array of subnets, each with its line.
pub(super) fn list(rules: &[(Subnet, Origin)]) -> String {
    let mut out = String::from("[\n");
    for (s, o) in rules {
        out.push_str(&format!(
            "  {},  # line {}: {}\n",
            quote(&s.text()),
            o.line,
            one_line(&o.text)
        ));
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrony_subnets() {
        let t = |s: &str| Subnet::parse(s).map(|s| s.text());
        assert_eq!(t("10").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(t("192.168.1").as_deref(), Some("192.168.1.0/24"));
        assert_eq!(t("192.168.1.7").as_deref(), Some("192.168.1.7/32"));
        assert_eq!(t("10/8").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(t("172.16.5.9/12").as_deref(), Some("172.16.0.0/12"));
        assert_eq!(t("fd00::/8").as_deref(), Some("fd00::/8"));
        assert_eq!(t("10.0.0.0/33"), None);
        assert_eq!(t("ntp.example.com"), None);
        assert_eq!(t("1.2.3.4.5"), None);
    }

    #[test]
    fn coverage() {
        let s = |x: &str| Subnet::parse(x).unwrap();
        assert!(s("10/8").covers(&s("10.1/16")));
        assert!(!s("10.1/16").covers(&s("10/8")));
        assert!(Subnet::ROOTS[0].covers(&s("192.0.2.1")));
        assert!(!Subnet::ROOTS[0].covers(&s("fd00::/8")));
    }
}
