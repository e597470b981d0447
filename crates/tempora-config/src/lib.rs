//! # tempora-config
//!
//! The configuration of the Tempora daemon: a TOML file with the sections
//! `[ptp]` (the PTP instance), `[[port]]` (one per interface), `[clock]`
//! (the disciplined clock and its servo) and `[observability]` (status
//! socket, metrics, logging). `docs/config-reference.md` describes every key.
//!
//! * [`Config::load`] and [`Config::parse`] read and check a file; every
//!   mistake, from an unknown key to a setting that contradicts the
//!   profile, is a [`ConfigError`] that displays as `FILE:LINE:COL: message`.
//! * [`Config::instance_config`] turns it into the protocol engine's
//!   [`InstanceConfig`]: the profile preset first, then the overrides.
//! * [`Config::to_toml`] writes a configuration back out.
//! * [`from_ptp4l`] converts a linuxptp `ptp4l` configuration file, and
//!   [`from_chrony`] a chrony one (`chrony.conf`).
//!
//! ```
//! let text = r#"
//! [ptp]
//! profile = "default"
//! domain = 4
//!
//! [[port]]
//! interface = "eth0"
//! "#;
//! let config = tempora_config::Config::parse(text, "tempora.toml").unwrap();
//! assert_eq!(config.ports()[0].interface, "eth0");
//!
//! let bad = "[clock]\ncolour = \"blue\"\n";
//! let err = tempora_config::Config::parse(bad, "tempora.toml").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "tempora.toml:2:1: unknown key `colour` in [clock]; expected one of \
//!      `kind`, `initial-offset`, `frequency-offset-ppm`, `servo`, `step-threshold`, \
//!      `running-step-threshold`, `panic-threshold`, `frequency-file`, `sync-system-clock`, \
//!      `holdover-budget`, `holdover-class`, `leap-seconds-file`"
//! );
//! ```
#![forbid(unsafe_code)]

mod check;
mod check_csptp;
mod check_refclock;
mod check_roughtime;
mod chrony;
mod csptp;
mod duration;
mod error;
mod file;
mod ntpv5;
mod ptp4l;
mod refclock;
mod roughtime;
mod sa;
mod spans;
mod values;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tempora_clock::Duration;
pub use tempora_clock::servo::sanity::Threshold;
use tempora_ptp::datasets::{DelayMechanism, InstanceType};
use tempora_ptp::engine::{Address, InstanceConfig};
use tempora_ptp::interval::LogInterval;
use tempora_ptp::profile::Profile;
use tempora_ptp::wire::{ClockIdentity, PortIdentity};

pub use check_refclock::BAUD_RATES;
pub use chrony::{ChronyConversion, ChronyFiles, ChronyNote, from_chrony, from_chrony_files};
pub use csptp::{
    AnnounceOverrides, CSPTP_EVENT_PORT, CsptpServerSettings, CsptpSourceSettings,
    DEFAULT_CSPTP_DOMAIN, split_csptp_address,
};
pub use duration::{DurationError, UNITS, format_duration, parse_duration};
pub use error::ConfigError;
pub use ntpv5::{NtpDraftSetting, NtpTimescaleSetting, NtpVersionSetting, default_server_versions};
pub use ptp4l::{from_ptp4l, from_ptp4l_with_interfaces};
pub use refclock::{
    DEFAULT_GPSD_ADDRESS, PhcTimescaleSetting, PpsEdgeSetting, RefclockDriver, RefclockSettings,
    SHM_KEY_BASE,
};
pub use roughtime::{
    ROUGHTIME_PORT, RoughtimeServerSettings, RoughtimeSettings, RoughtimeSourceSettings,
    RoughtimeVersion, decode_public_key, split_roughtime_address,
};
pub use tempora_ntp::access::{Cidr, RateLimit};

/// The default path of the status and management socket.
pub const DEFAULT_SOCKET: &str = "/run/tempora/tempora.sock";

/// The default first step threshold (linuxptp's `first_step_threshold`).
pub const DEFAULT_STEP_THRESHOLD: Duration = Duration::from_micros(20);

/// The smallest and largest log2 message interval accepted for
/// `log-*-interval` keys: 128 messages a second to one every 128 s.
pub const LOG_INTERVAL_RANGE: core::ops::RangeInclusive<i8> =
    LogInterval::MIN.get()..=LogInterval::MAX.get();

/// The largest `frequency-offset-ppm` of a virtual clock, in ppm.
pub const MAX_FREQUENCY_OFFSET_PPM: f64 = 500.0;

/// How a port carries PTP messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// UDP over IPv4 (IEEE 1588-2019 Annex C).
    Udp4,
    /// UDP over IPv6 (IEEE 1588-2019 Annex D).
    Udp6,
    /// IEEE 802.3 Ethernet (IEEE 1588-2019 Annex E).
    L2,
}

impl Transport {
    /// The name used in the file: `udp4`, `udp6` or `l2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp4 => "udp4",
            Transport::Udp6 => "udp6",
            Transport::L2 => "l2",
        }
    }

    /// `networkProtocol` (IEEE 1588-2019 §7.4.1): 1, 2 or 3.
    pub fn network_protocol(self) -> u16 {
        match self {
            Transport::Udp4 => 1,
            Transport::Udp6 => 2,
            Transport::L2 => 3,
        }
    }

    /// The transport a profile uses by default.
    pub fn of_profile(profile: &Profile) -> Self {
        match profile.transport {
            tempora_ptp::profile::Transport::UdpIpv4 => Transport::Udp4,
            tempora_ptp::profile::Transport::UdpIpv6 => Transport::Udp6,
            tempora_ptp::profile::Transport::Ethernet => Transport::L2,
        }
    }
}

/// How a port timestamps PTP event messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timestamping {
    /// Hardware if the interface has it, software otherwise.
    #[default]
    Auto,
    /// Hardware (PHC) timestamps only; the port fails without them.
    Hardware,
    /// Kernel software timestamps.
    Software,
}

impl Timestamping {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Timestamping::Auto => "auto",
            Timestamping::Hardware => "hardware",
            Timestamping::Software => "software",
        }
    }
}

