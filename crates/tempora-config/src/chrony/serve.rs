//! What makes chronyd a server: `allow`/`deny`, `ratelimit`, `local`,
//! `port`, `bindaddress` and the NTS server's directives, into
//! `[ntp-server]` and `[nts-ke-server]`.
//!
//! chronyd answers no NTP client unless an `allow` line lets some in, so
//! the sections are written only when one does; Tempora's `[ntp-server]`
//! with an empty `allow` would answer everyone.

use std::net::IpAddr;

use super::args::Opts;
use super::toml::{Origin, Table, one_line, quote, quote_all};
use super::{Line, State};
use crate::ConfigError;

/// A subnet of an `allow` or `deny` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Subnet {
    addr: IpAddr,
    prefix: u8,
}

impl Subnet {
    /// The whole IPv4 and IPv6 space (chrony's `allow` without a subnet).
    const ROOTS: [Subnet; 2] = [
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
    fn covers(&self, other: &Subnet) -> bool {
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
    fn text(&self) -> String {
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

/// The server's directives as the file gives them.
#[derive(Default)]
pub(super) struct Serving {
    allow: Vec<(Subnet, Origin)>,
    deny: Vec<(Subnet, Origin)>,
    /// `[ntp-server]` keys other than `listen`, `allow`, `deny`.
    ntp: Table,
    /// `port`.
    port: Option<(u16, Origin)>,
    /// `bindaddress` lines.
    bind: Vec<(IpAddr, Origin)>,
    /// `[nts-ke-server]` keys other than `listen`.
    nts: Table,
    /// `ntsport`.
    nts_port: Option<(u16, Origin)>,
    /// Lines that only matter to a server, for the note when there is none.
    server_only: Vec<Origin>,
}

impl State<'_> {
    /// One of the server's directives.
    pub(super) fn serving(&mut self, line: &Line) -> Result<(), ConfigError> {
        match line.name.as_str() {
            "allow" | "deny" => self.access(line),
            "ratelimit" => self.rate_limit(line, false),
            "ntsratelimit" => self.rate_limit(line, true),
            "local" => self.local(line),
            "port" | "ntsport" => self.port(line),
            "bindaddress" => self.bind(line),
            _ => self.nts_server(line),
        }
    }

    /// `allow` and `deny`, with or without `all` and a subnet.
    fn access(&mut self, line: &Line) -> Result<(), ConfigError> {
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

    /// `ratelimit` or `ntsratelimit` `[interval N] [burst N] [leak N]`.
    fn rate_limit(&mut self, line: &Line, nts: bool) -> Result<(), ConfigError> {
        let opts = self.opts(line, &line.args, &[], &["interval", "burst", "leak"])?;
        let origin = line.origin();
        let mut t = std::mem::take(if nts {
            &mut self.serve.nts
        } else {
            &mut self.serve.ntp
        });
        t.set("rate-limit", "true".into(), &origin);
        let interval = self.opt_int(line, &opts, "interval", -19, 12)?;
        if let Some(i) = interval {
            let clamped = i.clamp(-4, 12);
            if clamped != i {
                self.note(line, format!("`interval {i}`: changed to {clamped}: Tempora limits rates from 16 per second"));
            }
            t.set("rate-limit-interval", clamped.to_string(), &origin);
        }
        if let Some(b) = self.opt_int(line, &opts, "burst", 1, 255)? {
            t.set("rate-limit-burst", b.to_string(), &origin);
        }
        if let Some(l) = self.opt_int(line, &opts, "leak", 0, 4)? {
            t.set("rate-limit-leak", l.to_string(), &origin);
        }
        *(if nts {
            &mut self.serve.nts
        } else {
            &mut self.serve.ntp
        }) = t;
        Ok(())
    }

    /// An integer option within `lo..=hi` (chronyd refuses others).
    fn opt_int(
        &self,
        line: &Line,
        opts: &Opts,
        name: &str,
        lo: i32,
        hi: i32,
    ) -> Result<Option<i32>, ConfigError> {
        let Some(v) = opts.value(name) else {
            return Ok(None);
        };
        let n: i32 = self.int(line, name, v)?;
        if !(lo..=hi).contains(&n) {
            return Err(self.error(line, format!("`{name}` must be {lo} to {hi}, not {n}")));
        }
        Ok(Some(n))
    }

    /// `local [stratum N] [orphan] [distance D] …`.
    fn local(&mut self, line: &Line) -> Result<(), ConfigError> {
        let opts = self.opts(
            line,
            &line.args,
            &["orphan"],
            &[
                "stratum",
                "distance",
                "activate",
                "waitsynced",
                "waitunsynced",
            ],
        )?;
        let stratum = self.opt_int(line, &opts, "stratum", 1, 15)?.unwrap_or(10);
        self.serve
            .ntp
            .set("local-stratum", stratum.to_string(), &line.origin());
        for (name, _) in &opts.list {
            if name != "stratum" {
                self.note(
                    line,
                    format!("`{name}`: left out: Tempora serves its local stratum whenever no source is synchronised"),
                );
            }
        }
        Ok(())
    }

    /// `port N` (NTP) or `ntsport N` (NTS-KE).
    fn port(&mut self, line: &Line) -> Result<(), ConfigError> {
        let [p] = line.args.as_slice() else {
            return Err(self.error(line, format!("`{}` takes one port number", line.name)));
        };
        let p: u16 = self.int(line, &line.name, p)?;
        let slot = if line.name == "port" {
            &mut self.serve.port
        } else {
            &mut self.serve.nts_port
        };
        *slot = Some((p, line.origin()));
        Ok(())
    }

    /// `bindaddress ADDRESS`.
    fn bind(&mut self, line: &Line) -> Result<(), ConfigError> {
        let [a] = line.args.as_slice() else {
            return Err(self.error(line, "`bindaddress` takes one address"));
        };
        let Ok(ip) = a.parse::<IpAddr>() else {
            return Err(self.error(line, format!("`bindaddress`: `{a}` is not an IP address")));
        };
        self.serve.bind.retain(|(b, _)| b.is_ipv4() != ip.is_ipv4());
        self.serve.bind.push((ip, line.origin()));
        Ok(())
    }

    /// `ntsservercert`, `ntsserverkey`, `ntsrotate`, `ntsntpserver`,
    /// `ntsdumpdir`.
    fn nts_server(&mut self, line: &Line) -> Result<(), ConfigError> {
        let [value] = line.args.as_slice() else {
            return Err(self.error(line, format!("`{}` takes one value", line.name)));
        };
        let origin = line.origin();
        let key = match line.name.as_str() {
            "ntsservercert" => "certificate-chain",
            "ntsserverkey" => "private-key",
            "ntsntpserver" => "ntp-server",
            "ntsrotate" => return self.nts_rotate(line, value),
            _ => return self.dump_dir(line, value),
        };
        if self.serve.nts.has(key) {
            self.note(
                line,
                "left out: Tempora's NTS-KE server has one certificate and key (the first pair)",
            );
            return Ok(());
        }
        self.serve.nts.set_str(key, value, &origin);
        Ok(())
    }

    fn nts_rotate(&mut self, line: &Line, value: &str) -> Result<(), ConfigError> {
        let secs: u32 = self.int(line, "ntsrotate", value)?;
        if secs == 0 {
            self.note(
                line,
                "left out: Tempora always rotates its NTS master keys (default daily)",
            );
        } else {
            self.serve
                .nts
                .set_str("key-rotation", &format!("{secs}s"), &line.origin());
        }
        Ok(())
    }

    fn dump_dir(&mut self, line: &Line, dir: &str) -> Result<(), ConfigError> {
        let path = format!("{}/tempora-nts-keys", dir.trim_end_matches('/'));
        self.serve.nts.set_str("key-file", &path, &line.origin());
        self.serve.server_only.push(line.origin());
        Ok(())
    }

    /// Whether the output gets an `[ntp-server]`: an `allow` line, and no
    /// `port 0`.
    pub(super) fn serves(&self) -> bool {
        !self.serve.allow.is_empty() && !matches!(self.serve.port, Some((0, _)))
    }

    /// The server's `key-file` (chrony's `keyfile`).
    pub(super) fn serve_key_file(&mut self, path: &str, origin: &Origin) {
        self.serve.ntp.set_str("key-file", path, origin);
    }

    /// `[ntp-server]` and `[nts-ke-server]`, if an `allow` lets clients in;
    /// notes for the server's lines otherwise.
    pub(super) fn serve_tables(&mut self) -> Vec<Table> {
        if let Some((0, o)) = self.serve.port.clone() {
            self.serve.port = None;
            for (_, a) in std::mem::take(&mut self.serve.allow) {
                self.note_at(
                    &a,
                    format!(
                        "not needed: `port 0` (line {}) turns chronyd's NTP server off",
                        o.line
                    ),
                );
            }
            self.note_at(&o, "converted: no [ntp-server] is written");
        }
        if self.serve.allow.is_empty() {
            self.no_server();
            return Vec::new();
        }
        self.access_conflicts();
        let mut tables = vec![self.ntp_server_table()];
        tables.extend(self.nts_ke_table());
        tables
    }

    /// Notes for every server line when there is no server.
    fn no_server(&mut self) {
        let s = &mut self.serve;
        let mut lines: Vec<Origin> = s.deny.drain(..).map(|(_, o)| o).collect();
        lines.extend(s.ntp.origins());
        lines.extend(s.nts.origins());
        lines.extend(s.port.take().map(|(_, o)| o));
        lines.extend(s.nts_port.take().map(|(_, o)| o));
        lines.extend(s.bind.drain(..).map(|(_, o)| o));
        lines.retain(|o| !s.server_only.contains(o));
        let dump: Vec<Origin> = s.server_only.drain(..).collect();
        lines.sort_by_key(|o| o.line);
        lines.dedup();
        for o in lines {
            self.note_at(
                &o,
                "not needed: without an `allow` line chronyd answers no NTP client, \
                 so no [ntp-server] is written",
            );
        }
        for o in dump {
            self.note_at(
                &o,
                "not needed: Tempora's NTS client keeps no cookies across restarts \
                 (it runs key establishment at start), and there is no NTS server",
            );
        }
    }

    /// A note on each `allow` that a wider `deny` overrules in Tempora.
    fn access_conflicts(&mut self) {
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

    /// `[ntp-server]`.
    fn ntp_server_table(&mut self) -> Table {
        let s = &mut self.serve;
        let mut t = std::mem::take(&mut s.ntp);
        t.rename("[ntp-server]");
        let port = s.port.as_ref().map_or(123, |(p, _)| *p);
        let listen = listen(&s.bind, port);
        let origin = s
            .port
            .as_ref()
            .map(|(_, o)| o.clone())
            .or_else(|| s.bind.first().map(|(_, o)| o.clone()))
            .unwrap_or_else(|| s.allow[0].1.clone());
        let mut listen_lines: Vec<Origin> = s.bind.iter().map(|(_, o)| o.clone()).collect();
        listen_lines.extend(s.port.iter().map(|(_, o)| o.clone()));
        t.set_essential("listen", array(&listen, &listen_lines), &origin);
        t.move_first("listen");
        t.set("allow", list(&s.allow), &s.allow[0].1.clone());
        if let Some((_, o)) = s.deny.first() {
            let o = o.clone();
            t.set("deny", list(&s.deny), &o);
        }
        t
    }

    /// `[nts-ke-server]`, when both the certificate and the key are given.
    fn nts_ke_table(&mut self) -> Option<Table> {
        let s = &mut self.serve;
        let mut t = std::mem::take(&mut s.nts);
        let complete = t.has("certificate-chain") && t.has("private-key");
        if !complete {
            let lines = t.origins();
            let port = s.nts_port.take();
            for o in lines.into_iter().chain(port.map(|(_, o)| o)) {
                self.note_at(
                    &o,
                    "not converted: an NTS-KE server needs both `ntsservercert` and `ntsserverkey`",
                );
            }
            return None;
        }
        t.rename("[nts-ke-server]");
        if let Some((p, o)) = s.nts_port.take() {
            let addrs = listen(&s.bind, p);
            t.set("listen", array(&addrs, std::slice::from_ref(&o)), &o);
        }
        for o in s.server_only.drain(..).collect::<Vec<_>>() {
            self.note_at(
                &o,
                "changed: Tempora keeps its NTS master keys in its own file in this directory \
                 (tempora-nts-keys); its client keeps no cookies across restarts",
            );
        }
        Some(t)
    }
}

/// The listen addresses on `port`: per address family the `bindaddress`
/// of that family, or the wildcard (as chronyd listens).
fn listen(bind: &[(IpAddr, Origin)], port: u16) -> Vec<String> {
    let addrs: Vec<IpAddr> = Subnet::ROOTS
        .iter()
        .map(|root| {
            bind.iter()
                .map(|(a, _)| *a)
                .find(|a| a.is_ipv4() == root.addr.is_ipv4())
                .unwrap_or(root.addr)
        })
        .collect();
    addrs
        .iter()
        .map(|a| std::net::SocketAddr::new(*a, port).to_string())
        .collect()
}

/// A TOML array of `items`, one a line, each with the chrony lines named.
fn array(items: &[String], lines: &[Origin]) -> String {
    if lines.is_empty() {
        return quote_all(items.iter().map(String::as_str));
    }
    let mut out = String::from("[\n");
    for i in items {
        out.push_str(&format!("  {},\n", quote(i)));
    }
    for o in lines {
        out.push_str(&format!("  # line {}: {}\n", o.line, one_line(&o.text)));
    }
    out.push(']');
    out
}

/// A TOML array of subnets, each with its line.
fn list(rules: &[(Subnet, Origin)]) -> String {
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
