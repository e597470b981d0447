//! What makes chronyd a server: `allow`/`deny`, `ratelimit`, `local`,
//! `port`, `bindaddress` and the NTS server's directives, into
//! `[ntp-server]` and `[nts-ke-server]`.
//!
//! chronyd answers no NTP client unless an `allow` line lets some in, so
//! the sections are written only when one does; Tempora's `[ntp-server]`
//! with an empty `allow` would answer everyone.

use std::net::IpAddr;

use super::access::{Subnet, list};
use super::args::Opts;
use super::toml::{Origin, Table, one_line, quote, quote_all};
use super::{Line, State};
use crate::ConfigError;

/// The server's directives as the file gives them.
#[derive(Default)]
pub(super) struct Serving {
    /// `allow` rules.
    pub(super) allow: Vec<(Subnet, Origin)>,
    /// `deny` rules.
    pub(super) deny: Vec<(Subnet, Origin)>,
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