/// The kind of PTP instance (IEEE 1588-2019 §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceKind {
    /// An ordinary clock: one port.
    Ordinary,
    /// A boundary clock: several ports.
    Boundary,
    /// An end-to-end transparent clock.
    E2eTransparent,
    /// A peer-to-peer transparent clock.
    P2pTransparent,
}

impl InstanceKind {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceKind::Ordinary => "ordinary",
            InstanceKind::Boundary => "boundary",
            InstanceKind::E2eTransparent => "e2e-transparent",
            InstanceKind::P2pTransparent => "p2p-transparent",
        }
    }

    /// The engine's instance type.
    pub fn instance_type(self) -> InstanceType {
        match self {
            InstanceKind::Ordinary => InstanceType::OrdinaryClock,
            InstanceKind::Boundary => InstanceType::BoundaryClock,
            InstanceKind::E2eTransparent => InstanceType::E2eTransparentClock,
            InstanceKind::P2pTransparent => InstanceType::P2pTransparentClock,
        }
    }
}

/// The timescale a grandmaster serves (IEEE 1588-2019 §7.2.1, §8.2.4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timescale {
    /// The PTP timescale (TAI): a UTC clock (system, virtual) is served as
    /// its time plus `current-utc-offset`, with `ptpTimescale` and
    /// `currentUtcOffsetValid` set.
    Ptp,
    /// An arbitrary timescale: the clock's own time as it is (what ptp4l
    /// serves from the system clock).
    Arb,
}

impl Timescale {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Timescale::Ptp => "ptp",
            Timescale::Arb => "arb",
        }
    }
}

/// The clock the daemon disciplines.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClockKind {
    /// The system clock (`CLOCK_REALTIME`).
    System,
    /// A simulated clock inside the daemon, for tests and demonstrations.
    Virtual,
    /// A PTP hardware clock, e.g. `/dev/ptp0`.
    Phc(PathBuf),
}

impl ClockKind {
    /// The value written in the file: `system`, `virtual` or the device path.
    pub fn to_file_value(&self) -> String {
        match self {
            ClockKind::System => "system".into(),
            ClockKind::Virtual => "virtual".into(),
            ClockKind::Phc(p) => p.display().to_string(),
        }
    }
}

/// The servo that steers the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServoKind {
    /// Tempora's Kalman filter servo.
    #[default]
    Kalman,
    /// A PI controller like linuxptp's.
    Pi,
}

impl ServoKind {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            ServoKind::Kalman => "kalman",
            ServoKind::Pi => "pi",
        }
    }
}

/// How much the daemon logs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Deserialize, Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warn,
    /// Also state changes and periodic summaries.
    #[default]
    Info,
    /// Also per-message decisions.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// The `[ptp]` section: the profile and the instance-wide overrides of it.
/// `None` keeps the profile's value.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct PtpSettings {
    /// The profile preset (`profile`; default `default`).
    #[serde(with = "values::text")]
    pub profile: &'static Profile,
    /// `domain`: `domainNumber`.
    pub domain: Option<u8>,
    /// `priority1`.
    pub priority1: Option<u8>,
    /// `priority2`.
    pub priority2: Option<u8>,
    /// `clock-class`: `clockQuality.clockClass`.
    pub clock_class: Option<u8>,
    /// `slave-only`.
    pub slave_only: Option<bool>,
    /// `two-step`: `twoStepFlag`.
    pub two_step: Option<bool>,
    /// `kind`; `None` means ordinary with one port, boundary with more.
    pub kind: Option<InstanceKind>,
    /// `user-description`.
    pub user_description: Option<String>,
    /// `timescale` served as grandmaster; `None`: PTP for a PHC, ARB for
    /// the system and virtual clocks (as ptp4l does).
    pub timescale: Option<Timescale>,
    /// `current-utc-offset`: TAI − UTC in seconds announced with the PTP
    /// timescale; `None`: the kernel's TAI offset if it is set, else 37.
    pub current_utc_offset: Option<i16>,
    /// `sa-file`: the security associations (linuxptp's `sa_file` format)
    /// that ports with an `spp` use (IEEE 1588-2019 §16.14, Annex P).
    pub sa_file: Option<PathBuf>,
    /// `allow-mutable-correction`: compute and check ICVs with
    /// correctionField zeroed, for transparent clocks without the keys
    /// (overrides every association's `allow_mutable`).
    pub allow_mutable_correction: Option<bool>,
    /// `network-management`: what management messages from the network
    /// may do (default read-only).
    #[serde(skip_serializing_if = "is_read_only")]
    pub network_management: NetworkManagement,
    /// `master-sanity-threshold`: `auto` (1 s once the servo has locked),
    /// a duration, or `off`.
    #[serde(with = "values::text", skip_serializing_if = "is_auto")]
    pub master_sanity_threshold: Threshold,
    /// `master-sanity-hold`: how long a master that disagrees with the
    /// disciplined clock, or a jump of the UTC offset, must last before
    /// it is followed (default 60 s).
    #[serde(with = "values::text", skip_serializing_if = "is_default_hold")]
    pub master_sanity_hold: Duration,
}

fn is_read_only(v: &NetworkManagement) -> bool {
    *v == NetworkManagement::ReadOnly
}

fn is_auto(v: &Threshold) -> bool {
    *v == Threshold::Auto
}

fn is_default_hold(v: &Duration) -> bool {
    *v == tempora_clock::servo::sanity::DEFAULT_HOLD
}

/// What management messages from the network may do (`[ptp]
/// network-management`; IEEE 1588-2019 §15). The local control socket
/// always has full control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkManagement {
    /// GET only; SET and COMMAND get MANAGEMENT_ERROR_STATUS NOT_SUPPORTED
    /// (§15.5.4.4), as from ptp4l.
    #[default]
    ReadOnly,
    /// GET, SET and COMMAND.
    ReadWrite,
    /// No answer at all (counted).
    Off,
}

