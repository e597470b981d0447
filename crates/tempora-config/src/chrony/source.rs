//! `server`, `pool` and `peer` lines: `[[ntp-source]]` sections.

use super::args::{Opts, host_port};
use super::toml::{Table, quote};
use super::{Line, State};
use crate::ConfigError;

/// chrony's source options that stand alone.
const FLAGS: &[&str] = &[
    "iburst",
    "burst",
    "nts",
    "offline",
    "auto_offline",
    "prefer",
    "noselect",
    "trust",
    "require",
    "xleave",
    "ipv4",
    "ipv6",
    "copy",
];

/// chrony's source options that take a value.
const VALUED: &[&str] = &[
    "minpoll",
    "maxpoll",
    "key",
    "certset",
    "maxdelay",
    "maxdelayratio",
    "maxdelaydevratio",
    "maxdelayquant",
    "mindelay",
    "asymmetry",
    "offset",
    "minsamples",
    "maxsamples",
    "filter",
    "polltarget",
    "port",
    "ntsport",
    "presend",
    "minstratum",
    "version",
    "extfield",
    "maxsources",
];

/// The poll exponents Tempora accepts (`minpoll`, `maxpoll`).
const POLL_RANGE: std::ops::RangeInclusive<i32> = 0..=17;

/// Why each source option without a Tempora key is left out.
fn unconverted(option: &str) -> &'static str {
    match option {
        "burst" => "Tempora sends no bursts after the first (`iburst`)",
        "offline" | "auto_offline" => {
            "Tempora has no offline mode: an unreachable source is polled less often"
        }
        "ipv4" | "ipv6" => "Tempora uses the first address the name resolves to, of either family",
        "asymmetry" => {
            "chrony's `asymmetry` is a ratio; Tempora's `asymmetry` is a duration: measure it and set it"
        }
        "certset" => "Tempora has one set of trusted certificates ([ntp-client] nts-ca-file)",
        "copy" | "extfield" | "presend" | "polltarget" | "minstratum" | "mindelay" => {
            "Tempora has no such source option"
        }
        _ => "Tempora's clock filter and selection have no such tuning",
    }
}

