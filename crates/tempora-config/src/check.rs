//! Reading the TOML and checking it: serde reads the settings types (see
//! [`crate::file`]), its errors become `FILE:LINE:COL` errors that name the
//! key, then the checks that relate values to each other and to the
//! profile, pointing at the values through the document's spans.

use tempora_clock::Duration;
use tempora_ptp::datasets::DelayMechanism;
use tempora_ptp::engine::Address;
use tempora_ptp::profile::{self, Bmca, Profile, StaticRole};

use crate::error::Source;
use crate::file::File;
use crate::spans::Node;
use crate::{
    ClockKind, ClockSettings, Config, ConfigError, DaemonSettings, InstanceKind,
    MAX_FREQUENCY_OFFSET_PPM, NtpServerSettings, NtpSourceKind, NtpSourceSettings,
    NtpTimescaleSetting, NtpVersionSetting, NtsKeServerSettings, ObservabilitySettings,
    PortSettings, PtpSettings, Transport, values,
};

/// The longest Unix socket path plus its NUL: `sun_path` of unix(7).
pub(crate) const MAX_SOCKET_PATH: usize = 108;

/// A user or group name as useradd(8) takes it: letters, digits, `_`,
/// `-` and `.`, not starting with `-`, at most 32 bytes (a trailing `$` is
/// allowed, as Samba's machine accounts have).
fn is_account_name(name: &str) -> bool {
    let body = name.strip_suffix('$').unwrap_or(name);
    !body.is_empty()
        && name.len() <= 32
        && !body.starts_with('-')
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

pub(crate) fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
    let src = Source { text, file };
    let mut f: File = toml::from_str(text).map_err(|e| toml_error(&src, &e))?;
    let doc = Node::parse(text).map_err(|e| toml_error(&src, &e))?;
    Checker { src, doc }.check(&mut f)?;
    Ok(Config::from(f))
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
    if let Some((start, message)) = values::conversion_error(&msg) {
        let doc = Node::parse(src.text).ok();
        let key = doc
            .as_ref()
            .and_then(|d| d.key_at(start))
            .or_else(|| src.key_on_line(&(start..start)))
            .unwrap_or_default();
        return src.error_at(start, message.replace(values::KEY, key));
    }
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
            // serde's list of the sections: the parser's own, complete.
            let sep = if expected.is_empty() { "" } else { "; " };
            format!("unknown table `{}`{sep}{expected}", line.trim())
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

/// The checks, with the document's spans to point at.
pub(crate) struct Checker<'a> {
    pub(crate) src: Source<'a>,
    pub(crate) doc: Node,
}