impl NetworkManagement {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkManagement::ReadOnly => "read-only",
            NetworkManagement::ReadWrite => "read-write",
            NetworkManagement::Off => "off",
        }
    }

    /// The engine's setting.
    pub fn engine(self) -> tempora_ptp::engine::NetworkManagement {
        use tempora_ptp::engine::NetworkManagement as Engine;
        match self {
            NetworkManagement::ReadOnly => Engine::ReadOnly,
            NetworkManagement::ReadWrite => Engine::ReadWrite,
            NetworkManagement::Off => Engine::Off,
        }
    }
}

/// An entry of `[[port]] acceptable-masters`: a clock identity (every port
/// of that clock) or a port identity, optionally bound to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptableMaster {
    /// The master's port identity; port number 0xFFFF for every port.
    pub identity: PortIdentity,
    /// The only address it may send from, if given.
    pub address: Option<Address>,
}

impl AcceptableMaster {
    /// Parses `aabbcc.fffe.ddeeff`, `aabbcc.fffe.ddeeff-1`, either followed
    /// by `@ADDRESS` (IPv4, IPv6 or MAC); `None` if it is not one.
    pub fn parse(text: &str) -> Option<AcceptableMaster> {
        let (id, address) = match text.trim().split_once('@') {
            Some((id, a)) => (id, Some(parse_address(a)?)),
            None => (text.trim(), None),
        };
        let (clock, port) = match id.split_once('-') {
            Some((c, p)) => (c, p.parse::<u16>().ok().filter(|p| *p != 0)?),
            None => (id, PortIdentity::ALL.port_number),
        };
        let hex: String = clock.split('.').collect();
        if hex.len() != 16 || clock.split('.').count() != 3 {
            return None;
        }
        let mut bytes = [0u8; 8];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(AcceptableMaster {
            identity: PortIdentity {
                clock_identity: ClockIdentity(bytes),
                port_number: port,
            },
            address,
        })
    }
}

impl std::fmt::Display for AcceptableMaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.identity.port_number == PortIdentity::ALL.port_number {
            write!(f, "{}", self.identity.clock_identity)?;
        } else {
            write!(f, "{}", self.identity)?;
        }
        match &self.address {
            Some(a) => write!(f, "@{}", format_address(a)),
            None => Ok(()),
        }
    }
}

impl Default for PtpSettings {
    /// The default profile, no overrides.
    fn default() -> Self {
        PtpSettings {
            profile: &tempora_ptp::profile::DEFAULT,
            domain: None,
            priority1: None,
            priority2: None,
            clock_class: None,
            slave_only: None,
            two_step: None,
            kind: None,
            user_description: None,
            timescale: None,
            current_utc_offset: None,
            network_management: NetworkManagement::ReadOnly,
            master_sanity_threshold: Threshold::Auto,
            master_sanity_hold: tempora_clock::servo::sanity::DEFAULT_HOLD,
            sa_file: None,
            allow_mutable_correction: None,
        }
    }
}

/// One `[[port]]` section. `None` keeps the profile's value.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PortSettings {
    /// `interface`: the network interface name.
    pub interface: String,
    /// `transport` (default: the profile's).
    #[serde(default = "default_transport")]
    pub transport: Transport,
    /// `delay-mechanism`: E2e or P2p.
    #[serde(default, with = "values::delay")]
    pub delay_mechanism: Option<DelayMechanism>,
    /// `log-announce-interval`.
    #[serde(default, with = "values::log_interval")]
    pub log_announce_interval: Option<LogInterval>,
    /// `log-sync-interval`.
    #[serde(default, with = "values::log_interval")]
    pub log_sync_interval: Option<LogInterval>,
    /// `log-min-delay-req-interval`.
    #[serde(default, with = "values::log_interval")]
    pub log_min_delay_req_interval: Option<LogInterval>,
    /// `log-min-pdelay-req-interval`.
    #[serde(default, with = "values::log_interval")]
    pub log_min_pdelay_req_interval: Option<LogInterval>,
    /// `announce-receipt-timeout`.
    #[serde(default)]
    pub announce_receipt_timeout: Option<u8>,
    /// `delay-asymmetry`.
    #[serde(default, with = "values::opt_text")]
    pub delay_asymmetry: Option<Duration>,
    /// `timestamping` (default auto).
    #[serde(default)]
    pub timestamping: Timestamping,
    /// `unicast-masters`: masters to request unicast service from.
    #[serde(
        default,
        with = "values::vec_text",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub unicast_masters: Vec<Address>,
    /// `unicast-listen`: grant unicast service to slaves that ask.
    #[serde(default)]
    pub unicast_listen: Option<bool>,
    /// `master-only`.
    #[serde(default)]
    pub master_only: Option<bool>,
    /// `acceptable-masters`: when not empty, the only masters this port
    /// follows (IEEE 1588-2019 §17.6, the acceptable master table).
    #[serde(
        default,
        with = "values::vec_text",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub acceptable_masters: Vec<AcceptableMaster>,
    /// `spp`: the security association of `[ptp] sa-file` this port
    /// authenticates with (AUTHENTICATION TLV, IEEE 1588-2019 §16.14).
    #[serde(default)]
    pub spp: Option<u8>,
    /// `active-key-id`: the key of that association outgoing messages use.
    #[serde(default)]
    pub active_key_id: Option<u32>,
    /// `prefer`: the system peer whenever it survives the selection
    /// (chrony's `prefer`; docs/sources.md).
    #[serde(default, skip_serializing_if = "is_false")]
    pub prefer: bool,
    /// `noselect`: measured and shown, never selected, no vote (chrony's
    /// `noselect`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub noselect: bool,
    /// `trust`: a falseticker only when another trusted source disagrees
    /// (chrony's `trust`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub trust: bool,
    /// `require`: nothing is selected unless a `require` source survives
    /// (chrony's `require`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub require: bool,
    /// `offset`: added to every offset measured of the source (chrony's
    /// `offset`), e.g. `"-50us"`.
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub offset: Option<Duration>,
    /// `max-delay`: measurements whose round-trip delay exceeds this are
    /// ignored and counted (chrony's `maxdelay`; for a PTP port, twice the
    /// mean path delay).
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_delay: Option<Duration>,
}

/// The transport of a port that names none, until the checks put in the
/// profile's.
fn default_transport() -> Transport {
    Transport::of_profile(&tempora_ptp::profile::DEFAULT)
}

