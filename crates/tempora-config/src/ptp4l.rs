//! Conversion of a linuxptp `ptp4l` configuration file into Tempora's TOML.
//!
//! A ptp4l file has sections — `[global]`, one per interface (`[eth0]`),
//! and `[unicast_master_table]` — holding `key value` lines; `#` starts a
//! comment. The conversion:
//!
//! 1. picks the profile preset the file describes (gPTP hints such as
//!    `transportSpecific 0x1`, `BMCA noop` with a fixed role,
//!    `dataset_comparison G.8275.x`, a global `delay_mechanism P2P`);
//! 2. writes every option that has a Tempora key (the instance's data set,
//!    the ports' intervals and transports, timestamping, the servo's step
//!    thresholds, the management socket, the log level), each with a
//!    comment naming the ptp4l line it came from;
//! 3. accepts silently the options that the chosen profile implies with the
//!    value the file gives, and those at linuxptp's built-in default;
//! 4. names every other option in a warning, one per option, with its line.
//!
//! The result always loads with [`Config::parse`]: an option whose value
//! Tempora refuses (a domain outside the profile's range, a transport the
//! profile does not run over) is left out, with a warning giving the reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tempora_ptp::datasets::DelayMechanism;
use tempora_ptp::profile::{self, AsCapable, Bmca, Profile, StaticRole};

use crate::{Config, ConfigError, parse_duration};

/// The file name used in errors by [`from_ptp4l`].
const DEFAULT_NAME: &str = "ptp4l.conf";

/// Converts the ptp4l configuration `text` into Tempora TOML, returning it
/// with one warning per option that could not be carried over. The
/// interfaces are those of the file's interface sections; a file without
/// any (ptp4l takes them from `-i`) gets one port, `eth0`, and a warning.
///
/// Errors are lines ptp4l could not read either (a `key` without a value,
/// a line outside any section, a broken section header).
pub fn from_ptp4l(text: &str) -> Result<(String, Vec<String>), ConfigError> {
    from_ptp4l_with_interfaces(text, DEFAULT_NAME, &[])
}

/// Like [`from_ptp4l`], naming the file `file_name` in errors and comments
/// and adding the interfaces given to ptp4l with `-i` (after the file's own
/// interface sections).
pub fn from_ptp4l_with_interfaces(
    text: &str,
    file_name: &str,
    interfaces: &[&str],
) -> Result<(String, Vec<String>), ConfigError> {
    let file = lex(text, file_name)?;
    Converter::new(file, file_name, interfaces).run()
}

/// One `key value` line.
#[derive(Debug, Clone)]
struct Opt {
    key: String,
    value: String,
    line: usize,
}

impl Opt {
    fn show(&self) -> String {
        format!("line {}: `{} {}`", self.line, self.key, self.value)
    }
}

#[derive(Debug, Default)]
struct Section {
    name: String,
    opts: Vec<Opt>,
}

impl Section {
    fn get(&self, key: &str) -> Option<&Opt> {
        let aliases = aliases(key);
        self.opts
            .iter()
            .rev()
            .find(|o| aliases.contains(&o.key.as_str()))
    }
}

/// A unicast master table (`[unicast_master_table]`).
#[derive(Debug, Default)]
struct Table {
    id: Option<u32>,
    /// (transport keyword, address, line)
    masters: Vec<Opt>,
    other: Vec<Opt>,
}

#[derive(Debug, Default)]
struct File {
    global: Section,
    ifaces: Vec<Section>,
    tables: Vec<Table>,
}

/// linuxptp's old and new spellings of the same option.
fn aliases(key: &str) -> Vec<&str> {
    match key {
        "slaveOnly" | "clientOnly" => vec!["slaveOnly", "clientOnly"],
        "masterOnly" | "serverOnly" => vec!["masterOnly", "serverOnly"],
        other => vec![other],
    }
}

fn lex(text: &str, file_name: &str) -> Result<File, ConfigError> {
    let error = |line: usize, message: String| ConfigError {
        file: file_name.to_owned(),
        line,
        column: 1,
        message,
    };
    enum Current {
        None,
        Global,
        Iface,
        Table,
    }
    let mut file = File::default();
    let mut current = Current::None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest
                .strip_suffix(']')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| error(n, format!("broken section header `{line}`")))?;
            current = match name {
                "global" => Current::Global,
                "unicast_master_table" => {
                    file.tables.push(Table::default());
                    Current::Table
                }
                iface => {
                    file.ifaces.push(Section {
                        name: iface.to_owned(),
                        opts: Vec::new(),
                    });
                    Current::Iface
                }
            };
            continue;
        }
        let (key, value) = match line.split_once(char::is_whitespace) {
            Some((k, v)) if !v.trim().is_empty() => (k, v.trim()),
            _ => {
                return Err(error(
                    n,
                    format!("`{line}` has no value: ptp4l options are `key value` lines"),
                ));
            }
        };
        let opt = Opt {
            key: key.to_owned(),
            value: value.to_owned(),
            line: n,
        };
        match current {
            Current::None => {
                return Err(error(
                    n,
                    format!("`{key}` is outside any section: start with [global] or [interface]"),
                ));
            }
            Current::Global => file.global.opts.push(opt),
            Current::Iface => {
                if let Some(s) = file.ifaces.last_mut() {
                    s.opts.push(opt);
                }
            }
            Current::Table => {
                if let Some(t) = file.tables.last_mut() {
                    match key {
                        "table_id" => t.id = parse_int(value).and_then(|v| u32::try_from(v).ok()),
                        "UDPv4" | "UDPv6" | "L2" => t.masters.push(opt),
                        _ => t.other.push(opt),
                    }
                }
            }
        }
    }
    Ok(file)
}