impl Checker<'_> {
    /// An error about the key at `path` (as `port.0.interface`), pointing
    /// at the key.
    pub(crate) fn at_key(&self, path: &str, message: impl Into<String>) -> ConfigError {
        let span = self.doc.span(path);
        self.src.error_at(self.src.key_start(&span), message)
    }

    /// An error pointing at the value at `path`.
    pub(crate) fn at_value(&self, path: &str, message: impl Into<String>) -> ConfigError {
        self.src.error_at(self.doc.span(path).start, message)
    }

    fn check(&self, f: &mut File) -> Result<(), ConfigError> {
        let profile = f.ptp.profile;
        self.ptp(&f.ptp)?;
        self.ntp_sources(&mut f.ntp_sources)?;
        if f.ports.is_empty()
            && f.ntp_sources.is_empty()
            && f.ntp_server.is_none()
            && f.csptp_sources.is_empty()
            && f.csptp_server.is_none()
            && f.refclocks.is_empty()
            && f.roughtime_server.is_none()
        {
            return Err(self.src.error_at(
                self.src.text.len(),
                "nothing to do: no [[port]] section (`[[port]]` with `interface = \"eth0\"`), no [[ntp-source]] and no [ntp-server]",
            ));
        }
        if f.ptp.kind == Some(InstanceKind::Ordinary) && f.ports.len() > 1 {
            return Err(self.at_key(
                "ptp.kind",
                format!(
                    "`kind` = \"ordinary\" but there are {} [[port]] sections: an ordinary clock has one port (use \"boundary\")",
                    f.ports.len()
                ),
            ));
        }
        for i in 0..f.ports.len() {
            let (done, rest) = f.ports.split_at_mut(i);
            let Some(port) = rest.first_mut() else { break };
            self.port(i, port, profile, f.ptp.kind)?;
            if let Some(first) = done.iter().position(|p| p.interface == port.interface) {
                return Err(self.at_key(
                    &format!("port.{i}.interface"),
                    format!(
                        "interface `{}` is already port {}: each interface can be one port only",
                        port.interface,
                        first + 1
                    ),
                ));
            }
            self.port_auth(i, port, &f.ptp)?;
            if port.master_only == Some(true) && f.ptp.slave_only == Some(true) {
                return Err(self.at_key(
                    &format!("port.{i}.master-only"),
                    "`master-only` = true contradicts [ptp] `slave-only` = true",
                ));
            }
        }
        self.clock(&f.clock)?;
        self.ntp_on_a_phc(f)?;
        self.observability(&f.observability)?;
        self.daemon(&f.daemon)?;
        match (&f.nts_ke_server, &f.ntp_server) {
            (Some(_), None) => {
                return Err(self.at_key(
                    "nts-ke-server",
                    "[nts-ke-server] needs an [ntp-server] to give cookies for",
                ));
            }
            (Some(k), Some(_)) => self.nts_ke_server(k)?,
            (None, Some(n)) if n.require_nts => {
                return Err(self.at_value(
                    "ntp-server.require-nts",
                    "`require-nts` needs an [nts-ke-server] section (clients get their keys there)",
                ));
            }
            (None, _) => {}
        }
        if let Some(n) = &f.ntp_server {
            self.ntp_server(n)?;
        }
        self.ntp_keys(f)?;
        self.csptp(f)?;
        self.refclocks(&f.refclocks)?;
        self.roughtime(f)?;
        if f.ntp_client.minimum_agreeing_sources == 0 {
            return Err(self.at_value(
                "ntp-client.minimum-agreeing-sources",
                "`minimum-agreeing-sources` must be at least 1",
            ));
        }
        Ok(())
    }

    /// `[observability]`: the socket paths fit a `sockaddr_un` (unix(7):
    /// 108 bytes with the terminating NUL), the group names are names, the
    /// dashboard and the metrics do not share an address.
    fn observability(&self, o: &ObservabilitySettings) -> Result<(), ConfigError> {
        if o.socket.as_os_str().is_empty() {
            return Err(self.at_value("observability.socket", "`socket` cannot be empty"));
        }
        let paths = [
            ("socket", Some(&o.socket)),
            ("status-socket", o.status_socket.as_ref()),
        ];
        for (key, path) in paths {
            let Some(path) = path else { continue };
            let len = path.as_os_str().len();
            if len >= MAX_SOCKET_PATH || path.as_os_str().as_encoded_bytes().contains(&0) {
                return Err(self.at_value(
                    &format!("observability.{key}"),
                    format!(
                        "`{key}` is {len} bytes long: a Unix socket path has at most {} bytes and no NUL",
                        MAX_SOCKET_PATH - 1
                    ),
                ));
            }
        }
        if let (Some(d), Some(m)) = (o.dashboard_listen, o.metrics_listen) {
            if d == m && d.port() != 0 {
                return Err(self.at_value(
                    "observability.dashboard-listen",
                    "`dashboard-listen` must differ from `metrics-listen`",
                ));
            }
        }
        if o.dashboard_history_file.is_some() && o.dashboard_listen.is_none() {
            return Err(self.at_value(
                "observability.dashboard-history-file",
                "`dashboard-history-file` keeps the dashboard's history: it needs `dashboard-listen`",
            ));
        }
        if o.status_socket.as_ref() == Some(&o.socket) {
            return Err(self.at_value(
                "observability.status-socket",
                "`status-socket` must differ from `socket`",
            ));
        }
        for (key, group) in [
            ("socket-group", &o.socket_group),
            ("status-socket-group", &o.status_socket_group),
        ] {
            if group.as_deref().is_some_and(|g| !is_account_name(g)) {
                return Err(self.at_value(
                    &format!("observability.{key}"),
                    format!("`{key}` is not a group name"),
                ));
            }
        }
        Ok(())
    }

    /// `[daemon]`: the user's name is a name.
    fn daemon(&self, d: &DaemonSettings) -> Result<(), ConfigError> {
        if d.user.as_deref().is_some_and(|u| !is_account_name(u)) {
            return Err(self.at_value("daemon.user", "`user` is not a user name"));
        }
        Ok(())
    }

    /// `[ptp]` against the profile.
    fn ptp(&self, p: &PtpSettings) -> Result<(), ConfigError> {
        let profile = p.profile;
        if let Some(d) = p.domain.filter(|d| !profile.allows_domain(*d)) {
            return Err(self.at_value(
                "ptp.domain",
                format!(
                    "`domain` = {d} is outside the {} profile's domains {}..={}",
                    profile.name, profile.domain_range.min, profile.domain_range.max
                ),
            ));
        }
        if let (Some(true), Some(class)) = (p.slave_only, p.clock_class) {
            if class != profile::SLAVE_ONLY_CLOCK_CLASS {
                return Err(self.at_key(
                    "ptp.clock-class",
                    format!(
                        "`clock-class` = {class} contradicts `slave-only` = true: a slave-only clock has class 255"
                    ),
                ));
            }
        }
        let always = match (profile.static_role, p.slave_only) {
            (Some(StaticRole::Master), Some(true)) => {
                Some("`slave-only` = true contradicts profile `{}`, which is always master")
            }
            (Some(StaticRole::Slave), Some(false)) => {
                Some("`slave-only` = false contradicts profile `{}`, which is always slave")
            }
            _ => None,
        };
        if let Some(message) = always {
            return Err(self.at_key("ptp.slave-only", message.replace("{}", profile.name)));
        }
        if let Some(d) = p.user_description.as_ref().filter(|d| d.len() > 128) {
            return Err(self.at_key(
                "ptp.user-description",
                format!(
                    "`user-description` is {} bytes long; at most 128 are allowed",
                    d.len()
                ),
            ));
        }
        if let Some(o) = p.current_utc_offset.filter(|o| !(0..=1000).contains(o)) {
            return Err(self.at_value(
                "ptp.current-utc-offset",
                format!(
                    "`current-utc-offset` = {o} is not a TAI − UTC offset in seconds (37 since 2017)"
                ),
            ));
        }
        if p.master_sanity_hold <= Duration::ZERO {
            return Err(self.at_value(
                "ptp.master-sanity-hold",
                "`master-sanity-hold` must be a positive duration",
            ));
        }
        Ok(())
    }

    /// One `[[port]]` (number `i` + 1) against the profile and the kind of
    /// instance; puts in the profile's transport if the port names none.
    fn port(
        &self,
        i: usize,
        p: &mut PortSettings,
        profile: &Profile,
        kind: Option<InstanceKind>,
    ) -> Result<(), ConfigError> {
        let at = |key: &str| format!("port.{i}.{key}");
        let interface = &p.interface;
        if interface.is_empty() || interface.len() > 15 || interface.contains(['/', ' ', '\0']) {
            return Err(self.at_value(
                &at("interface"),
                format!("`interface`: `{interface}` is not a network interface name (1 to 15 characters, no `/` or spaces)"),
            ));
        }
        let gptp = profile.major_sdo_id == 1;
        let telecom_1 = profile.bmca == Bmca::G8275_1Alternate;
        let telecom_2 = profile.bmca == Bmca::G8275_2Alternate;
        if !self.doc.has(&at("transport")) {
            p.transport = Transport::of_profile(profile);
        }
        let needed = if gptp || telecom_1 {
            Some("l2")
        } else if telecom_2 && p.transport == Transport::L2 {
            Some("udp4 or udp6")
        } else {
            None
        };
        if let Some(needed) = needed.filter(|n| !n.contains(p.transport.as_str())) {
            return Err(self.at_value(
                &at("transport"),
                format!(
                    "`transport` = \"{}\" contradicts profile `{}`, which runs over {needed}",
                    p.transport.as_str(),
                    profile.name
                ),
            ));
        }
        self.delay_mechanism(i, p, profile, kind)?;
        if let Some(t) = p.announce_receipt_timeout.filter(|t| *t < 2) {
            return Err(self.at_value(
                &at("announce-receipt-timeout"),
                format!(
                    "`announce-receipt-timeout` = {t} is too small: at least 2 announce intervals"
                ),
            ));
        }
        if p.delay_asymmetry
            .is_some_and(|a| a.abs() > Duration::from_millis(1))
        {
            return Err(self.at_value(
                &at("delay-asymmetry"),
                "`delay-asymmetry`: more than 1ms either way is not a link asymmetry",
            ));
        }
        self.acceptable_masters(i, p)?;
        self.selection_options(
            "port",
            i,
            Selection {
                flags: [p.prefer, p.trust, p.require],
                noselect: p.noselect,
                offset: p.offset,
                asymmetry: None,
                max_delay: p.max_delay,
            },
        )?;
        self.unicast_masters(i, p, gptp, profile)
    }

    /// A source's selection options (docs/sources.md): `noselect` excludes
    /// `prefer`, `trust` and `require`; `offset` and `asymmetry` are at
    /// most a second; `max-delay` is positive.
    pub(crate) fn selection_options(
        &self,
        section: &str,
        i: usize,
        o: Selection,
    ) -> Result<(), ConfigError> {
        let at = |key: &str| format!("{section}.{i}.{key}");
        if o.noselect {
            for (set, key) in o.flags.into_iter().zip(["prefer", "trust", "require"]) {
                if set {
                    return Err(self.at_key(
                        &at(key),
                        format!(
                            "`{key}` with `noselect = true`: a noselect source is never selected"
                        ),
                    ));
                }
            }
        }
        for (key, v) in [("offset", o.offset), ("asymmetry", o.asymmetry)] {
            if v.is_some_and(|v| v.abs() > Duration::from_secs(1)) {
                return Err(self.at_value(
                    &at(key),
                    format!("`{key}`: more than 1s either way is not a correction of a source"),
                ));
            }
        }
        if o.max_delay.is_some_and(|d| d <= Duration::ZERO) {
            return Err(self.at_value(&at("max-delay"), "`max-delay` must be more than zero"));
        }
        Ok(())
    }

    /// A port's `acceptable-masters`: at most the table's capacity
    /// (IEEE 1588-2019 §17.6.2 `maxTableSize`), each identity once.
    fn acceptable_masters(&self, i: usize, p: &PortSettings) -> Result<(), ConfigError> {
        let key = format!("port.{i}.acceptable-masters");
        let capacity = tempora_ptp::bmca::AcceptableMasterTable::CAPACITY;
        let mut identities: Vec<_> = p.acceptable_masters.iter().map(|m| m.identity).collect();
        identities.sort_by_key(|pid| (pid.clock_identity.0, pid.port_number));
        identities.dedup();
        if identities.len() > capacity {
            return Err(self.at_value(
                &key,
                format!(
                    "`acceptable-masters` names {} masters; the table holds at most {capacity}",
                    identities.len()
                ),
            ));
        }
        Ok(())
    }

    /// A port's `spp` and `active-key-id` (AUTHENTICATION TLV): both or
    /// neither, an `sa-file` to find them in, and two-step operation (a
    /// one-step Sync is stamped after its ICV is computed). Whether the
    /// file holds them is checked when it is read
    /// ([`crate::Config::security_associations`]).
    fn port_auth(&self, i: usize, p: &PortSettings, ptp: &PtpSettings) -> Result<(), ConfigError> {
        let at = |key: &str| format!("port.{i}.{key}");
        match (p.spp, p.active_key_id) {
            (Some(_), None) => {
                return Err(self.at_key(
                    &at("spp"),
                    "`spp` needs `active-key-id`: the key outgoing messages are signed with",
                ));
            }
            (None, Some(_)) => {
                return Err(self.at_key(
                    &at("active-key-id"),
                    "`active-key-id` needs `spp`: the security association it belongs to",
                ));
            }
            (Some(_), Some(0)) => {
                return Err(self.at_value(
                    &at("active-key-id"),
                    "`active-key-id` must be 1 to 4294967295",
                ));
            }
            (Some(_), Some(_)) if ptp.sa_file.is_none() => {
                return Err(self.at_key(
                    &at("spp"),
                    "`spp` needs [ptp] `sa-file`: the file of security associations",
                ));
            }
            (Some(_), Some(_)) if ptp.two_step == Some(false) => {
                return Err(self.at_key(
                    &at("spp"),
                    "`spp` needs two-step operation: [ptp] `two-step` = false stamps Sync after its ICV",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// A port's delay mechanism against the profile and the kind of
    /// transparent clock.
    fn delay_mechanism(
        &self,
        i: usize,
        p: &PortSettings,
        profile: &Profile,
        kind: Option<InstanceKind>,
    ) -> Result<(), ConfigError> {
        let at = |key: &str| format!("port.{i}.{key}");
        let gptp = profile.major_sdo_id == 1;
        let telecom = matches!(
            profile.bmca,
            Bmca::G8275_1Alternate | Bmca::G8275_2Alternate
        );
        let effective = p.delay_mechanism.unwrap_or(profile.delay_mechanism);
        if let Some(d) = p.delay_mechanism {
            let required = if gptp {
                Some(DelayMechanism::P2p)
            } else if telecom {
                Some(DelayMechanism::E2e)
            } else {
                None
            };
            if let Some(r) = required.filter(|r| delay_name(*r) != delay_name(d)) {
                return Err(self.at_value(
                    &at("delay-mechanism"),
                    format!(
                        "`delay-mechanism` = \"{}\" contradicts profile `{}`, which uses {}",
                        delay_name(d),
                        profile.name,
                        delay_name(r)
                    ),
                ));
            }
        }
        let need = match kind {
            Some(InstanceKind::E2eTransparent) => Some(DelayMechanism::E2e),
            Some(InstanceKind::P2pTransparent) => Some(DelayMechanism::P2p),
            _ => None,
        };
        if let Some(need) = need.filter(|n| delay_name(*n) != delay_name(effective)) {
            let key = if p.delay_mechanism.is_some() {
                "delay-mechanism"
            } else {
                "interface"
            };
            return Err(self.at_key(
                &at(key),
                format!(
                    "port `{}` uses the {} delay mechanism, but a {} clock needs {} (set `delay-mechanism` = \"{}\")",
                    p.interface,
                    delay_name(effective),
                    kind.map_or("", |k| k.as_str()),
                    delay_name(need),
                    delay_name(need)
                ),
            ));
        }
        Ok(())
    }

    /// A port's unicast masters against its transport and the profile.
    fn unicast_masters(
        &self,
        i: usize,
        p: &PortSettings,
        gptp: bool,
        profile: &Profile,
    ) -> Result<(), ConfigError> {
        let transport = p.transport;
        for (j, address) in p.unicast_masters.iter().enumerate() {
            let path = format!("port.{i}.unicast-masters.{j}");
            let text = self
                .doc
                .text(&path)
                .map_or_else(|| crate::format_address(address), str::to_owned);
            let fits = matches!(
                (address, transport),
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
                    &path,
                    format!(
                        "`unicast-masters`: `{text}` does not fit transport \"{}\", which needs {want}",
                        transport.as_str()
                    ),
                ));
            }
            if p.unicast_masters[..j].contains(address) {
                return Err(self.at_value(
                    &path,
                    format!("`unicast-masters`: `{text}` is listed twice"),
                ));
            }
        }
        if gptp && !p.unicast_masters.is_empty() {
            return Err(self.at_key(
                &format!("port.{i}.unicast-masters"),
                format!(
                    "`unicast-masters`: profile `{}` has no unicast operation",
                    profile.name
                ),
            ));
        }
        Ok(())
    }

    fn clock(&self, c: &ClockSettings) -> Result<(), ConfigError> {
        if c.kind != ClockKind::Virtual {
            let what = c.kind.to_file_value();
            if c.initial_offset.is_some() {
                return Err(self.at_key(
                    "clock.initial-offset",
                    format!("`initial-offset` applies only to kind = \"virtual\", not to the {what} clock"),
                ));
            }
            if c.frequency_offset_ppm.is_some() {
                return Err(self.at_key(
                    "clock.frequency-offset-ppm",
                    format!("`frequency-offset-ppm` applies only to kind = \"virtual\", not to the {what} clock"),
                ));
            }
        }
        if let Some(f) = c
            .frequency_offset_ppm
            .filter(|f| !f.is_finite() || f.abs() > MAX_FREQUENCY_OFFSET_PPM)
        {
            return Err(self.at_value(
                "clock.frequency-offset-ppm",
                format!("`frequency-offset-ppm` = {f} is out of range: -{MAX_FREQUENCY_OFFSET_PPM} to {MAX_FREQUENCY_OFFSET_PPM}"),
            ));
        }
        for (key, d) in [
            ("step-threshold", Some(c.step_threshold)),
            ("running-step-threshold", Some(c.running_step_threshold)),
            ("panic-threshold", c.panic_threshold),
            ("holdover-budget", Some(c.holdover_budget)),
        ] {
            if d.is_some_and(Duration::is_negative) {
                return Err(self.at_value(
                    &format!("clock.{key}"),
                    format!("`{key}` cannot be negative"),
                ));
            }
        }
        if let Some(p) = c.panic_threshold {
            if p == Duration::ZERO {
                return Err(self.at_value(
                    "clock.panic-threshold",
                    "`panic-threshold` must be more than 0s (leave it out for no limit)",
                ));
            }
            if p <= c.step_threshold {
                return Err(self.at_key(
                    "clock.panic-threshold",
                    format!(
                        "`panic-threshold` ({}) must be larger than `step-threshold` ({})",
                        crate::format_duration(p),
                        crate::format_duration(c.step_threshold)
                    ),
                ));
            }
        }
        if c.frequency_file
            .as_ref()
            .is_some_and(|f| f.as_os_str().is_empty())
        {
            return Err(self.at_value("clock.frequency-file", "`frequency-file` cannot be empty"));
        }
        if !matches!(c.holdover_class, 52 | 187 | 248) {
            return Err(self.at_value(
                "clock.holdover-class",
                format!(
                    "`holdover-class` = {} is not 248, 52 or 187 (IEEE 1588-2019 Table 4)",
                    c.holdover_class
                ),
            ));
        }
        if c.leap_seconds_file
            .as_ref()
            .is_some_and(|f| f.as_os_str().is_empty())
        {
            return Err(self.at_value(
                "clock.leap-seconds-file",
                "`leap-seconds-file` cannot be empty",
            ));
        }
        if c.sync_system_clock && !matches!(c.kind, ClockKind::Phc(_)) {
            return Err(self.at_key(
                "clock.sync-system-clock",
                format!(
                    "`sync-system-clock` needs a PTP hardware clock as `kind`, not the {} clock",
                    c.kind.to_file_value()
                ),
            ));
        }
        Ok(())
    }

    /// NTP timestamps are the kernel's software ones, in system time: on a
    /// PHC, the server serves the system clock (so it must follow the PHC),
    /// and NTP sources cannot discipline the PHC.
    fn ntp_on_a_phc(&self, f: &File) -> Result<(), ConfigError> {
        let ClockKind::Phc(path) = &f.clock.kind else {
            return Ok(());
        };
        if !f.ntp_sources.is_empty() {
            return Err(self.at_key(
                "ntp-source.0.address",
                format!(
                    "[[ntp-source]] cannot discipline the PTP hardware clock {}: use `kind = \"system\"` (NTP timestamps are in system time)",
                    path.display()
                ),
            ));
        }
        if f.ntp_server.is_some() && !f.clock.sync_system_clock {
            return Err(self.at_key(
                "ntp-server.listen",
                format!(
                    "[ntp-server] on the PTP hardware clock {} needs `sync-system-clock = true` in [clock]: NTP is served from the system clock",
                    path.display()
                ),
            ));
        }
        Ok(())
    }

    /// The `[[ntp-source]]` sections; trims the addresses and puts in the
    /// default `maxpoll` (10, or `minpoll` if that is larger).
    fn ntp_sources(&self, sources: &mut [NtpSourceSettings]) -> Result<(), ConfigError> {
        for (i, s) in sources.iter_mut().enumerate() {
            let at = |key: &str| format!("ntp-source.{i}.{key}");
            s.address = s.address.trim().to_string();
            if s.address.is_empty() {
                return Err(self.at_value(&at("address"), "`address` cannot be empty"));
            }
            if !self.doc.has(&at("maxpoll")) {
                s.maxpoll = s.maxpoll.max(s.minpoll);
            }
            for (key, v) in [("minpoll", s.minpoll), ("maxpoll", s.maxpoll)] {
                if !(0..=17).contains(&v) {
                    return Err(self.at_value(
                        &at(key),
                        format!("`{key}` = {v} is out of range: 0 to 17 (log2 seconds)"),
                    ));
                }
            }
            if s.maxpoll < s.minpoll {
                return Err(self.at_value(
                    &at("maxpoll"),
                    format!(
                        "`maxpoll` = {} is below `minpoll` = {}",
                        s.maxpoll, s.minpoll
                    ),
                ));
            }
            if s.key == Some(0) {
                return Err(self.at_value(&at("key"), "`key` = 0 is not a key id: 1 to 4294967295"));
            }
            if s.nts && s.key.is_some() {
                return Err(self.at_key(
                    &at("key"),
                    "`key` and `nts = true` cannot both authenticate one source: choose one",
                ));
            }
            if s.timescale != NtpTimescaleSetting::Utc && s.version == NtpVersionSetting::V4 {
                return Err(self.at_value(
                    &at("timescale"),
                    format!(
                        "`timescale` = \"{}\" is asked for in NTPv5 requests: it needs `version` = 5 or \"auto\"",
                        s.timescale.as_str()
                    ),
                ));
            }
            if let crate::NtpDraftSetting::Draft(d) = s.draft {
                if !crate::ntpv5::DRAFTS.contains(&d) {
                    return Err(self.at_value(
                        &at("draft"),
                        format!(
                            "`draft` = {d} is not an NTPv5 draft spoken here: 8 (draft-ietf-ntp-ntpv5-08), 9 (-09) or \"auto\""
                        ),
                    ));
                }
            }
            if s.xleave && s.version != NtpVersionSetting::V4 {
                return Err(self.at_key(
                    &at("xleave"),
                    "`xleave` works with version = 4 (the interleaved mode over NTPv5 is not implemented)",
                ));
            }
            if s.key.is_some() && s.version != NtpVersionSetting::V4 {
                return Err(self.at_key(
                    &at("key"),
                    "`key` works with version = 4 (NTPv5 has no symmetric-key MAC here yet)",
                ));
            }
            if s.nts && s.kind == NtpSourceKind::Pool {
                return Err(self.at_value(
                    &at("kind"),
                    "`nts = true` works with kind = \"server\" (each NTS source needs its own key establishment)",
                ));
            }
            self.selection_options(
                "ntp-source",
                i,
                Selection {
                    flags: [s.prefer, s.trust, s.require],
                    noselect: s.noselect,
                    offset: s.offset,
                    asymmetry: s.asymmetry,
                    max_delay: s.max_delay,
                },
            )?;
        }
        Ok(())
    }

    /// The symmetric keys' settings: a source's `key` needs the client's
    /// `key-file`; `legacy-sha1` is about a `key-file`.
    fn ntp_keys(&self, f: &File) -> Result<(), ConfigError> {
        let client_file = f.ntp_client.key_file.is_some();
        if let Some(i) = f.ntp_sources.iter().position(|s| s.key.is_some()) {
            if !client_file {
                return Err(self.at_key(
                    &format!("ntp-source.{i}.key"),
                    "`key` needs the keys: `key-file` in [ntp-client]",
                ));
            }
        }
        if f.ntp_client.legacy_sha1 && !client_file {
            return Err(self.at_value(
                "ntp-client.legacy-sha1",
                "`legacy-sha1` is about the keys of `key-file`, which [ntp-client] does not have",
            ));
        }
        if let Some(n) = &f.ntp_server {
            if n.legacy_sha1 && n.key_file.is_none() {
                return Err(self.at_value(
                    "ntp-server.legacy-sha1",
                    "`legacy-sha1` is about the keys of `key-file`, which [ntp-server] does not have",
                ));
            }
            if n.key_file
                .as_ref()
                .is_some_and(|p| p.as_os_str().is_empty())
            {
                return Err(self.at_value("ntp-server.key-file", "`key-file` cannot be empty"));
            }
        }
        if f.ntp_client
            .key_file
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return Err(self.at_value("ntp-client.key-file", "`key-file` cannot be empty"));
        }
        Ok(())
    }

    fn ntp_server(&self, n: &NtpServerSettings) -> Result<(), ConfigError> {
        if n.listen.is_empty() {
            return Err(self.at_value("ntp-server.listen", "`listen` needs at least one address"));
        }
        if let Some(s) = n.local_stratum.filter(|s| !(1..=15).contains(s)) {
            return Err(self.at_value(
                "ntp-server.local-stratum",
                format!("`local-stratum` = {s} is not a stratum from 1 to 15"),
            ));
        }
        self.rate_limit_keys(
            "ntp-server",
            n.rate_limit_interval,
            n.rate_limit_burst,
            n.rate_limit_leak,
        )?;
        if let Err(m) = crate::ntpv5::check_server_versions(&n.versions) {
            return Err(self.at_value("ntp-server.versions", m));
        }
        if n.smear && !n.serves_v5() {
            return Err(self.at_value(
                "ntp-server.smear",
                "`smear` serves leap-smeared UTC to NTPv5 clients that ask for it: it needs 5 in `versions`",
            ));
        }
        self.workers("ntp-server", n.workers)
    }

    /// The `workers` key of a server's `table`: 0 to 16 worker loops.
    pub(crate) fn workers(&self, table: &str, workers: u8) -> Result<(), ConfigError> {
        if workers > 16 {
            return Err(self.at_value(
                &format!("{table}.workers"),
                format!(
                    "`workers` = {workers} is out of range: 0 (serve in the timing loop) to 16"
                ),
            ));
        }
        Ok(())
    }

    /// The `rate-limit*` keys of `[ntp-server]` or `[csptp-server]`
    /// (`table`).
    pub(crate) fn rate_limit_keys(
        &self,
        table: &str,
        interval: i8,
        burst: u8,
        leak: u8,
    ) -> Result<(), ConfigError> {
        if !(-4..=12).contains(&interval) {
            return Err(self.at_value(
                &format!("{table}.rate-limit-interval"),
                format!(
                    "`rate-limit-interval` = {interval} is out of range: -4 to 12 (log2 seconds)"
                ),
            ));
        }
        if burst == 0 {
            return Err(self.at_value(
                &format!("{table}.rate-limit-burst"),
                "`rate-limit-burst` must be at least 1",
            ));
        }
        if leak > 4 {
            return Err(self.at_value(
                &format!("{table}.rate-limit-leak"),
                format!("`rate-limit-leak` = {leak} is out of range: 0 (no leak) to 4 (log2)"),
            ));
        }
        Ok(())
    }

    fn nts_ke_server(&self, k: &NtsKeServerSettings) -> Result<(), ConfigError> {
        if k.listen.is_empty() {
            return Err(self.at_value(
                "nts-ke-server.listen",
                "`listen` needs at least one address",
            ));
        }
        for (key, v) in [
            ("certificate-chain", &k.certificate_chain),
            ("private-key", &k.private_key),
        ] {
            if v.as_os_str().is_empty() {
                return Err(self.at_value(
                    &format!("nts-ke-server.{key}"),
                    format!("`{key}` cannot be empty"),
                ));
            }
        }
        if k.max_connections == 0 {
            return Err(self.at_value(
                "nts-ke-server.max-connections",
                "`max-connections` must be at least 1",
            ));
        }
        if k.ntp_port == Some(0) {
            return Err(self.at_value(
                "nts-ke-server.ntp-port",
                "`ntp-port` = 0 is not a port clients can reach: 1 to 65535 (default 123)",
            ));
        }
        self.nts_ke_limits(k)?;
        for (key, d) in [("key-rotation", k.key_rotation), ("timeout", k.timeout)] {
            if d <= Duration::ZERO {
                return Err(self.at_value(
                    &format!("nts-ke-server.{key}"),
                    format!("`{key}` must be positive"),
                ));
            }
        }
        Ok(())
    }
}

impl Checker<'_> {
    /// The NTS-KE server's per-address limits and rate limit.
    fn nts_ke_limits(&self, k: &NtsKeServerSettings) -> Result<(), ConfigError> {
        let out_of_range = |key: &str, v: i64, range: &str| {
            self.at_value(
                &format!("nts-ke-server.{key}"),
                format!("`{key}` = {v} is out of range: {range}"),
            )
        };
        if k.max_connections_per_address == 0 {
            return Err(out_of_range("max-connections-per-address", 0, "at least 1"));
        }
        if k.address_prefix_v4 > 32 {
            let v = i64::from(k.address_prefix_v4);
            return Err(out_of_range("address-prefix-v4", v, "0 to 32"));
        }
        if k.address_prefix_v6 > 128 {
            let v = i64::from(k.address_prefix_v6);
            return Err(out_of_range("address-prefix-v6", v, "0 to 128"));
        }
        if !(-4..=12).contains(&k.rate_limit_interval) {
            let v = i64::from(k.rate_limit_interval);
            return Err(out_of_range(
                "rate-limit-interval",
                v,
                "-4 to 12 (log2 seconds)",
            ));
        }
        if k.rate_limit_burst == 0 {
            return Err(out_of_range("rate-limit-burst", 0, "1 to 255"));
        }
        if k.rate_limit_leak > 4 {
            let v = i64::from(k.rate_limit_leak);
            return Err(out_of_range(
                "rate-limit-leak",
                v,
                "0 (no leak) to 4 (log2)",
            ));
        }
        Ok(())
    }
}

/// The name of a configurable delay mechanism in the file.
fn delay_name(d: DelayMechanism) -> &'static str {
    match d {
        DelayMechanism::P2p => "p2p",
        _ => "e2e",
    }
}

/// A source's selection options, for [`Checker::selection_options`].
pub(crate) struct Selection {
    /// `prefer`, `trust`, `require`.
    pub(crate) flags: [bool; 3],
    pub(crate) noselect: bool,
    pub(crate) offset: Option<Duration>,
    pub(crate) asymmetry: Option<Duration>,
    pub(crate) max_delay: Option<Duration>,
}