/// The `[clock]` section.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct ClockSettings {
    /// `kind` (default system).
    #[serde(with = "values::text")]
    pub kind: ClockKind,
    /// `initial-offset` of a virtual clock.
    #[serde(with = "values::opt_text")]
    pub initial_offset: Option<Duration>,
    /// `frequency-offset-ppm` of a virtual clock.
    pub frequency_offset_ppm: Option<f64>,
    /// `servo` (default kalman).
    pub servo: ServoKind,
    /// `step-threshold`: on the first update, step if the offset is beyond
    /// it (default 20 µs; 0 never steps).
    #[serde(with = "values::text")]
    pub step_threshold: Duration,
    /// `running-step-threshold`: after the first update, step if the offset
    /// is beyond it (default 0: never, slew only).
    #[serde(with = "values::text", skip_serializing_if = "is_zero_duration")]
    pub running_step_threshold: Duration,
    /// `panic-threshold`: refuse to correct an offset beyond it (default:
    /// no limit).
    #[serde(with = "values::opt_text")]
    pub panic_threshold: Option<Duration>,
    /// `frequency-file`: where the frequency estimate is kept across restarts.
    #[serde(with = "values::opt_text")]
    pub frequency_file: Option<PathBuf>,
    /// `sync-system-clock`: with a PHC, also keep the system clock on the
    /// PHC's time (as phc2sys does), in UTC when the PHC counts TAI.
    #[serde(skip_serializing_if = "is_false")]
    pub sync_system_clock: bool,
    /// `holdover-budget`: after the reference clock is lost, the clock is
    /// announced in holdover within specification (PTP clockClass 7) while
    /// the estimated time error stays within this (default 1 µs).
    #[serde(with = "values::text")]
    pub holdover_budget: Duration,
    /// `holdover-class`: the clockClass once the budget is spent: 248 (the
    /// default), or IEEE 1588-2019 Table 4's degradation alternatives 52
    /// (A) and 187 (B).
    pub holdover_class: u8,
    /// `leap-seconds-file`: the IERS/IANA `leap-seconds.list` (none: the
    /// [`DEFAULT_LEAP_SECONDS_FILE`] if it exists).
    #[serde(with = "values::opt_text", skip_serializing_if = "Option::is_none")]
    pub leap_seconds_file: Option<PathBuf>,
}

/// Where Debian's (and most distributions') `tzdata` installs the IERS
/// leap second list.
pub const DEFAULT_LEAP_SECONDS_FILE: &str = "/usr/share/zoneinfo/leap-seconds.list";

/// The default `holdover-budget`.
pub const DEFAULT_HOLDOVER_BUDGET: Duration = Duration::from_micros(1);

/// The default `holdover-class`.
pub const DEFAULT_HOLDOVER_CLASS: u8 = 248;

fn is_false(v: &bool) -> bool {
    !*v
}

fn is_zero_duration(d: &Duration) -> bool {
    *d == Duration::ZERO
}

impl Default for ClockSettings {
    fn default() -> Self {
        ClockSettings {
            kind: ClockKind::System,
            initial_offset: None,
            frequency_offset_ppm: None,
            servo: ServoKind::Kalman,
            step_threshold: DEFAULT_STEP_THRESHOLD,
            running_step_threshold: Duration::ZERO,
            panic_threshold: None,
            frequency_file: None,
            sync_system_clock: false,
            holdover_budget: DEFAULT_HOLDOVER_BUDGET,
            holdover_class: DEFAULT_HOLDOVER_CLASS,
            leap_seconds_file: None,
        }
    }
}

/// The `[observability]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct ObservabilitySettings {
    /// `socket`: the status and management Unix socket.
    #[serde(with = "values::text")]
    pub socket: PathBuf,
    /// `metrics-listen`: the address of the Prometheus endpoint, if any.
    #[serde(
        deserialize_with = "values::metrics_listen",
        serialize_with = "values::write_opt_addr"
    )]
    pub metrics_listen: Option<SocketAddr>,
    /// `dashboard-listen`: the address of the web dashboard
    /// (docs/dashboard.md), if any.
    #[serde(
        deserialize_with = "values::dashboard_listen",
        serialize_with = "values::write_opt_addr"
    )]
    pub dashboard_listen: Option<SocketAddr>,
    /// `dashboard-history-file`: where the dashboard keeps its history
    /// across restarts (saved every 10 minutes and at stop); none: the
    /// history starts empty at each start.
    #[serde(with = "values::opt_text", skip_serializing_if = "Option::is_none")]
    pub dashboard_history_file: Option<PathBuf>,
    /// `log-level`.
    pub log_level: LogLevel,
    /// `socket-group`: the group that may use the control socket (mode
    /// 0660, owner and this group); none: the daemon's own group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket_group: Option<String>,
    /// `status-socket`: a read-only socket (like ptp4l's `uds_ro`) that
    /// answers the status and management GETs but refuses SET and COMMAND;
    /// none: no such socket.
    #[serde(with = "values::opt_text", skip_serializing_if = "Option::is_none")]
    pub status_socket: Option<PathBuf>,
    /// `status-socket-group`: the group that may use the read-only socket
    /// (mode 0660); none: everyone (mode 0666).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_socket_group: Option<String>,
}

impl Default for ObservabilitySettings {
    fn default() -> Self {
        ObservabilitySettings {
            socket: PathBuf::from(DEFAULT_SOCKET),
            metrics_listen: None,
            dashboard_listen: None,
            dashboard_history_file: None,
            log_level: LogLevel::Info,
            socket_group: None,
            status_socket: None,
            status_socket_group: None,
        }
    }
}

/// The user the daemon runs as when `[daemon] user` names none: this one
/// when it exists, else the daemon stays as it was started (with a warning).
pub const DEFAULT_USER: &str = "tempora";

/// The `[daemon]` section: the process's privileges.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct DaemonSettings {
    /// `user`: the user to run as once the sockets, devices and files are
    /// open (default [`DEFAULT_USER`] when it exists); `"root"` keeps root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `seccomp` (default true): install the system-call allow-list after
    /// start-up. False for runs under clknetsim, whose preloaded library
    /// makes calls the list does not know.
    pub seccomp: bool,
}