impl State<'_> {
    /// A `server`, `pool` or `peer` line.
    pub(super) fn source(&mut self, line: &Line) -> Result<(), ConfigError> {
        let Some((host, rest)) = line.args.split_first() else {
            return Err(self.error(
                line,
                format!("`{}` needs a host name or address", line.name),
            ));
        };
        let opts = self.opts(line, rest, FLAGS, VALUED)?;
        if line.name == "peer" {
            self.note(
                line,
                "not converted: Tempora has no symmetric mode (RFC 5905 peers); \
                 a `server` line would poll the same host as a client",
            );
            return Ok(());
        }
        let origin = line.origin();
        let mut t = Table::new("[[ntp-source]]", Some(origin.clone()));
        self.address(line, host, &opts, &mut t)?;
        self.kind(line, &opts, &mut t)?;
        t.set("iburst", opts.flag("iburst").to_string(), &origin);
        self.polls(line, &opts, &mut t)?;
        self.selection(line, &opts, &mut t);
        self.measurement(line, &opts, &mut t)?;
        self.source_rest(line, &opts);
        self.sources.push(t);
        Ok(())
    }

    /// `address`, from the host, `port` and `ntsport`.
    fn address(
        &mut self,
        line: &Line,
        host: &str,
        opts: &Opts,
        t: &mut Table,
    ) -> Result<(), ConfigError> {
        let origin = line.origin();
        let nts = opts.flag("nts");
        let port = |name: &str| -> Result<Option<u16>, ConfigError> {
            opts.value(name)
                .map(|v| self.int::<u16>(line, name, v))
                .transpose()
        };
        let (ntp_port, ke_port) = (port("port")?, port("ntsport")?);
        let address = match (nts, ntp_port, ke_port) {
            (true, _, Some(p)) | (false, Some(p), _) => host_port(host, p),
            _ => host.to_owned(),
        };
        if nts && ntp_port.is_some_and(|p| p != 123) {
            self.note(
                line,
                "`port`: left out: with NTS the key establishment names the NTP port",
            );
        }
        if !nts && ke_port.is_some() {
            self.note(line, "`ntsport`: left out: it has no effect without `nts`");
        }
        t.set_essential("address", quote(&address), &origin);
        Ok(())
    }

    /// `kind`, `nts`, `key`.
    fn kind(&mut self, line: &Line, opts: &Opts, t: &mut Table) -> Result<(), ConfigError> {
        let origin = line.origin();
        let nts = opts.flag("nts");
        if line.name == "pool" && nts {
            self.note(
                line,
                "converted as one server: Tempora's NTS sources are servers \
                 (each needs its own key establishment), not pools",
            );
        } else if line.name == "pool" {
            t.set("kind", quote("pool"), &origin);
        }
        if nts {
            t.set_essential("nts", "true".into(), &origin);
        }
        if let Some(key) = opts.value("key") {
            // A key Tempora refuses takes the source with it, never leaving
            // it unauthenticated.
            let key: u32 = self.int(line, "key", key)?;
            t.set_essential("key", key.to_string(), &origin);
        }
        Ok(())
    }

    /// `minpoll`, `maxpoll`, brought into Tempora's range.
    fn polls(&mut self, line: &Line, opts: &Opts, t: &mut Table) -> Result<(), ConfigError> {
        let origin = line.origin();
        let mut min = None;
        for name in ["minpoll", "maxpoll"] {
            let Some(v) = opts.value(name) else { continue };
            let n: i32 = self.int(line, name, v)?;
            let mut m = n.clamp(*POLL_RANGE.start(), *POLL_RANGE.end());
            if m != n {
                self.note(
                    line,
                    format!("`{name} {n}`: changed to {m}: Tempora polls every 2^0 s to 2^17 s"),
                );
            }
            if name == "maxpoll" {
                m = m.max(min.unwrap_or(m));
            }
            min = Some(m);
            t.set(name, m.to_string(), &origin);
        }
        Ok(())
    }

    /// `prefer`, `noselect`, `trust`, `require`.
    fn selection(&mut self, line: &Line, opts: &Opts, t: &mut Table) {
        let origin = line.origin();
        let noselect = opts.flag("noselect");
        for name in ["prefer", "trust", "require"] {
            if !opts.flag(name) {
                continue;
            }
            if noselect {
                self.note(
                    line,
                    format!("`{name}`: left out: a `noselect` source is never selected"),
                );
            } else {
                t.set(name, "true".into(), &origin);
            }
        }
        if noselect {
            t.set("noselect", "true".into(), &origin);
        }
        if opts.flag("xleave") {
            t.set("xleave", "true".into(), &origin);
        }
    }

    /// `maxdelay`, `offset`.
    fn measurement(&mut self, line: &Line, opts: &Opts, t: &mut Table) -> Result<(), ConfigError> {
        let origin = line.origin();
        for (chrony, key) in [("maxdelay", "max-delay"), ("offset", "offset")] {
            if let Some(v) = opts.value(chrony) {
                let d = self.secs(line, chrony, v)?;
                t.set(key, quote(&d), &origin);
            }
        }
        Ok(())
    }

    /// Notes for the options without a Tempora key.
    fn source_rest(&mut self, line: &Line, opts: &Opts) {
        for (name, value) in &opts.list {
            let why = match (name.as_str(), *value) {
                ("version", Some("4")) => continue,
                ("version", _) => "Tempora's client speaks NTPv4 (or NTPv5 with `version`)",
                ("maxsources", Some("4")) => continue,
                ("maxsources", _) => "Tempora keeps up to four addresses of a pool",
                (n, _)
                    if [
                        "port", "ntsport", "minpoll", "maxpoll", "key", "maxdelay", "offset",
                    ]
                    .contains(&n)
                        || FLAGS_CONVERTED.contains(&n) =>
                {
                    continue;
                }
                (n, _) => unconverted(n),
            };
            let shown = match value {
                Some(v) => format!("{name} {v}"),
                None => name.clone(),
            };
            self.note(line, format!("`{shown}`: left out: {why}"));
        }
    }
}

/// The flags converted above.
const FLAGS_CONVERTED: &[&str] = &[
    "iburst", "nts", "prefer", "noselect", "trust", "require", "xleave",
];
