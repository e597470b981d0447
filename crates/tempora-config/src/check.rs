//! Reading the TOML and checking it: serde's errors turned into
//! `FILE:LINE:COL` errors that name the key, then the semantic checks.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use tempora_clock::Duration;
use tempora_ptp::datasets::DelayMechanism;
use tempora_ptp::engine::Address;
use tempora_ptp::profile::{self, Bmca, Profile, StaticRole};

use crate::error::Source;
use crate::raw::{RawConfig, RawDelay, RawPort, S};
use crate::{
    Cidr, ClockKind, ClockSettings, Config, ConfigError, DenyAction, InstanceKind,
    LOG_INTERVAL_RANGE, MAX_FREQUENCY_OFFSET_PPM, NtpServerSettings, NtpSourceKind,
    NtpSourceSettings, ObservabilitySettings, PortSettings, PtpSettings, RateLimit, Timestamping,
    Transport, parse_address, parse_duration,
};

/// The names of every profile preset, for error messages.
fn profile_names() -> String {
    profile::PROFILES
        .iter()
        .map(|p| format!("`{}`", p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
    let src = Source { text, file };
    let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&src, &e))?;
    Checker { src }.check(raw)
}

/// Turns a toml/serde error into a positioned error naming the key.
fn toml_error(src: &Source<'_>, e: &toml::de::Error) -> ConfigError {
    let span = e.span().unwrap_or(0..0);
    let msg = e
        .message()
        .trim()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let table = src.table_at(span.start);
    let where_ = table
        .as_deref()
        .map_or_else(|| "at the top level".to_owned(), |t| format!("in {t}"));
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let (name, expected) = rest.split_once(", ").unwrap_or((rest, ""));
        let line = src.text[src.key_start(&span)..]
            .lines()
            .next()
            .unwrap_or("");
        let message = if line.trim_start().starts_with('[')
            && table.is_none_or(|t| {
                let bare = t.trim_matches(['[', ']']);
                name.trim_matches('`') == bare
            }) {
            format!(
                "unknown table `{}`; expected one of [ptp], [[port]], [clock], [observability]",
                line.trim()
            )
        } else if expected.is_empty() {
            format!("unknown key {name} {where_}")
        } else {
            format!("unknown key {name} {where_}; {expected}")
        };
        return src.error_at(src.key_start(&span), message);
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        let message = format!("missing key {rest} {where_}");
        return src.error_at(span.start, message);
    }
    let key = src.key_on_line(&span);
    let msg = msg
        .replace("unknown variant", "unknown value")
        .replace("invalid type: ", "wrong type: ")
        .replace("expected u8", "expected an integer from 0 to 255")
        .replace("expected i8", "expected an integer from -128 to 127")
        .replace("expected f64", "expected a number")
        .replace("expected a sequence", "expected an array")
        .replace("expected a boolean", "expected `true` or `false`");
    let msg = match msg.find("expected struct ") {
        Some(i) => format!("{}expected a table", &msg[..i]),
        None => msg,
    };
    let message = match key {
        Some(k) => format!("`{k}` {where_}: {msg}"),
        None => msg,
    };
    src.error_at(span.start, message)
}

struct Checker<'a> {
    src: Source<'a>,
}