impl Default for DaemonSettings {
    fn default() -> Self {
        DaemonSettings {
            user: None,
            seccomp: true,
        }
    }
}

/// A checked configuration of the daemon.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `[ptp]`.
    pub ptp: PtpSettings,
    /// `[[port]]`, in file order (port 1 first); never empty.
    pub ports: Vec<PortSettings>,
    /// `[clock]`.
    pub clock: ClockSettings,
    /// `[observability]`.
    pub observability: ObservabilitySettings,
    /// `[ntp-server]`, if the daemon serves NTP.
    pub ntp_server: Option<NtpServerSettings>,
    /// `[[ntp-source]]`: NTP servers to take time from, in file order.
    pub ntp_sources: Vec<NtpSourceSettings>,
    /// `[ntp-client] minimum-agreeing-sources` (default 1).
    pub minimum_agreeing_sources: u8,
    /// `[ntp-client] nts-ca-file`: CA certificates (PEM) trusted for NTS-KE
    /// besides the system's.
    pub nts_ca_file: Option<PathBuf>,
    /// `[ntp-client] key-file`: the symmetric keys of the `[[ntp-source]]`
    /// sections with `key` (chrony's key-file format).
    pub client_key_file: Option<PathBuf>,
    /// `[ntp-client] legacy-sha1` (default false): accept SHA1 keys in
    /// that file.
    pub client_legacy_sha1: bool,
    /// `[nts-ke-server]`, if the daemon runs NTS key establishment.
    pub nts_ke_server: Option<NtsKeServerSettings>,
    /// `[csptp-server]`, if the daemon serves client-server PTP.
    pub csptp_server: Option<CsptpServerSettings>,
    /// `[[csptp-source]]`: CSPTP servers to take time from, in file order.
    pub csptp_sources: Vec<CsptpSourceSettings>,
    /// `[[refclock]]`: reference clocks, in file order.
    pub refclocks: Vec<RefclockSettings>,
    /// `[roughtime-server]`, if the daemon serves Roughtime.
    pub roughtime_server: Option<RoughtimeServerSettings>,
    /// `[[roughtime-source]]`: Roughtime servers asked at start-up, in file
    /// order.
    pub roughtime_sources: Vec<RoughtimeSourceSettings>,
    /// `[roughtime]`: when their consensus steps the clock.
    pub roughtime: RoughtimeSettings,
    /// `[daemon]`: the user to run as and the system-call filter.
    pub daemon: DaemonSettings,
}

/// The `[nts-ke-server]` section: NTS key establishment (RFC 8915 §4) over
/// TLS 1.3 for the daemon's NTP server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NtsKeServerSettings {
    /// `listen` (default `["0.0.0.0:4460"]`): TCP addresses.
    #[serde(
        default = "default_nts_ke_listen",
        deserialize_with = "values::nts_ke_listen",
        serialize_with = "values::write_addrs"
    )]
    pub listen: Vec<SocketAddr>,
    /// `certificate-chain`: PEM file, the server's certificate first.
    #[serde(with = "values::text")]
    pub certificate_chain: PathBuf,
    /// `private-key`: PEM file of the certificate's key.
    #[serde(with = "values::text")]
    pub private_key: PathBuf,
    /// `key-file`: where the cookie master keys are kept, so that cookies
    /// survive a restart (none: new keys at every start).
    #[serde(default, with = "values::opt_text")]
    pub key_file: Option<PathBuf>,
    /// `key-rotation` (default 1 day): a new master key this often; the
    /// previous 7 still open cookies.
    #[serde(default = "default_key_rotation", with = "values::text")]
    pub key_rotation: Duration,
    /// `max-connections` (default 64): handshakes served at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: u16,
    /// `timeout` (default 5 s): bound on each read and write.
    #[serde(default = "default_nts_ke_timeout", with = "values::text")]
    pub timeout: Duration,
    /// `ntp-server`: the NTP server name to give clients, if not this host.
    #[serde(default)]
    pub ntp_server: Option<String>,
    /// `ntp-port`: the NTP port to give clients, if not 123.
    #[serde(default)]
    pub ntp_port: Option<u16>,
    /// `max-connections-per-address` (default 8): connections from one
    /// address block (`address-prefix-v4`/`-v6`) served at once.
    #[serde(default = "default_max_per_address")]
    pub max_connections_per_address: u16,
    /// `address-prefix-v4` (default 32): the IPv4 block counted as one
    /// address by the per-address limits.
    #[serde(default = "default_prefix_v4")]
    pub address_prefix_v4: u8,
    /// `address-prefix-v6` (default 64): the IPv6 block counted as one
    /// address by the per-address limits.
    #[serde(default = "default_prefix_v6")]
    pub address_prefix_v6: u8,
    /// `rate-limit` (default true): a token bucket of connections per
    /// address block (chrony's `ntsratelimit`).
    #[serde(default = "default_true")]
    pub rate_limit: bool,
    /// `rate-limit-interval`, log2 s (default 6: one connection per 64 s).
    #[serde(default = "default_ke_rate_interval")]
    pub rate_limit_interval: i8,
    /// `rate-limit-burst` (default 8): connections at once after a quiet
    /// spell.
    #[serde(default = "default_rate_limit_burst")]
    pub rate_limit_burst: u8,
    /// `rate-limit-leak` (default 2): a connection over the rate is still
    /// served with probability 2^-leak; 0 turns the leak off.
    #[serde(default = "default_rate_limit_leak")]
    pub rate_limit_leak: u8,
}

fn default_max_per_address() -> u16 {
    8
}

fn default_prefix_v4() -> u8 {
    32
}

fn default_prefix_v6() -> u8 {
    64
}

fn default_true() -> bool {
    true
}

fn default_ke_rate_interval() -> i8 {
    6
}

fn default_nts_ke_listen() -> Vec<SocketAddr> {
    vec![SocketAddr::from(([0, 0, 0, 0], 4460))]
}

fn default_key_rotation() -> Duration {
    Duration::from_secs(86_400)
}