/// An integer as linuxptp reads it (`strtol` base 0: decimal or `0x` hex).
fn parse_int(v: &str) -> Option<i64> {
    let v = v.trim();
    let (neg, digits) = match v.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let n = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(h, 16).ok()?
    } else {
        digits.parse::<i64>().ok()?
    };
    Some(if neg { -n } else { n })
}

/// A value in comparable form: integers as decimal, anything else in lower
/// case; numbers with a fraction as `f64`.
fn canonical(v: &str) -> String {
    if let Some(n) = parse_int(v) {
        return n.to_string();
    }
    if let Ok(f) = v.trim().parse::<f64>() {
        return format!("{f:e}");
    }
    v.trim().to_ascii_lowercase()
}

fn same(a: &str, b: &str) -> bool {
    canonical(a) == canonical(b)
}

fn flag(b: bool) -> String {
    u8::from(b).to_string()
}

fn mac(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Options that have no Tempora key but that a profile preset fixes: the
/// value each preset means in linuxptp's spelling.
fn profile_implied(p: &Profile) -> Vec<(&'static str, String)> {
    let mut e = vec![
        ("transportSpecific", p.major_sdo_id.to_string()),
        ("ptp_dst_mac", mac(p.ethernet_primary_mac)),
        ("p2p_dst_mac", mac(p.ethernet_pdelay_mac)),
        (
            "msg_interval_request",
            flag(p.oper_log_sync_interval.is_some() || p.oper_log_pdelay_req_interval.is_some()),
        ),
        (
            "syncReceiptTimeout",
            p.sync_receipt_timeout.unwrap_or(0).to_string(),
        ),
        ("gmCapable", flag(p.priority1 < 255)),
        (
            "dataset_comparison",
            match p.bmca {
                Bmca::G8275_1Alternate | Bmca::G8275_2Alternate => "G.8275.x",
                Bmca::Default | Bmca::Static => "ieee1588",
            }
            .into(),
        ),
        (
            "BMCA",
            if p.bmca == Bmca::Static {
                "noop"
            } else {
                "ptp"
            }
            .into(),
        ),
        ("maxStepsRemoved", p.max_steps_removed.to_string()),
        (
            "neighborPropDelayThresh",
            p.neighbor_prop_delay_thresh
                .map_or(20_000_000, |d| d.nanos())
                .to_string(),
        ),
        (
            "asCapable",
            match p.as_capable {
                AsCapable::Always => "true",
                AsCapable::Computed | AsCapable::NotUsed => "auto",
            }
            .into(),
        ),
        ("follow_up_info", flag(p.follow_up_info)),
        ("path_trace_enabled", flag(p.path_trace)),
        ("inhibit_announce", flag(!p.sends_announce)),
        ("inhibit_delay_req", flag(!p.sends_delay_requests)),
        ("inhibit_multicast_service", flag(p.unicast)),
        (
            "hybrid_e2e",
            flag(p.unicast && p.delay_mechanism == DelayMechanism::E2e),
        ),
        (
            "ignore_source_id",
            flag(p.static_role == Some(StaticRole::Slave)),
        ),
        ("min_neighbor_prop_delay", "-20000000".into()),
    ];
    if let Some(local) = p.local_priority {
        e.push(("G.8275.defaultDS.localPriority", local.to_string()));
        e.push(("G.8275.portDS.localPriority", local.to_string()));
    }
    if let Some(n) = p.oper_log_sync_interval {
        e.push(("operLogSyncInterval", n.to_string()));
    }
    if let Some(n) = p.oper_log_pdelay_req_interval {
        e.push(("operLogPdelayReqInterval", n.to_string()));
    }
    if let Some(grant) = p.unicast_grant {
        e.push((
            "unicast_req_duration",
            (grant.duration.nanos() / 1_000_000_000).to_string(),
        ));
    }
    e
}

const WHY_SERVO: &str = "Tempora's servos have no such tuning";
const WHY_LOG: &str =
    "Tempora logs to standard error (the journal under systemd); set [observability] log-level";
const WHY_NET: &str = "Tempora has no such network setting yet";
const WHY_DS: &str = "Tempora has no key for this data set member yet";
const WHY_NONE: &str = "Tempora has no such option";

/// Options without a Tempora key: linuxptp's built-in default (at which the
/// option is accepted silently) and why it is not carried over otherwise.
const OTHER: &[(&str, &str, &str)] = &[
    ("socket_priority", "0", WHY_NET),
    ("dscp_event", "0", WHY_NET),
    ("dscp_general", "0", WHY_NET),
    ("udp_ttl", "1", WHY_NET),
    ("udp6_scope", "0x0E", WHY_NET),
    ("clockAccuracy", "0xFE", WHY_DS),
    ("offsetScaledLogVariance", "0xFFFF", WHY_DS),
    ("timeSource", "0xA0", WHY_DS),
    ("productDescription", ";;", WHY_DS),
    ("revisionData", ";;", WHY_DS),
    ("manufacturerIdentity", "00:00:00", WHY_DS),
    (
        "free_running",
        "0",
        "Tempora has no free-running mode: it always disciplines the clock it is given",
    ),
    ("freq_est_interval", "1", WHY_SERVO),
    ("fault_reset_interval", "4", WHY_NONE),
    (
        "operLogSyncInterval",
        "0",
        "Tempora asks for an operational Sync rate only as the automotive-slave profile prescribes",
    ),
    (
        "operLogPdelayReqInterval",
        "0",
        "Tempora asks for an operational Pdelay rate only as the automotive-slave profile prescribes",
    ),
    ("assume_two_step", "0", WHY_NONE),
    ("net_sync_monitor", "0", WHY_NONE),
    ("tc_spanning_tree", "0", WHY_NONE),
    ("tx_timestamp_timeout", "1", WHY_NONE),
    ("use_syslog", "1", WHY_LOG),
    ("verbose", "0", WHY_LOG),
    ("message_tag", "", WHY_LOG),
    (
        "summary_interval",
        "0",
        "Tempora logs no periodic summary; read the status socket or the metrics endpoint",
    ),
    ("kernel_leap", "1", WHY_NONE),
    ("check_fup_sync", "0", WHY_NONE),
    ("pi_proportional_const", "0.0", WHY_SERVO),
    ("pi_integral_const", "0.0", WHY_SERVO),
    ("pi_proportional_scale", "0.0", WHY_SERVO),
    ("pi_proportional_exponent", "-0.3", WHY_SERVO),
    ("pi_proportional_norm_max", "0.7", WHY_SERVO),
    ("pi_integral_scale", "0.0", WHY_SERVO),
    ("pi_integral_exponent", "0.4", WHY_SERVO),
    ("pi_integral_norm_max", "0.3", WHY_SERVO),
    ("step_window", "0", WHY_SERVO),
    ("max_frequency", "900000000", WHY_SERVO),
    ("sanity_freq_limit", "200000000", WHY_SERVO),
    ("servo_num_offset_values", "10", WHY_SERVO),
    ("servo_offset_threshold", "0", WHY_SERVO),
    ("ntpshm_segment", "0", WHY_SERVO),
    ("write_phase_mode", "0", WHY_SERVO),
    (
        "tsproc_mode",
        "filter",
        "Tempora's servos filter delay measurements themselves",
    ),
    (
        "delay_filter",
        "moving_median",
        "Tempora's servos filter delay measurements themselves",
    ),
    (
        "delay_filter_length",
        "10",
        "Tempora's servos filter delay measurements themselves",
    ),
    (
        "egressLatency",
        "0",
        "Tempora has no timestamp latency correction yet; fold it into delay-asymmetry if the latencies are asymmetric",
    ),
    (
        "ingressLatency",
        "0",
        "Tempora has no timestamp latency correction yet; fold it into delay-asymmetry if the latencies are asymmetric",
    ),
    (
        "boundary_clock_jbod",
        "0",
        "Tempora's ports share one clock; there is no JBOD mode",
    ),
    (
        "uds_ro_address",
        "/var/run/ptp4l-ro",
        "Tempora has one management socket",
    ),
    ("uds_file_mode", "0660", "Tempora has one management socket"),
    (
        "uds_ro_file_mode",
        "0666",
        "Tempora has one management socket",
    ),
    ("G.8275.defaultDS.localPriority", "128", WHY_NONE),
    ("G.8275.portDS.localPriority", "128", WHY_NONE),
    ("phc_index", "-1", "set [clock] kind = \"/dev/ptpN\""),
    ("slave_event_monitor", "", WHY_NONE),
    ("refclock_sock_address", "", WHY_NONE),
    ("hwts_filter", "normal", WHY_NONE),
    ("ptp_minor_version", "1", WHY_NONE),
    ("vlan_intf", "", WHY_NONE),
    ("spp", "-1", "Tempora has no PTP authentication yet"),
    (
        "active_key_id",
        "0",
        "Tempora has no PTP authentication yet",
    ),
    ("allow_unauth", "0", "Tempora has no PTP authentication yet"),
    ("sa_file", "", "Tempora has no PTP authentication yet"),
    ("delay_response_timeout", "0", WHY_NONE),
    ("serverOnly_reject", "0", WHY_NONE),
    ("interface_rate_tlv", "0", WHY_NONE),
    ("power_profile.version", "none", WHY_NONE),
    (
        "power_profile.2011.grandmasterTimeInaccuracy",
        "0xFFFFFFFF",
        WHY_NONE,
    ),
    ("power_profile.2011.networkTimeInaccuracy", "0", WHY_NONE),
    (
        "power_profile.2017.totalTimeInaccuracy",
        "0xFFFFFFFF",
        WHY_NONE,
    ),
    ("power_profile.grandmasterID", "0", WHY_NONE),
];

/// Keys carried to a Tempora key by this module.
const INSTANCE_KEYS: &[&str] = &[
    "domainNumber",
    "priority1",
    "priority2",
    "clockClass",
    "slaveOnly",
    "clientOnly",
    "twoStepFlag",
    "clock_type",
    "userDescription",
    "utc_offset",
    "uds_address",
    "logging_level",
    "first_step_threshold",
    "step_threshold",
    "clock_servo",
    "time_stamping",
];

const PORT_KEYS: &[&str] = &[
    "network_transport",
    "delay_mechanism",
    "logAnnounceInterval",
    "logSyncInterval",
    "logMinDelayReqInterval",
    "logMinPdelayReqInterval",
    "announceReceiptTimeout",
    "delayAsymmetry",
    "masterOnly",
    "serverOnly",
    "unicast_listen",
    "unicast_master_table",
];

/// A line of the TOML being written: a key, its TOML value, and the ptp4l
/// option it comes from.
struct Entry {
    key: &'static str,
    value: String,
    origin: Option<Opt>,
    note: Option<String>,
}

struct TomlTable {
    header: String,
    entries: Vec<Entry>,
}

impl TomlTable {
    /// A table without entries.
    fn empty(header: &str) -> Self {
        TomlTable {
            header: header.into(),
            entries: Vec::new(),
        }
    }
}

/// An entry converted from the ptp4l option `o`.
fn converted(key: &'static str, value: String, o: &Opt) -> Entry {
    Entry {
        key,
        value,
        origin: Some(o.clone()),
        note: None,
    }
}

/// The tables the `[global]` options fill, and the ports' timestamping.
struct Globals {
    ptp: TomlTable,
    clock: TomlTable,
    obs: TomlTable,
    timestamping: Option<(String, Opt)>,
}

/// A port's options: those of its interface section, then `[global]`'s.
struct PortOpts {
    own: Vec<Opt>,
    global: Vec<Opt>,
}

impl PortOpts {
    /// The last `key` (or an alias) in the port's section, else in
    /// `[global]`.
    fn get(&self, key: &str) -> Option<Opt> {
        let al = aliases(key);
        let find = |opts: &[Opt]| {
            opts.iter()
                .rev()
                .find(|o| al.contains(&o.key.as_str()))
                .cloned()
        };
        find(&self.own).or_else(|| find(&self.global))
    }
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

struct Converter<'a> {
    file: File,
    file_name: &'a str,
    extra_ifaces: Vec<String>,
    warnings: Vec<String>,
    notes: Vec<String>,
}

impl<'a> Converter<'a> {
    fn new(file: File, file_name: &'a str, interfaces: &[&str]) -> Self {
        Converter {
            file,
            file_name,
            extra_ifaces: interfaces.iter().map(|s| (*s).to_owned()).collect(),
            warnings: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn warn(&mut self, o: &Opt, why: impl AsRef<str>) {
        self.warnings
            .push(format!("{}: not carried over: {}", o.show(), why.as_ref()));
    }

    fn global(&self, key: &str) -> Option<&Opt> {
        self.file.global.get(key)
    }

    fn global_is(&self, key: &str, value: &str) -> bool {
        self.global(key).is_some_and(|o| same(&o.value, value))
    }

    /// The profile the file describes, and why.
    fn detect_profile(&self) -> (&'static Profile, String) {
        let l2 = self
            .global("network_transport")
            .is_some_and(|o| same(&o.value, "L2"));
        let gptp = self.global_is("transportSpecific", "1")
            || (self.global_is("follow_up_info", "1") && self.global_is("path_trace_enabled", "1"));
        if gptp {
            if self.global_is("BMCA", "noop") {
                if self.global_is("masterOnly", "1") {
                    return (
                        &profile::AUTOMOTIVE_MASTER,
                        "gPTP options with `BMCA noop` and `masterOnly 1`".into(),
                    );
                }
                if self.global_is("slaveOnly", "1") {
                    return (
                        &profile::AUTOMOTIVE_SLAVE,
                        "gPTP options with `BMCA noop` and `slaveOnly 1`".into(),
                    );
                }
            }
            return (
                &profile::GPTP,
                "gPTP options (`transportSpecific 0x1`, `follow_up_info`, `path_trace_enabled`)"
                    .into(),
            );
        }
        if self.global_is("dataset_comparison", "G.8275.x") {
            return if l2 {
                (
                    &profile::G8275_1,
                    "`dataset_comparison G.8275.x` over L2".into(),
                )
            } else {
                (
                    &profile::G8275_2,
                    "`dataset_comparison G.8275.x` over UDP".into(),
                )
            };
        }
        if self.global_is("delay_mechanism", "P2P") {
            return (&profile::DEFAULT_P2P, "`delay_mechanism P2P`".into());
        }
        (&profile::DEFAULT, "no profile-specific options".into())
    }

    fn run(mut self) -> Result<(String, Vec<String>), ConfigError> {
        let (profile, why) = self.detect_profile();
        let implied = profile_implied(profile);
        let ptp = self.ptp_table(profile, &why);
        let globals = self.global_options(ptp, profile, &implied);
        let names = self.port_names();
        let mut ports = Vec::new();
        for name in &names {
            let first = names.first() == Some(name);
            let timestamping = globals.timestamping.as_ref();
            ports.push(self.port(name, first, profile, &implied, timestamping));
        }
        self.unicast_table_options();
        let mut tables = vec![globals.ptp];
        tables.extend(ports);
        tables.push(globals.clock);
        tables.push(globals.obs);
        self.finish(tables)
    }

    /// The `[ptp]` table naming the profile, with notes on the values the
    /// profile takes where ptp4l's built-in defaults differ.
    fn ptp_table(&mut self, profile: &Profile, why: &str) -> TomlTable {
        for (ptp4l_key, builtin, profile_value) in [
            ("domainNumber", 0, profile.domain_number),
            ("priority1", 128, profile.priority1),
            ("priority2", 128, profile.priority2),
        ] {
            if self.global(ptp4l_key).is_none() && builtin != profile_value {
                self.notes.push(format!(
                    "`{ptp4l_key}` is not set: ptp4l would use {builtin}, Tempora uses the {} profile's {profile_value}",
                    profile.name
                ));
            }
        }
        TomlTable {
            header: "[ptp]".into(),
            entries: vec![Entry {
                key: "profile",
                value: quote(profile.name),
                origin: None,
                note: Some(format!("chosen from {why}")),
            }],
        }
    }

    /// The `[global]` options, each into its table (the port options are
    /// read per port, by [`Converter::port`]).
    fn global_options(
        &mut self,
        ptp: TomlTable,
        profile: &Profile,
        implied: &[(&'static str, String)],
    ) -> Globals {
        let global_opts = self.file.global.opts.clone();
        let slave_only = self
            .global("slaveOnly")
            .is_some_and(|o| parse_int(&o.value) == Some(1));
        let mut g = Globals {
            ptp,
            clock: TomlTable::empty("[clock]"),
            obs: TomlTable::empty("[observability]"),
            timestamping: None,
        };
        for o in &global_opts {
            // Only the last of repeated options counts, as in ptp4l.
            let al = aliases(&o.key);
            let last = global_opts
                .iter()
                .rev()
                .find(|x| al.contains(&x.key.as_str()))
                .is_some_and(|x| x.line == o.line);
            if !last {
                self.warnings.push(format!(
                    "{}: overridden by a later line for the same option",
                    o.show()
                ));
                continue;
            }
            match o.key.as_str() {
                "domainNumber" | "priority1" | "priority2" | "clockClass" | "utc_offset"
                | "slaveOnly" | "clientOnly" | "twoStepFlag" | "clock_type" | "userDescription" => {
                    g.ptp.entries.extend(self.ptp_option(o, slave_only));
                }
                "uds_address" | "logging_level" => {
                    g.obs.entries.extend(self.observability_option(o));
                }
                "first_step_threshold" | "step_threshold" | "clock_servo" => {
                    g.clock.entries.extend(self.clock_option(o));
                }
                "time_stamping" => {
                    if let Some(v) = self.timestamping_option(o) {
                        g.timestamping = Some((v.to_owned(), o.clone()));
                    }
                }
                k if PORT_KEYS.contains(&k) => {} // per port
                _ => self.other(o, profile, implied),
            }
        }
        g
    }

    /// The `[ptp]` entry for a `[global]` option of the clock, if it has
    /// one (a warning or a note otherwise).
    fn ptp_option(&mut self, o: &Opt, slave_only: bool) -> Option<Entry> {
        let key = o.key.as_str();
        let int = parse_int(&o.value);
        match key {
            "domainNumber" | "priority1" | "priority2" | "clockClass" => {
                let Some(n) = int else {
                    self.warn(o, "not an integer");
                    return None;
                };
                if key == "clockClass" && slave_only {
                    self.notes.push(format!(
                        "{}: a slave-only clock announces class 255, as in ptp4l",
                        o.show()
                    ));
                    return None;
                }
                let k = match key {
                    "domainNumber" => "domain",
                    "priority1" => "priority1",
                    "priority2" => "priority2",
                    _ => "clock-class",
                };
                Some(converted(k, n.to_string(), o))
            }
            "utc_offset" => {
                let Some(n) = int.filter(|n| (0..=1000).contains(n)) else {
                    self.warn(o, "expected TAI − UTC in seconds");
                    return None;
                };
                Some(converted("current-utc-offset", n.to_string(), o))
            }
            "slaveOnly" | "clientOnly" | "twoStepFlag" => {
                let Some(b) = int.filter(|n| *n == 0 || *n == 1) else {
                    self.warn(o, "expected 0 or 1");
                    return None;
                };
                let k = if key == "twoStepFlag" {
                    "two-step"
                } else {
                    "slave-only"
                };
                Some(converted(k, (b == 1).to_string(), o))
            }
            "clock_type" => {
                let kind = match o.value.to_ascii_uppercase().as_str() {
                    "OC" => return None,
                    "BC" => "boundary",
                    "E2E_TC" => "e2e-transparent",
                    "P2P_TC" => "p2p-transparent",
                    _ => {
                        self.warn(o, "expected OC, BC, E2E_TC or P2P_TC");
                        return None;
                    }
                };
                Some(converted("kind", quote(kind), o))
            }
            "userDescription" if o.value != ";" && !o.value.is_empty() => {
                Some(converted("user-description", quote(&o.value), o))
            }
            _ => None,
        }
    }

    /// The `[observability]` entry for `uds_address` or `logging_level`.
    fn observability_option(&mut self, o: &Opt) -> Option<Entry> {
        if o.key == "uds_address" {
            return Some(converted("socket", quote(&o.value), o));
        }
        let level = match parse_int(&o.value) {
            Some(0..=3) => "error",
            Some(4) => "warn",
            Some(5 | 6) => "info",
            Some(7) => "debug",
            _ => {
                self.warn(o, "expected a syslog level from 0 to 7");
                return None;
            }
        };
        Some(converted("log-level", quote(level), o))
    }

    /// The `[clock]` entry for a step threshold or `clock_servo`.
    fn clock_option(&mut self, o: &Opt) -> Option<Entry> {
        if o.key == "clock_servo" {
            if o.value == "pi" {
                return Some(converted("servo", quote("pi"), o));
            }
            let other = &o.value;
            self.warn(
                o,
                format!("Tempora's servos are `kalman` (its default) and `pi`, not `{other}`"),
            );
            return None;
        }
        let Some(d) = seconds(&o.value) else {
            self.warn(o, "not a number of seconds");
            return None;
        };
        let k = if o.key == "step_threshold" {
            "running-step-threshold"
        } else {
            "step-threshold"
        };
        Some(converted(k, quote(&d), o))
    }

    /// The ports' timestamping for `time_stamping`.
    fn timestamping_option(&mut self, o: &Opt) -> Option<&'static str> {
        match o.value.as_str() {
            "hardware" => Some("hardware"),
            "software" => Some("software"),
            "legacy" | "onestep" | "p2p1step" => {
                self.warn(
                    o,
                    format!(
                        "Tempora has no `{}` mode; the ports use hardware two-step timestamping",
                        o.value
                    ),
                );
                Some("hardware")
            }
            _ => {
                self.warn(o, "expected hardware or software");
                None
            }
        }
    }

    /// The interfaces: the file's sections, then those given besides
    /// (`eth0`, with a warning, if there are none).
    fn port_names(&mut self) -> Vec<String> {
        let mut names: Vec<String> = self.file.ifaces.iter().map(|s| s.name.clone()).collect();
        for extra in self.extra_ifaces.clone() {
            if !names.contains(&extra) {
                names.push(extra);
            }
        }
        if names.is_empty() {
            self.warnings.push(
                "the file names no interface (ptp4l takes them from -i): the port is written as `eth0`; change it"
                    .into(),
            );
            names.push("eth0".into());
        }
        names
    }

    /// The `[[port]]` table of interface `name`; the notes on unset
    /// intervals are written for the `first` port only.
    fn port(
        &mut self,
        name: &str,
        first: bool,
        profile: &Profile,
        implied: &[(&'static str, String)],
        timestamping: Option<&(String, Opt)>,
    ) -> TomlTable {
        let own: Vec<Opt> = self
            .file
            .ifaces
            .iter()
            .find(|s| s.name == name)
            .map_or_else(Vec::new, |s| s.opts.clone());
        self.port_section(&own, name, profile, implied);
        let opts = PortOpts {
            own,
            global: self.file.global.opts.clone(),
        };
        let mut t = TomlTable {
            header: "[[port]]".into(),
            entries: vec![Entry {
                key: "interface",
                value: quote(name),
                origin: None,
                note: None,
            }],
        };
        self.port_transport(&mut t, &opts, profile);
        self.port_intervals(&mut t, &opts, profile, first);
        if let Some(o) = opts.get("delayAsymmetry") {
            match parse_int(&o.value) {
                Some(n) => {
                    let v = quote(&format!("{n}ns"));
                    t.entries.push(converted("delay-asymmetry", v, &o));
                }
                None => self.warn(&o, "not an integer number of nanoseconds"),
            }
        }
        if let Some((v, o)) = timestamping {
            t.entries.push(converted("timestamping", quote(v), o));
        }
        self.port_unicast(&mut t, &opts, name);
        t
    }

    /// Warnings for the options of interface section `name` that are not
    /// port options.
    fn port_section(
        &mut self,
        own: &[Opt],
        name: &str,
        profile: &Profile,
        implied: &[(&'static str, String)],
    ) {
        for o in own {
            let k = o.key.as_str();
            if PORT_KEYS.contains(&k) {
                continue;
            }
            if INSTANCE_KEYS.contains(&k) {
                self.warn(
                    o,
                    format!("ptp4l reads `{k}` from [global] only (in [{name}])"),
                );
            } else {
                self.other(o, profile, implied);
            }
        }
    }

    /// A port's transport and delay mechanism.
    fn port_transport(&mut self, t: &mut TomlTable, opts: &PortOpts, profile: &Profile) {
        let mut transport = crate::Transport::of_profile(profile);
        if let Some(o) = opts.get("network_transport") {
            match o.value.as_str() {
                "UDPv4" => transport = crate::Transport::Udp4,
                "UDPv6" => transport = crate::Transport::Udp6,
                "L2" => transport = crate::Transport::L2,
                _ => self.warn(&o, "expected UDPv4, UDPv6 or L2"),
            }
            t.entries
                .push(converted("transport", quote(transport.as_str()), &o));
        }
        if let Some(o) = opts.get("delay_mechanism") {
            match o.value.to_ascii_uppercase().as_str() {
                "E2E" => t
                    .entries
                    .push(converted("delay-mechanism", quote("e2e"), &o)),
                "P2P" => t
                    .entries
                    .push(converted("delay-mechanism", quote("p2p"), &o)),
                _ => self.warn(&o, "Tempora's delay mechanisms are E2E and P2P"),
            }
        }
    }

    /// A port's message intervals and announce receipt timeout, with notes
    /// (for the `first` port) where the profile's differ from ptp4l's
    /// built-in defaults.
    fn port_intervals(
        &mut self,
        t: &mut TomlTable,
        opts: &PortOpts,
        profile: &Profile,
        first: bool,
    ) {
        for (ptp4l_key, key, builtin, profile_value) in [
            (
                "logAnnounceInterval",
                "log-announce-interval",
                1,
                i64::from(profile.log_announce_interval),
            ),
            (
                "logSyncInterval",
                "log-sync-interval",
                0,
                i64::from(profile.log_sync_interval),
            ),
            (
                "logMinDelayReqInterval",
                "log-min-delay-req-interval",
                0,
                i64::from(profile.log_min_delay_req_interval),
            ),
            (
                "logMinPdelayReqInterval",
                "log-min-pdelay-req-interval",
                0,
                i64::from(profile.log_min_pdelay_req_interval),
            ),
            (
                "announceReceiptTimeout",
                "announce-receipt-timeout",
                3,
                i64::from(profile.announce_receipt_timeout),
            ),
        ] {
            match opts.get(ptp4l_key) {
                Some(o) => match parse_int(&o.value) {
                    Some(n) => t.entries.push(converted(key, n.to_string(), &o)),
                    None => self.warn(&o, "not an integer"),
                },
                None if builtin != profile_value && first => {
                    self.notes.push(format!(
                        "`{ptp4l_key}` is not set: ptp4l would use {builtin}, Tempora uses the {} profile's {profile_value}",
                        profile.name
                    ));
                }
                None => {}
            }
        }
    }

    /// A port's unicast masters and its unicast and master-only flags.
    fn port_unicast(&mut self, t: &mut TomlTable, opts: &PortOpts, name: &str) {
        let masters = self.unicast_masters(opts.get("unicast_master_table"), name);
        if let Some((list, o)) = masters {
            t.entries.push(converted(
                "unicast-masters",
                format!("[{}]", list.join(", ")),
                &o,
            ));
        }
        for (ptp4l_key, key) in [
            ("unicast_listen", "unicast-listen"),
            ("masterOnly", "master-only"),
        ] {
            if let Some(o) = opts.get(ptp4l_key) {
                match parse_int(&o.value) {
                    Some(b @ (0 | 1)) => t.entries.push(converted(key, (b == 1).to_string(), &o)),
                    _ => self.warn(&o, "expected 0 or 1"),
                }
            }
        }
    }

    /// Warnings for the options of the unicast master tables other than
    /// the masters.
    fn unicast_table_options(&mut self) {
        let others: Vec<Opt> = self
            .file
            .tables
            .iter()
            .flat_map(|t| t.other.clone())
            .collect();
        for o in &others {
            if o.key == "logQueryInterval" && same(&o.value, "0") {
                continue;
            }
            let why = if o.key == "peer_address" {
                "Tempora sends Pdelay_Req to the unicast master itself"
            } else {
                "Tempora has no setting for it in unicast master tables"
            };
            self.warn(o, why);
        }
    }

    /// The unicast masters of table `o` (`unicast_master_table N`).
    fn unicast_masters(&mut self, o: Option<Opt>, iface: &str) -> Option<(Vec<String>, Opt)> {
        let o = o?;
        let id = parse_int(&o.value)?;
        if id == 0 {
            return None;
        }
        let Some(table) = self
            .file
            .tables
            .iter()
            .find(|t| t.id.is_some_and(|t| i64::from(t) == id))
        else {
            self.warn(
                &o,
                format!("no [unicast_master_table] has table_id {id} (port {iface})"),
            );
            return None;
        };
        let list = table
            .masters
            .iter()
            .map(|m| quote(&m.value))
            .collect::<Vec<_>>();
        Some((list, o))
    }

    /// An option without a Tempora key: silent if the profile implies it or
    /// it has linuxptp's default value, a warning otherwise.
    fn other(&mut self, o: &Opt, profile: &Profile, implied: &[(&'static str, String)]) {
        let key = o.key.as_str();
        if let Some((_, want)) = implied.iter().find(|(k, _)| *k == key) {
            if same(&o.value, want) {
                return;
            }
            let reason = format!("the {} profile fixes `{key}` at {want}", profile.name);
            self.warn(o, reason);
            return;
        }
        if let Some((_, default, why)) = OTHER.iter().find(|(k, _, _)| *k == key) {
            if !default.is_empty() && same(&o.value, default) {
                return;
            }
            self.warn(o, *why);
            return;
        }
        if key.starts_with("ts2phc.") {
            self.warn(
                o,
                "a ts2phc option, not converted: write an `extts` [[refclock]] (docs/refclocks.md)",
            );
            return;
        }
        if key == "unicast_req_duration" && same(&o.value, "3600") {
            return;
        }
        if key == "unicast_req_duration" {
            self.warn(o, "Tempora requests the grant duration of its profile");
            return;
        }
        self.warn(o, "not a ptp4l option Tempora knows");
    }

    /// Renders the tables; drops any entry Tempora refuses (with a warning)
    /// until the result loads.
    fn finish(mut self, mut tables: Vec<TomlTable>) -> Result<(String, Vec<String>), ConfigError> {
        loop {
            let (text, lines) = self.render(&tables);
            match Config::parse(&text, "converted") {
                Ok(_) => {
                    return Ok((text, sorted(self.warnings)));
                }
                Err(e) => {
                    let Some(&(ti, ei)) = lines.get(&e.line) else {
                        return Err(ConfigError {
                            file: self.file_name.to_owned(),
                            ..e
                        });
                    };
                    let entry = tables[ti].entries.remove(ei);
                    match entry.origin {
                        Some(o) => {
                            let msg = e.message.clone();
                            self.warn(&o, format!("Tempora refuses it: {msg}"));
                        }
                        None => {
                            return Err(ConfigError {
                                file: self.file_name.to_owned(),
                                ..e
                            });
                        }
                    }
                }
            }
        }
    }

    fn render(&self, tables: &[TomlTable]) -> (String, BTreeMap<usize, (usize, usize)>) {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Tempora configuration converted from the ptp4l configuration {}.",
            self.file_name
        );
        if !self.notes.is_empty() {
            out.push_str("#\n# Notes:\n");
            for n in &self.notes {
                let _ = writeln!(out, "#   {n}");
            }
        }
        if !self.warnings.is_empty() {
            out.push_str("#\n# Not carried over:\n");
            for w in sorted(self.warnings.clone()) {
                let _ = writeln!(out, "#   {w}");
            }
        }
        let mut lines = BTreeMap::new();
        for (ti, t) in tables.iter().enumerate() {
            if t.entries.is_empty() && t.header != "[ptp]" {
                continue;
            }
            let _ = writeln!(out, "\n{}", t.header);
            for (ei, e) in t.entries.iter().enumerate() {
                let line = out.matches('\n').count() + 1;
                lines.insert(line, (ti, ei));
                let _ = write!(out, "{} = {}", e.key, e.value);
                match (&e.origin, &e.note) {
                    (Some(o), _) => {
                        let _ = write!(out, "  # {} {} (line {})", o.key, o.value, o.line);
                    }
                    (None, Some(n)) => {
                        let _ = write!(out, "  # {n}");
                    }
                    (None, None) => {}
                }
                out.push('\n');
            }
        }
        (out, lines)
    }
}

/// Warnings in the order of the lines they name, each once.
fn sorted(mut w: Vec<String>) -> Vec<String> {
    w.sort_by_key(|w| line_of(w));
    let mut seen = std::collections::BTreeSet::new();
    w.retain(|x| seen.insert(x.clone()));
    w
}

/// The ptp4l line a warning names, for sorting.
fn line_of(w: &str) -> usize {
    w.strip_prefix("line ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// A ptp4l threshold in seconds (`0.00002`) as a Tempora duration string.
fn seconds(v: &str) -> Option<String> {
    let v = v.trim();
    if let Ok(d) = parse_duration(&format!("{v}s")) {
        return Some(crate::format_duration(d));
    }
    let f: f64 = v.parse().ok()?;
    if !f.is_finite() || f < 0.0 {
        return None;
    }
    Some(format!("{}ns", (f * 1e9).round() as i64))
}