impl Checker<'_> {
    /// An error about the key whose value has `span`, pointing at the key.
    fn at_key(&self, span: &Range<usize>, message: impl Into<String>) -> ConfigError {
        self.src.error_at(self.src.key_start(span), message)
    }

    /// An error pointing at the value with `span`.
    fn at_value(&self, span: &Range<usize>, message: impl Into<String>) -> ConfigError {
        self.src.error_at(span.start, message)
    }

    fn duration(&self, key: &str, v: &S<String>) -> Result<Duration, ConfigError> {
        parse_duration(v.get_ref())
            .map_err(|e| self.at_value(&v.span(), format!("`{key}`: {}", e.message)))
    }

    fn check(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let p = raw.ptp;
        let profile: &'static Profile = match &p.profile {
            None => &profile::DEFAULT,
            Some(name) => profile::by_name(name.get_ref()).ok_or_else(|| {
                self.at_value(
                    &name.span(),
                    format!(
                        "`profile`: unknown profile `{}`; expected one of {}",
                        name.get_ref(),
                        profile_names()
                    ),
                )
            })?,
        };
        if let Some(d) = &p.domain {
            let d_ = *d.get_ref();
            if !profile.allows_domain(d_) {
                return Err(self.at_value(
                    &d.span(),
                    format!(
                        "`domain` = {d_} is outside the {} profile's domains {}..={}",
                        profile.name, profile.domain_range.min, profile.domain_range.max
                    ),
                ));
            }
        }
        let slave_only = p.slave_only.as_ref().map(|v| *v.get_ref());
        if let (Some(true), Some(class)) = (slave_only, &p.clock_class) {
            if *class.get_ref() != profile::SLAVE_ONLY_CLOCK_CLASS {
                return Err(self.at_key(
                    &class.span(),
                    format!(
                        "`clock-class` = {} contradicts `slave-only` = true: a slave-only clock has class 255",
                        class.get_ref()
                    ),
                ));
            }
        }
        if let Some(so) = &p.slave_only {
            match (profile.static_role, *so.get_ref()) {
                (Some(StaticRole::Master), true) => {
                    return Err(self.at_key(
                        &so.span(),
                        format!(
                            "`slave-only` = true contradicts profile `{}`, which is always master",
                            profile.name
                        ),
                    ));
                }
                (Some(StaticRole::Slave), false) => {
                    return Err(self.at_key(
                        &so.span(),
                        format!(
                            "`slave-only` = false contradicts profile `{}`, which is always slave",
                            profile.name
                        ),
                    ));
                }
                _ => {}
            }
        }
        if let Some(d) = &p.user_description {
            if d.get_ref().len() > 128 {
                return Err(self.at_key(
                    &d.span(),
                    format!(
                        "`user-description` is {} bytes long; at most 128 are allowed",
                        d.get_ref().len()
                    ),
                ));
            }
        }
        if let Some(o) = &p.current_utc_offset {
            if !(0..=1000).contains(o.get_ref()) {
                return Err(self.at_value(
                    &o.span(),
                    format!(
                        "`current-utc-offset` = {} is not a TAI − UTC offset in seconds (37 since 2017)",
                        o.get_ref()
                    ),
                ));
            }
        }
        let kind = p.kind.as_ref().map(|k| (*k.get_ref(), k.span()));
        let ntp_sources = self.ntp_sources(&raw.ntp_source)?;
        if raw.port.is_empty() && ntp_sources.is_empty() && raw.ntp_server.is_none() {
            return Err(self.src.error_at(
                self.src.text.len(),
                "nothing to do: no [[port]] section (`[[port]]` with `interface = \"eth0\"`), no [[ntp-source]] and no [ntp-server]",
            ));
        }
        if let Some((InstanceKind::Ordinary, span)) = &kind {
            if raw.port.len() > 1 {
                return Err(self.at_key(
                    span,
                    format!(
                        "`kind` = \"ordinary\" but there are {} [[port]] sections: an ordinary clock has one port (use \"boundary\")",
                        raw.port.len()
                    ),
                ));
            }
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut ports = Vec::new();
        for (i, port) in raw.port.iter().enumerate() {
            let ps = self.port(port.get_ref(), profile, kind.as_ref().map(|k| k.0))?;
            let name = port.get_ref().interface.get_ref();
            if let Some(first) = seen.insert(name.clone(), i + 1) {
                return Err(self.at_key(
                    &port.get_ref().interface.span(),
                    format!("interface `{name}` is already port {first}: each interface can be one port only"),
                ));
            }
            if ps.master_only == Some(true) && slave_only == Some(true) {
                let span = port
                    .get_ref()
                    .master_only
                    .as_ref()
                    .map_or(0..0, |m| m.span());
                return Err(self.at_key(
                    &span,
                    "`master-only` = true contradicts [ptp] `slave-only` = true",
                ));
            }
            ports.push(ps);
        }
        let ptp = PtpSettings {
            profile,
            domain: p.domain.map(|v| v.into_inner()),
            priority1: p.priority1.map(|v| v.into_inner()),
            priority2: p.priority2.map(|v| v.into_inner()),
            clock_class: p.clock_class.map(|v| v.into_inner()),
            slave_only,
            two_step: p.two_step.map(|v| v.into_inner()),
            kind: kind.map(|k| k.0),
            user_description: p.user_description.map(|v| v.into_inner()),
            timescale: p.timescale.map(|v| v.into_inner()),
            current_utc_offset: p.current_utc_offset.map(|v| v.into_inner()),
        };
        let clock = self.clock(raw.clock)?;
        // NTP timestamps are the kernel's software ones, in system time: on
        // a PHC, the server serves the system clock (so it must follow the
        // PHC), and NTP sources cannot discipline the PHC.
        if let ClockKind::Phc(path) = &clock.kind {
            if let Some(first) = raw.ntp_source.first() {
                return Err(self.at_key(
                    &first.get_ref().address.span(),
                    format!(
                        "[[ntp-source]] cannot discipline the PTP hardware clock {}: use `kind = \"system\"` (NTP timestamps are in system time)",
                        path.display()
                    ),
                ));
            }
            if let (Some(n), false) = (&raw.ntp_server, clock.sync_system_clock) {
                return Err(self.at_key(
                    &n.get_ref().listen.span(),
                    format!(
                        "[ntp-server] on the PTP hardware clock {} needs `sync-system-clock = true` in [clock]: NTP is served from the system clock",
                        path.display()
                    ),
                ));
            }
        }
        Ok(Config {
            ptp,
            ports,
            clock,
            observability: self.observability(raw.observability)?,
            nts_ca_file: raw
                .ntp_client
                .as_ref()
                .and_then(|c| c.get_ref().nts_ca_file.as_ref())
                .map(|f| PathBuf::from(f.get_ref())),
            nts_ke_server: match &raw.nts_ke_server {
                Some(k) if raw.ntp_server.is_none() => {
                    return Err(self.at_key(
                        &k.span(),
                        "[nts-ke-server] needs an [ntp-server] to give cookies for",
                    ));
                }
                Some(k) => Some(self.nts_ke_server(k.get_ref())?),
                None => {
                    if let Some(r) = raw
                        .ntp_server
                        .as_ref()
                        .and_then(|n| n.get_ref().require_nts.as_ref())
                        .filter(|r| *r.get_ref())
                    {
                        return Err(self.at_value(
                            &r.span(),
                            "`require-nts` needs an [nts-ke-server] section (clients get their keys there)",
                        ));
                    }
                    None
                }
            },
            ntp_server: raw
                .ntp_server
                .map(|n| self.ntp_server(n.into_inner()))
                .transpose()?,
            ntp_sources,
            minimum_agreeing_sources: match raw.ntp_client.map(|c| c.into_inner()) {
                Some(crate::raw::RawNtpClient {
                    minimum_agreeing_sources: Some(m),
                    ..
                }) => {
                    if *m.get_ref() == 0 {
                        return Err(self
                            .at_value(&m.span(), "`minimum-agreeing-sources` must be at least 1"));
                    }
                    *m.get_ref()
                }
                _ => 1,
            },
        })
    }

    fn port(
        &self,
        p: &RawPort,
        profile: &Profile,
        kind: Option<InstanceKind>,
    ) -> Result<PortSettings, ConfigError> {
        let interface = p.interface.get_ref();
        if interface.is_empty() || interface.len() > 15 || interface.contains(['/', ' ', '\0']) {
            return Err(self.at_value(
                &p.interface.span(),
                format!("`interface`: `{interface}` is not a network interface name (1 to 15 characters, no `/` or spaces)"),
            ));
        }
        let gptp = profile.major_sdo_id == 1;
        let telecom_1 = profile.bmca == Bmca::G8275_1Alternate;
        let telecom_2 = profile.bmca == Bmca::G8275_2Alternate;
        let transport = p
            .transport
            .as_ref()
            .map_or(Transport::of_profile(profile), |t| *t.get_ref());
        if let Some(t) = &p.transport {
            let needed = if gptp || telecom_1 {
                Some("l2")
            } else if telecom_2 && *t.get_ref() == Transport::L2 {
                Some("udp4 or udp6")
            } else {
                None
            };
            if let Some(needed) = needed.filter(|n| !n.contains(t.get_ref().as_str())) {
                return Err(self.at_value(
                    &t.span(),
                    format!(
                        "`transport` = \"{}\" contradicts profile `{}`, which runs over {needed}",
                        t.get_ref().as_str(),
                        profile.name
                    ),
                ));
            }
        }
        let delay = p.delay_mechanism.as_ref().map(|d| (*d.get_ref(), d.span()));
        let effective_delay =
            delay
                .as_ref()
                .map(|d| d.0)
                .unwrap_or(match profile.delay_mechanism {
                    DelayMechanism::P2p => RawDelay::P2p,
                    _ => RawDelay::E2e,
                });
        if let Some((d, span)) = &delay {
            let required = if gptp {
                Some(RawDelay::P2p)
            } else if telecom_1 || telecom_2 {
                Some(RawDelay::E2e)
            } else {
                None
            };
            if let Some(r) = required.filter(|r| r != d) {
                return Err(self.at_value(
                    span,
                    format!(
                        "`delay-mechanism` = \"{}\" contradicts profile `{}`, which uses {}",
                        delay_name(*d),
                        profile.name,
                        delay_name(r)
                    ),
                ));
            }
        }
        let kind_needs = match kind {
            Some(InstanceKind::E2eTransparent) => Some(RawDelay::E2e),
            Some(InstanceKind::P2pTransparent) => Some(RawDelay::P2p),
            _ => None,
        };
        if let Some(need) = kind_needs.filter(|n| *n != effective_delay) {
            let span = delay.as_ref().map_or(p.interface.span(), |d| d.1.clone());
            return Err(self.at_key(
                &span,
                format!(
                    "port `{interface}` uses the {} delay mechanism, but a {} clock needs {} (set `delay-mechanism` = \"{}\")",
                    delay_name(effective_delay),
                    kind.map_or("", |k| k.as_str()),
                    delay_name(need),
                    delay_name(need)
                ),
            ));
        }
        for (key, v) in [
            ("log-announce-interval", &p.log_announce_interval),
            ("log-sync-interval", &p.log_sync_interval),
            ("log-min-delay-req-interval", &p.log_min_delay_req_interval),
            (
                "log-min-pdelay-req-interval",
                &p.log_min_pdelay_req_interval,
            ),
        ] {
            if let Some(v) = v {
                if !LOG_INTERVAL_RANGE.contains(v.get_ref()) {
                    return Err(self.at_value(
                        &v.span(),
                        format!(
                            "`{key}` = {} is out of range: log2 seconds from {} (128 per second) to {} (every 128 s)",
                            v.get_ref(),
                            LOG_INTERVAL_RANGE.start(),
                            LOG_INTERVAL_RANGE.end()
                        ),
                    ));
                }
            }
        }
        if let Some(t) = &p.announce_receipt_timeout {
            if *t.get_ref() < 2 {
                return Err(self.at_value(
                    &t.span(),
                    format!(
                        "`announce-receipt-timeout` = {} is too small: at least 2 announce intervals",
                        t.get_ref()
                    ),
                ));
            }
        }
        let delay_asymmetry = p
            .delay_asymmetry
            .as_ref()
            .map(|v| self.duration("delay-asymmetry", v))
            .transpose()?;
        if let Some(a) = delay_asymmetry {
            if a.abs() > Duration::from_millis(1) {
                let span = p.delay_asymmetry.as_ref().map_or(0..0, |v| v.span());
                return Err(self.at_value(
                    &span,
                    "`delay-asymmetry`: more than 1ms either way is not a link asymmetry",
                ));
            }
        }
        let mut unicast_masters = Vec::new();
        if let Some(list) = &p.unicast_masters {
            for entry in list.get_ref() {
                let text = entry.get_ref();
                let address = parse_address(text).ok_or_else(|| {
                    self.at_value(
                        &entry.span(),
                        format!("`unicast-masters`: `{text}` is not an IPv4, IPv6 or MAC address"),
                    )
                })?;
                let fits = matches!(
                    (&address, transport),
                    (Address::Ip(std::net::IpAddr::V4(_)), Transport::Udp4)
                        | (Address::Ip(std::net::IpAddr::V6(_)), Transport::Udp6)
                        | (Address::Mac(_), Transport::L2)
                );
                if !fits {
                    let want = match transport {
                        Transport::Udp4 => "an IPv4 address",
                        Transport::Udp6 => "an IPv6 address",
                        Transport::L2 => "a MAC address",
                    };
                    return Err(self.at_value(
                        &entry.span(),
                        format!(
                            "`unicast-masters`: `{text}` does not fit transport \"{}\", which needs {want}",
                            transport.as_str()
                        ),
                    ));
                }
                if unicast_masters.contains(&address) {
                    return Err(self.at_value(
                        &entry.span(),
                        format!("`unicast-masters`: `{text}` is listed twice"),
                    ));
                }
                unicast_masters.push(address);
            }
        }
        if gptp && !unicast_masters.is_empty() {
            let span = p.unicast_masters.as_ref().map_or(0..0, |v| v.span());
            return Err(self.at_key(
                &span,
                format!(
                    "`unicast-masters`: profile `{}` has no unicast operation",
                    profile.name
                ),
            ));
        }
        Ok(PortSettings {
            interface: interface.clone(),
            transport,
            delay_mechanism: delay.map(|d| match d.0 {
                RawDelay::E2e => DelayMechanism::E2e,
                RawDelay::P2p => DelayMechanism::P2p,
            }),
            log_announce_interval: p.log_announce_interval.as_ref().map(|v| *v.get_ref()),
            log_sync_interval: p.log_sync_interval.as_ref().map(|v| *v.get_ref()),
            log_min_delay_req_interval: p.log_min_delay_req_interval.as_ref().map(|v| *v.get_ref()),
            log_min_pdelay_req_interval: p
                .log_min_pdelay_req_interval
                .as_ref()
                .map(|v| *v.get_ref()),
            announce_receipt_timeout: p.announce_receipt_timeout.as_ref().map(|v| *v.get_ref()),
            delay_asymmetry,
            timestamping: p
                .timestamping
                .as_ref()
                .map_or(Timestamping::Auto, |v| *v.get_ref()),
            unicast_masters,
            unicast_listen: p.unicast_listen.as_ref().map(|v| *v.get_ref()),
            master_only: p.master_only.as_ref().map(|v| *v.get_ref()),
        })
    }

    fn clock(&self, c: crate::raw::RawClock) -> Result<ClockSettings, ConfigError> {
        let kind = match &c.kind {
            None => ClockKind::System,
            Some(k) => match k.get_ref().as_str() {
                "system" => ClockKind::System,
                "virtual" => ClockKind::Virtual,
                path if path
                    .strip_prefix("/dev/ptp")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
                {
                    ClockKind::Phc(PathBuf::from(path))
                }
                other => {
                    return Err(self.at_value(
                        &k.span(),
                        format!(
                            "`kind`: unknown clock `{other}`; expected `system`, `virtual` or a PTP hardware clock such as `/dev/ptp0`"
                        ),
                    ));
                }
            },
        };
        if kind != ClockKind::Virtual {
            let what = kind.to_file_value();
            if let Some(v) = &c.initial_offset {
                return Err(self.at_key(
                    &v.span(),
                    format!("`initial-offset` applies only to kind = \"virtual\", not to the {what} clock"),
                ));
            }
            if let Some(v) = &c.frequency_offset_ppm {
                return Err(self.at_key(
                    &v.span(),
                    format!("`frequency-offset-ppm` applies only to kind = \"virtual\", not to the {what} clock"),
                ));
            }
        }
        if let Some(v) = &c.frequency_offset_ppm {
            let f = *v.get_ref();
            if !f.is_finite() || f.abs() > MAX_FREQUENCY_OFFSET_PPM {
                return Err(self.at_value(
                    &v.span(),
                    format!("`frequency-offset-ppm` = {f} is out of range: -{MAX_FREQUENCY_OFFSET_PPM} to {MAX_FREQUENCY_OFFSET_PPM}"),
                ));
            }
        }
        let dur = |key: &str, v: &Option<S<String>>| -> Result<Option<Duration>, ConfigError> {
            v.as_ref().map(|v| self.duration(key, v)).transpose()
        };
        let initial_offset = dur("initial-offset", &c.initial_offset)?;
        let step = dur("step-threshold", &c.step_threshold)?;
        let running = dur("running-step-threshold", &c.running_step_threshold)?;
        let panic = dur("panic-threshold", &c.panic_threshold)?;
        for (key, d, v) in [
            ("step-threshold", step, &c.step_threshold),
            ("running-step-threshold", running, &c.running_step_threshold),
            ("panic-threshold", panic, &c.panic_threshold),
        ] {
            if let (Some(d), Some(v)) = (d, v) {
                if d.is_negative() {
                    return Err(self.at_value(&v.span(), format!("`{key}` cannot be negative")));
                }
            }
        }
        let defaults = ClockSettings::default();
        let step_threshold = step.unwrap_or(defaults.step_threshold);
        if let (Some(p), Some(v)) = (panic, &c.panic_threshold) {
            if p == Duration::ZERO {
                return Err(self.at_value(
                    &v.span(),
                    "`panic-threshold` must be more than 0s (leave it out for no limit)",
                ));
            }
            if p <= step_threshold {
                return Err(self.at_key(
                    &v.span(),
                    format!(
                        "`panic-threshold` ({}) must be larger than `step-threshold` ({})",
                        crate::format_duration(p),
                        crate::format_duration(step_threshold)
                    ),
                ));
            }
        }
        let frequency_file = match &c.frequency_file {
            Some(f) if f.get_ref().is_empty() => {
                return Err(self.at_value(&f.span(), "`frequency-file` cannot be empty"));
            }
            Some(f) => Some(PathBuf::from(f.get_ref())),
            None => None,
        };
        let sync_system_clock = match &c.sync_system_clock {
            Some(v) if *v.get_ref() && !matches!(kind, ClockKind::Phc(_)) => {
                return Err(self.at_key(
                    &v.span(),
                    format!(
                        "`sync-system-clock` needs a PTP hardware clock as `kind`, not the {} clock",
                        kind.to_file_value()
                    ),
                ));
            }
            Some(v) => *v.get_ref(),
            None => false,
        };
        Ok(ClockSettings {
            sync_system_clock,
            kind,
            initial_offset,
            frequency_offset_ppm: c.frequency_offset_ppm.map(|v| v.into_inner()),
            servo: c.servo.map_or(defaults.servo, |v| v.into_inner()),
            step_threshold,
            running_step_threshold: running.unwrap_or(defaults.running_step_threshold),
            panic_threshold: panic,
            frequency_file,
        })
    }

    fn ntp_sources(
        &self,
        raw: &[S<crate::raw::RawNtpSource>],
    ) -> Result<Vec<NtpSourceSettings>, ConfigError> {
        let mut out = Vec::new();
        for s in raw {
            let s = s.get_ref();
            let address = s.address.get_ref().trim().to_string();
            if address.is_empty() {
                return Err(self.at_value(&s.address.span(), "`address` cannot be empty"));
            }
            let poll = |key: &str, v: &Option<S<i8>>, default: i8| -> Result<i8, ConfigError> {
                match v {
                    Some(p) if !(0..=17).contains(p.get_ref()) => Err(self.at_value(
                        &p.span(),
                        format!(
                            "`{key}` = {} is out of range: 0 to 17 (log2 seconds)",
                            p.get_ref()
                        ),
                    )),
                    Some(p) => Ok(*p.get_ref()),
                    None => Ok(default),
                }
            };
            let minpoll = poll("minpoll", &s.minpoll, 6)?;
            let maxpoll = poll("maxpoll", &s.maxpoll, 10.max(minpoll))?;
            if maxpoll < minpoll {
                let span = s.maxpoll.as_ref().map_or(0..0, |m| m.span());
                return Err(self.at_value(
                    &span,
                    format!("`maxpoll` = {maxpoll} is below `minpoll` = {minpoll}"),
                ));
            }
            let nts = s.nts.as_ref().is_some_and(|b| *b.get_ref());
            let kind = s
                .kind
                .as_ref()
                .map_or(NtpSourceKind::Server, |k| *k.get_ref());
            if let (true, NtpSourceKind::Pool, Some(k)) = (nts, kind, &s.kind) {
                return Err(self.at_value(
                    &k.span(),
                    "`nts = true` works with kind = \"server\" (each NTS source needs its own key establishment)",
                ));
            }
            out.push(NtpSourceSettings {
                nts,
                address,
                kind: s
                    .kind
                    .as_ref()
                    .map_or(NtpSourceKind::Server, |k| *k.get_ref()),
                iburst: s.iburst.as_ref().is_none_or(|b| *b.get_ref()),
                xleave: s.xleave.as_ref().is_some_and(|b| *b.get_ref()),
                minpoll,
                maxpoll,
            });
        }
        Ok(out)
    }

    fn ntp_server(&self, n: crate::raw::RawNtpServer) -> Result<NtpServerSettings, ConfigError> {
        let mut listen = Vec::new();
        for a in n.listen.get_ref() {
            listen.push(a.get_ref().parse().map_err(|_| {
                self.at_value(
                    &a.span(),
                    format!(
                        "`listen`: `{}` is not an address and port such as `0.0.0.0:123` or `[::]:123`",
                        a.get_ref()
                    ),
                )
            })?);
        }
        if listen.is_empty() {
            return Err(self.at_value(&n.listen.span(), "`listen` needs at least one address"));
        }
        if let Some(s) = &n.local_stratum {
            if !(1..=15).contains(s.get_ref()) {
                return Err(self.at_value(
                    &s.span(),
                    format!(
                        "`local-stratum` = {} is not a stratum from 1 to 15",
                        s.get_ref()
                    ),
                ));
            }
        }
        let cidrs = |list: &Option<Vec<S<String>>>| -> Result<Vec<Cidr>, ConfigError> {
            list.iter()
                .flatten()
                .map(|c| {
                    Cidr::parse(c.get_ref()).map_err(|e| {
                        self.at_value(
                            &c.span(),
                            format!(
                                "`{}` is not an address block such as `10.0.0.0/8` or `fd00::/8`: {e}",
                                c.get_ref()
                            ),
                        )
                    })
                })
                .collect()
        };
        let allow = cidrs(&n.allow)?;
        let deny = cidrs(&n.deny)?;
        if let Some(i) = &n.rate_limit_interval {
            if !(-4..=12).contains(i.get_ref()) {
                return Err(self.at_value(
                    &i.span(),
                    format!(
                        "`rate-limit-interval` = {} is out of range: -4 to 12 (log2 seconds)",
                        i.get_ref()
                    ),
                ));
            }
        }
        if let Some(b) = &n.rate_limit_burst {
            if *b.get_ref() == 0 {
                return Err(self.at_value(&b.span(), "`rate-limit-burst` must be at least 1"));
            }
        }
        if let Some(w) = &n.workers {
            if *w.get_ref() > 16 {
                return Err(self.at_value(
                    &w.span(),
                    format!(
                        "`workers` = {} is out of range: 0 (serve in the timing loop) to 16",
                        w.get_ref()
                    ),
                ));
            }
        }
        let rate_limit = n
            .rate_limit
            .as_ref()
            .is_some_and(|r| *r.get_ref())
            .then(|| RateLimit {
                interval: Duration::from_log2_secs(
                    n.rate_limit_interval.as_ref().map_or(3, |i| *i.get_ref()),
                ),
                burst: u32::from(n.rate_limit_burst.as_ref().map_or(8, |b| *b.get_ref())),
            });
        Ok(NtpServerSettings {
            listen,
            local_stratum: n.local_stratum.map(|s| s.into_inner()),
            allow,
            deny,
            deny_action: n.deny_action.map_or(DenyAction::Drop, |d| d.into_inner()),
            rate_limit,
            interleaved: n.interleaved.is_some_and(|i| i.into_inner()),
            workers: n.workers.map_or(0, |w| w.into_inner()),
            require_nts: n.require_nts.is_some_and(|r| r.into_inner()),
        })
    }

    fn nts_ke_server(
        &self,
        k: &crate::raw::RawNtsKeServer,
    ) -> Result<crate::NtsKeServerSettings, ConfigError> {
        let mut listen = Vec::new();
        match &k.listen {
            Some(list) => {
                for a in list.get_ref() {
                    listen.push(a.get_ref().parse().map_err(|_| {
                        self.at_value(
                            &a.span(),
                            format!(
                                "`listen`: `{}` is not an address and port such as `0.0.0.0:4460`",
                                a.get_ref()
                            ),
                        )
                    })?);
                }
                if listen.is_empty() {
                    return Err(self.at_value(&list.span(), "`listen` needs at least one address"));
                }
            }
            None => listen.push(std::net::SocketAddr::from(([0, 0, 0, 0], 4460))),
        }
        for (key, v) in [
            ("certificate-chain", &k.certificate_chain),
            ("private-key", &k.private_key),
        ] {
            if v.get_ref().is_empty() {
                return Err(self.at_value(&v.span(), format!("`{key}` cannot be empty")));
            }
        }
        let positive = |key: &str, v: &Option<S<String>>, default: Duration| match v {
            Some(v) => {
                let d = self.duration(key, v)?;
                if d <= Duration::ZERO {
                    return Err(self.at_value(&v.span(), format!("`{key}` must be positive")));
                }
                Ok(d)
            }
            None => Ok(default),
        };
        if let Some(m) = &k.max_connections {
            if *m.get_ref() == 0 {
                return Err(self.at_value(&m.span(), "`max-connections` must be at least 1"));
            }
        }
        Ok(crate::NtsKeServerSettings {
            listen,
            certificate_chain: PathBuf::from(k.certificate_chain.get_ref()),
            private_key: PathBuf::from(k.private_key.get_ref()),
            key_file: k.key_file.as_ref().map(|f| PathBuf::from(f.get_ref())),
            key_rotation: positive("key-rotation", &k.key_rotation, Duration::from_secs(86_400))?,
            max_connections: k.max_connections.as_ref().map_or(64, |m| *m.get_ref()),
            timeout: positive("timeout", &k.timeout, Duration::from_secs(5))?,
            ntp_server: k.ntp_server.as_ref().map(|s| s.get_ref().clone()),
            ntp_port: k.ntp_port.as_ref().map(|p| *p.get_ref()),
        })
    }

    fn observability(
        &self,
        o: crate::raw::RawObservability,
    ) -> Result<ObservabilitySettings, ConfigError> {
        let defaults = ObservabilitySettings::default();
        let socket = match &o.socket {
            Some(s) if s.get_ref().is_empty() => {
                return Err(self.at_value(&s.span(), "`socket` cannot be empty"));
            }
            Some(s) => PathBuf::from(s.get_ref()),
            None => defaults.socket,
        };
        let metrics_listen = match &o.metrics_listen {
            None => None,
            Some(m) => Some(m.get_ref().parse().map_err(|_| {
                self.at_value(
                    &m.span(),
                    format!(
                        "`metrics-listen`: `{}` is not an address and port such as `127.0.0.1:9911` or `[::1]:9911`",
                        m.get_ref()
                    ),
                )
            })?),
        };
        Ok(ObservabilitySettings {
            socket,
            metrics_listen,
            log_level: o.log_level.map_or(defaults.log_level, |v| v.into_inner()),
        })
    }
}

fn delay_name(d: RawDelay) -> &'static str {
    match d {
        RawDelay::E2e => "e2e",
        RawDelay::P2p => "p2p",
    }
}