fn default_max_connections() -> u16 {
    64
}

fn default_nts_ke_timeout() -> Duration {
    Duration::from_secs(5)
}

/// What an `[[ntp-source]]` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NtpSourceKind {
    /// One server (its first address).
    #[default]
    Server,
    /// A pool: every address the name resolves to is a source.
    Pool,
}

/// One `[[ntp-source]]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NtpSourceSettings {
    /// `address`: `HOST`, `HOST:PORT`, an IP address or `[IPV6]:PORT`.
    pub address: String,
    /// `kind` (default server).
    #[serde(default, skip_serializing_if = "is_server")]
    pub kind: NtpSourceKind,
    /// `iburst` (default true): eight requests 2 s apart at start.
    #[serde(default = "yes")]
    pub iburst: bool,
    /// `xleave` (default false): ask for the interleaved mode (RFC 9769).
    #[serde(default, skip_serializing_if = "is_false")]
    pub xleave: bool,
    /// `nts` (default false): NTS (RFC 8915): key establishment with
    /// `address` (its port, if given, is the NTS-KE port, 4460 by default),
    /// then NTS-protected requests; unauthenticated replies are refused.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nts: bool,
    /// `key`: authenticate this source with symmetric key N of the
    /// `[ntp-client] key-file` (RFC 5905 §9.1, RFC 8573): requests carry
    /// its MAC, and replies without a valid MAC of that key are refused.
    /// Not with `nts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<u32>,
    /// `minpoll`, log2 s (default 6).
    #[serde(default = "default_minpoll")]
    pub minpoll: i8,
    /// `maxpoll`, log2 s (default 10, or `minpoll` if that is larger).
    #[serde(default = "default_maxpoll")]
    pub maxpoll: i8,
    /// `prefer`: the system peer whenever it survives the selection
    /// (chrony's `prefer`; docs/sources.md).
    #[serde(default, skip_serializing_if = "is_false")]
    pub prefer: bool,
    /// `noselect`: measured and shown, never selected, no vote (chrony's
    /// `noselect`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub noselect: bool,
    /// `trust`: a falseticker only when another trusted source disagrees
    /// (chrony's `trust`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub trust: bool,
    /// `require`: nothing is selected unless a `require` source survives
    /// (chrony's `require`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub require: bool,
    /// `offset`: added to every offset measured of the source (chrony's
    /// `offset`), e.g. `"-50us"`.
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub offset: Option<Duration>,
    /// `asymmetry`: the path's delay asymmetry, positive when the path
    /// from the server to us is the longer one (the sign of ptp4l's
    /// `delayAsymmetry`); θ + asymmetry is used.
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub asymmetry: Option<Duration>,
    /// `max-delay`: measurements whose round-trip delay exceeds this are
    /// ignored and counted (chrony's `maxdelay`; for a PTP port, twice the
    /// mean path delay).
    #[serde(
        default,
        with = "values::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_delay: Option<Duration>,
    /// `version` (default 4): the NTP version spoken, 4, 5 (the NTPv5
    /// draft) or `"auto"` (NTPv4 with the draft's upgrade signal).
    #[serde(default, skip_serializing_if = "NtpVersionSetting::is_default")]
    pub version: NtpVersionSetting,
    /// `timescale` (default UTC): the timescale NTPv5 requests ask for.
    #[serde(default, skip_serializing_if = "NtpTimescaleSetting::is_default")]
    pub timescale: NtpTimescaleSetting,
    /// `draft` (default `"auto"`): the NTPv5 draft spoken
    /// (draft-ietf-ntp-ntpv5-08 or -09), or found by trying; client and
    /// server must speak the same.
    #[serde(default, skip_serializing_if = "NtpDraftSetting::is_default")]
    pub draft: NtpDraftSetting,
}

fn is_server(k: &NtpSourceKind) -> bool {
    *k == NtpSourceKind::Server
}

fn yes() -> bool {
    true
}

fn default_minpoll() -> i8 {
    6
}

fn default_maxpoll() -> i8 {
    10
}

/// The `[ntp-server]` section: the daemon answers NTP clients (RFC 5905)
/// with its disciplined clock's time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NtpServerSettings {
    /// `listen`: the addresses and ports to answer on (e.g. `0.0.0.0:123`).
    #[serde(
        deserialize_with = "values::ntp_listen",
        serialize_with = "values::write_addrs"
    )]
    pub listen: Vec<SocketAddr>,
    /// `local-stratum`: serve this stratum with LI 0 when no time source is
    /// synchronised (chrony's `local stratum N`): the clock itself is the
    /// reference. Without it the server answers LI 3, stratum 16, until a
    /// source is synchronised.
    #[serde(default)]
    pub local_stratum: Option<u8>,
    /// `allow`: CIDR blocks answered (empty: everyone not denied).
    #[serde(
        default,
        with = "values::vec_text",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub allow: Vec<Cidr>,
    /// `deny`: CIDR blocks refused, whatever `allow` says.
    #[serde(
        default,
        with = "values::vec_text",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub deny: Vec<Cidr>,
    /// `deny-action`: what a refused client gets.
    #[serde(default, skip_serializing_if = "is_drop")]
    pub deny_action: DenyAction,
    /// `rate-limit`, `rate-limit-interval` (log2 s, default 3) and
    /// `rate-limit-burst` (default 8): per-client rate limiting, if on.
    #[serde(skip)]
    pub rate_limit: Option<RateLimit>,
    /// The three `rate-limit*` keys as the file has them; `rate_limit` is
    /// made from them when the file is read, and they from it when written.
    #[serde(rename = "rate-limit", default, skip_serializing_if = "is_false")]
    rate_limit_on: bool,
    #[serde(
        default = "default_rate_limit_interval",
        skip_serializing_if = "is_default_interval"
    )]
    rate_limit_interval: i8,
    #[serde(
        default = "default_rate_limit_burst",
        skip_serializing_if = "is_default_burst"
    )]
    rate_limit_burst: u8,
    /// `rate-limit-leak` (default 2, as chrony's `ratelimit leak`): a
    /// request over its rate is still answered with probability 2^-leak,
    /// so that a flood spoofing a client's address cannot cut it off; 0
    /// turns the leak off.
    #[serde(
        default = "default_rate_limit_leak",
        skip_serializing_if = "is_default_leak"
    )]
    pub rate_limit_leak: u8,
    /// `interleaved`: answer clients in the interleaved mode (RFC 9769)
    /// when they ask for it, with kernel transmit timestamps.
    #[serde(default, skip_serializing_if = "is_false")]
    pub interleaved: bool,
    /// `workers`: 0 (the default) answers in the daemon's single timing
    /// loop; N (1 to 16) starts N worker threads, each with its own
    /// SO_REUSEPORT socket per `listen` address, that answer from a
    /// snapshot of the disciplined clock the timing loop publishes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub workers: u8,
    /// `require-nts` (default false): answer only NTS-protected requests
    /// (needs `[nts-ke-server]`); others are dropped and counted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub require_nts: bool,
    /// `key-file`: symmetric keys in chrony's key-file format (`ID TYPE
    /// KEY`); a request with a MAC of one of them (RFC 8573) is answered
    /// with a MAC of the same key, one with an unknown key or a bad MAC is
    /// dropped.
    #[serde(default, with = "values::opt_text")]
    pub key_file: Option<PathBuf>,
    /// `legacy-sha1` (default false): accept SHA1 keys in `key-file`
    /// (deprecated by RFC 8573).
    #[serde(default, skip_serializing_if = "is_false")]
    pub legacy_sha1: bool,
    /// `versions` (default `[4]`): the NTP versions answered; 4 stands for
    /// versions 1 to 4 (each answered in its own version), 5 for the NTPv5
    /// draft and the NTPv4 upgrade signal.
    #[serde(
        default = "default_server_versions",
        skip_serializing_if = "ntpv5::is_default_versions"
    )]
    pub versions: Vec<u8>,
    /// `smear` (default false): answer NTPv5 requests for leap-smeared UTC
    /// with smeared time; without it they get UTC, in a reply that says so.
    #[serde(default, skip_serializing_if = "is_false")]
    pub smear: bool,
}

impl NtpServerSettings {
    /// Whether NTPv5 (and the NTPv4 upgrade signal) is answered.
    pub fn serves_v5(&self) -> bool {
        self.versions.contains(&5)
    }

    /// Whether NTPv4 (and versions 1 to 3) is answered.
    pub fn serves_v4(&self) -> bool {
        self.versions.contains(&4)
    }
}

impl Default for NtpServerSettings {
    /// An `[ntp-server]` section with no keys (and nowhere to listen).
    fn default() -> Self {
        NtpServerSettings {
            listen: Vec::new(),
            local_stratum: None,
            allow: Vec::new(),
            deny: Vec::new(),
            deny_action: DenyAction::default(),
            rate_limit: None,
            rate_limit_on: false,
            rate_limit_interval: default_rate_limit_interval(),
            rate_limit_burst: default_rate_limit_burst(),
            rate_limit_leak: default_rate_limit_leak(),
            interleaved: false,
            workers: 0,
            require_nts: false,
            key_file: None,
            legacy_sha1: false,
            versions: default_server_versions(),
            smear: false,
        }
    }
}

impl NtpServerSettings {
    /// Puts the file's `rate-limit*` keys into `rate_limit`.
    fn rate_limit_from_keys(&mut self) {
        self.rate_limit = rate_limit_of(
            self.rate_limit_on,
            self.rate_limit_interval,
            self.rate_limit_burst,
        );
    }

    /// Puts `rate_limit` into the file's `rate-limit*` keys.
    fn rate_limit_to_keys(&mut self) {
        (
            self.rate_limit_on,
            self.rate_limit_interval,
            self.rate_limit_burst,
        ) = rate_limit_keys(
            self.rate_limit,
            self.rate_limit_interval,
            self.rate_limit_burst,
        );
    }
}

/// The rate limit of the `rate-limit`, `rate-limit-interval` (log2 s) and
/// `rate-limit-burst` keys (of `[ntp-server]` and `[csptp-server]`).
pub(crate) fn rate_limit_of(on: bool, interval: i8, burst: u8) -> Option<RateLimit> {
    on.then(|| RateLimit {
        interval: Duration::from_log2_secs(interval),
        burst: u32::from(burst),
    })
}

/// The three `rate-limit*` keys of `limit` (the interval and burst as they
/// were when it is off).
pub(crate) fn rate_limit_keys(limit: Option<RateLimit>, interval: i8, burst: u8) -> (bool, i8, u8) {
    match limit {
        Some(r) => (
            true,
            r.interval.as_secs_f64().log2().round() as i8,
            u8::try_from(r.burst).unwrap_or(u8::MAX),
        ),
        None => (false, interval, burst),
    }
}

fn is_default_interval(v: &i8) -> bool {
    *v == default_rate_limit_interval()
}

fn is_default_burst(v: &u8) -> bool {
    *v == default_rate_limit_burst()
}

fn is_default_leak(v: &u8) -> bool {
    *v == default_rate_limit_leak()
}

fn default_rate_limit_leak() -> u8 {
    2
}

fn is_drop(a: &DenyAction) -> bool {
    *a == DenyAction::Drop
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

fn default_rate_limit_interval() -> i8 {
    3
}

fn default_rate_limit_burst() -> u8 {
    8
}

/// What a client refused by the access lists gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DenyAction {
    /// Nothing (silently dropped; the default).
    #[default]
    Drop,
    /// A DENY kiss-o'-death (RFC 5905 §7.4), telling it to go away.
    Kiss,
}

/// The largest configuration file read (1 MiB): a larger one, or a device
/// like `/dev/zero` that never ends, is refused rather than read.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads at most `limit` bytes of UTF-8 text from `path`; more is an error.
fn read_bounded(path: &Path, limit: u64) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(std::io::Error::other("it is a directory"));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB, not a configuration",
            limit / 1024
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

impl Config {
    /// Reads and checks the file at `path`; errors name the path as given.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let error = |message: String| ConfigError {
            file: file.clone(),
            line: 0,
            column: 0,
            message,
        };
        let text = read_bounded(path, MAX_CONFIG_BYTES)
            .map_err(|e| error(format!("cannot read the configuration: {e}")))?;
        Config::parse(&text, &file)
    }

    /// Checks configuration `text`; errors name `file_name`.
    pub fn parse(text: &str, file_name: &str) -> Result<Config, ConfigError> {
        check::parse(text, file_name)
    }

    /// The profile preset.
    pub fn profile(&self) -> &'static Profile {
        self.ptp.profile
    }

    /// The ports, in port-number order.
    pub fn ports(&self) -> &[PortSettings] {
        &self.ports
    }

    /// The interface names, in port-number order.
    pub fn interfaces(&self) -> impl Iterator<Item = &str> {
        self.ports.iter().map(|p| p.interface.as_str())
    }

    /// The clock settings.
    pub fn clock(&self) -> &ClockSettings {
        &self.clock
    }

    /// The observability settings.
    pub fn observability(&self) -> &ObservabilitySettings {
        &self.observability
    }

    /// The kind of instance: as configured, or ordinary with one port and
    /// boundary with more.
    pub fn instance_kind(&self) -> InstanceKind {
        self.ptp.kind.unwrap_or(if self.ports.len() > 1 {
            InstanceKind::Boundary
        } else {
            InstanceKind::Ordinary
        })
    }

    /// The engine configuration: the profile preset
    /// ([`InstanceConfig::from_profile`]), then every override of the file.
    /// A slave-only instance gets clock class 255 unless the file sets one.
    /// Each port's `protocol_address` carries the transport's
    /// `networkProtocol` with an empty address, for the daemon to fill in.
    pub fn instance_config(&self, clock_identity: ClockIdentity) -> InstanceConfig {
        let profile = self.ptp.profile;
        let mut c = InstanceConfig::from_profile(profile, clock_identity, self.ports.len());
        // An NTP-only configuration has no PTP port (the engine runs idle).
        c.ports.truncate(self.ports.len());
        let p = &self.ptp;
        c.instance_type = self.instance_kind().instance_type();
        if let Some(v) = p.domain {
            c.domain_number = v;
        }
        if let Some(v) = p.priority1 {
            c.priority1 = v;
        }
        if let Some(v) = p.priority2 {
            c.priority2 = v;
        }
        if let Some(v) = p.slave_only {
            c.slave_only = v;
            if p.clock_class.is_none() {
                c.clock_quality.clock_class = if v {
                    tempora_ptp::profile::SLAVE_ONLY_CLOCK_CLASS
                } else if profile.slave_only {
                    tempora_ptp::profile::DEFAULT_CLOCK_CLASS
                } else {
                    profile.clock_class
                };
            }
        }
        if let Some(v) = p.clock_class {
            c.clock_quality.clock_class = v;
        }
        if let Some(v) = p.two_step {
            c.two_step = v;
        }
        if let Some(v) = &p.user_description {
            c.user_description = v.as_bytes().to_vec();
        }
        for (pc, ps) in c.ports.iter_mut().zip(&self.ports) {
            pc.interface = ps.interface.as_bytes().to_vec();
            pc.protocol_address = (ps.transport.network_protocol(), Vec::new());
            if let Some(v) = ps.delay_mechanism {
                pc.delay_mechanism = v;
            }
            if let Some(v) = ps.log_announce_interval {
                pc.log_announce_interval = v;
            }
            if let Some(v) = ps.log_sync_interval {
                pc.log_sync_interval = v;
            }
            if let Some(v) = ps.log_min_delay_req_interval {
                pc.log_min_delay_req_interval = v;
            }
            if let Some(v) = ps.log_min_pdelay_req_interval {
                pc.log_min_pdelay_req_interval = v;
            }
            if let Some(v) = ps.announce_receipt_timeout {
                pc.announce_receipt_timeout = v;
            }
            if let Some(v) = ps.delay_asymmetry {
                pc.delay_asymmetry = v;
            }
            pc.unicast_masters = ps.unicast_masters.clone();
            if let Some(v) = ps.unicast_listen {
                pc.unicast_listen = v;
            }
            if let Some(v) = ps.master_only {
                pc.master_only = v;
            }
            for m in &ps.acceptable_masters {
                match m.address {
                    Some(a) => pc.acceptable_master_addresses.push((m.identity, a)),
                    None => pc.acceptable_masters.push(m.identity),
                }
            }
            pc.auth = ps
                .spp
                .zip(ps.active_key_id)
                .map(|(spp, active_key_id)| tempora_ptp::engine::PortAuth { spp, active_key_id });
        }
        c.network_management = p.network_management.engine();
        c.utc_offset_hold = match p.master_sanity_threshold {
            Threshold::Off => None,
            Threshold::Auto | Threshold::Fixed(_) => Some(p.master_sanity_hold),
        };
        c
    }

    /// The master sanity gate's configuration (`master-sanity-threshold`,
    /// `master-sanity-hold`).
    pub fn sanity(&self) -> tempora_clock::servo::SanityConfig {
        tempora_clock::servo::SanityConfig {
            threshold: self.ptp.master_sanity_threshold,
            hold: self.ptp.master_sanity_hold,
        }
    }

    /// The configuration as TOML that [`Config::parse`] reads back to an
    /// equal `Config`. Only the overrides that are set are written.
    pub fn to_toml(&self) -> String {
        file::to_toml(self)
    }
}

/// Parses a unicast master address: an IPv4 or IPv6 address, or a MAC
/// address written as six hexadecimal octets separated by `:` or `-`.
pub fn parse_address(text: &str) -> Option<Address> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(Address::Ip(ip));
    }
    let parts: Vec<&str> = text.split([':', '-']).collect();
    if parts.len() != 6 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (o, p) in mac.iter_mut().zip(parts) {
        if p.len() != 2 {
            return None;
        }
        *o = u8::from_str_radix(p, 16).ok()?;
    }
    Some(Address::Mac(mac))
}

/// Formats an address as [`parse_address`] reads it.
pub fn format_address(address: &Address) -> String {
    match address {
        Address::Ip(ip) => ip.to_string(),
        Address::Mac(m) => m
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    }
}
