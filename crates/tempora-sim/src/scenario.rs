//! Scenario files: what the simulator runs, in TOML. Every section and key is
//! documented in `docs/scenarios.md`; unknown keys are errors.

use serde::Deserialize;
use tempora_ptp::interval::LogInterval;

/// A whole scenario file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name, description and run length.
    pub scenario: Meta,
    /// PTP settings of the master and the slave.
    #[serde(default)]
    pub ptp: PtpSettings,
    /// The path between them.
    #[serde(default)]
    pub network: Network,
    /// The slave's oscillator.
    #[serde(default)]
    pub clock: ClockModel,
    /// Timestamping noise.
    #[serde(default)]
    pub timestamping: Timestamping,
    /// Servo settings shared by every servo.
    #[serde(default)]
    pub servo: ServoSettings,
    /// Present in NTP scenarios: the client polls a server instead of
    /// following a PTP master.
    pub ntp: Option<NtpScenario>,
    /// Present in holdover scenarios: a clock locked to a reference clock,
    /// then the reference is lost (see [`crate::holdover`]).
    pub holdover: Option<crate::holdover::HoldoverScenario>,
}

/// The `[ntp]` section of an NTP scenario: a client polling a perfect
/// stratum-1 server over `[network]` (`slave_to_master` is the request's
/// path, `master_to_slave` the reply's).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NtpScenario {
    /// The poll interval, log2 s (fixed: minpoll = maxpoll).
    #[serde(default = "default_poll")]
    pub poll: i8,
    /// Time the server holds a request, µs.
    #[serde(default = "default_processing")]
    pub server_processing_us: f64,
    /// The servers, in the client's configuration order (default: one
    /// perfect server). Each has its own draws from `[network]`.
    #[serde(default = "default_servers")]
    pub servers: Vec<NtpServerSpec>,
    /// Sources that must agree (`[ntp-client] minimum-agreeing-sources`).
    #[serde(default = "default_agreeing")]
    pub minimum_agreeing: usize,
    /// A PTP grandmaster beside the servers (`[ntp.ptp]`): a mixed-source
    /// scenario, one selection over the port and the servers.
    #[serde(default)]
    pub ptp: Option<PtpSourceSpec>,
}

/// The `[ntp.ptp]` section: a PTP grandmaster over the same `[network]`
/// model, run by the real PTP engine (`[ptp]` sets its profile and
/// intervals), whose port is a source of the client's system process.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PtpSourceSpec {
    /// How far the grandmaster's clock is from true time, µs (a liar).
    #[serde(default)]
    pub offset_us: f64,
    /// The grandmaster stops (a power failure) this many seconds in.
    #[serde(default)]
    pub stop_s: Option<f64>,
    /// The port's selection options (docs/sources.md).
    #[serde(default)]
    pub trust: bool,
    /// `prefer`.
    #[serde(default)]
    pub prefer: bool,
    /// `noselect`.
    #[serde(default)]
    pub noselect: bool,
}

/// One `[[ntp.servers]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NtpServerSpec {
    /// How far the server's clock is from true time, µs (a liar).
    #[serde(default)]
    pub offset_us: f64,
    /// The source's `trust` option (docs/sources.md).
    #[serde(default)]
    pub trust: bool,
    /// `prefer`.
    #[serde(default)]
    pub prefer: bool,
    /// `noselect`.
    #[serde(default)]
    pub noselect: bool,
}

fn default_servers() -> Vec<NtpServerSpec> {
    vec![NtpServerSpec::default()]
}

fn default_agreeing() -> usize {
    1
}

fn default_poll() -> i8 {
    4
}

fn default_processing() -> f64 {
    20.0
}

impl Default for NtpScenario {
    fn default() -> Self {
        NtpScenario {
            poll: default_poll(),
            server_processing_us: default_processing(),
            servers: default_servers(),
            minimum_agreeing: default_agreeing(),
            ptp: None,
        }
    }
}

/// The `[scenario]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short name, e.g. `lan-software`.
    pub name: String,
    /// What it models.
    #[serde(default)]
    pub description: String,
    /// Simulated seconds.
    pub duration_s: f64,
    /// Seconds before statistics start.
    #[serde(default = "default_warmup")]
    pub warmup_s: f64,
    /// |true offset| below which the clock counts as converged, in ns.
    pub threshold_ns: f64,
}

fn default_warmup() -> f64 {
    300.0
}

/// The `[ptp]` section: the default profile's settings unless changed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PtpSettings {
    /// A profile preset name (`default`, `default-p2p`, `gptp`, ...).
    pub profile: String,
    /// logSyncInterval, overriding the profile's.
    pub log_sync_interval: Option<i8>,
    /// logMinDelayReqInterval, overriding the profile's.
    pub log_min_delay_req_interval: Option<i8>,
    /// logMinPdelayReqInterval, overriding the profile's.
    pub log_min_pdelay_req_interval: Option<i8>,
    /// logAnnounceInterval, overriding the profile's.
    pub log_announce_interval: Option<i8>,
}

impl Default for PtpSettings {
    fn default() -> Self {
        PtpSettings {
            profile: "default".into(),
            log_sync_interval: None,
            log_min_delay_req_interval: None,
            log_min_pdelay_req_interval: None,
            log_announce_interval: None,
        }
    }
}

/// A delay distribution, added to a direction's base delay.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Distribution {
    /// No variation.
    #[default]
    Constant,
    /// Uniform between 0 and `max_us`.
    Uniform {
        /// Upper bound, µs.
        max_us: f64,
    },
    /// Normal with the given standard deviation, folded to non-negative.
    Normal {
        /// Standard deviation, µs.
        sd_us: f64,
    },
    /// Exponential with the given mean (queueing).
    Exponential {
        /// Mean, µs.
        mean_us: f64,
    },
    /// Pareto (heavy-tailed): `scale_us` × (U^(−1/shape) − 1).
    Pareto {
        /// Scale, µs.
        scale_us: f64,
        /// Shape α (smaller is heavier; the mean is infinite for α ≤ 1).
        shape: f64,
    },
}

/// One direction of the path.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Direction {
    /// Fixed part, µs.
    #[serde(default = "default_base")]
    pub base_us: f64,
    /// Variable part.
    #[serde(default)]
    pub jitter: Distribution,
}

fn default_base() -> f64 {
    50.0
}

impl Default for Direction {
    fn default() -> Self {
        Direction {
            base_us: default_base(),
            jitter: Distribution::Constant,
        }
    }
}

/// Queueing bursts: periods of extra delay.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bursts {
    /// Mean bursts per hour.
    pub per_hour: f64,
    /// Length of a burst, s.
    pub duration_s: f64,
    /// Mean extra delay (exponential) during a burst, µs.
    pub extra_mean_us: f64,
}

/// The `[network]` section.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Master to slave.
    #[serde(default)]
    pub master_to_slave: Direction,
    /// Slave to master.
    #[serde(default)]
    pub slave_to_master: Direction,
    /// Probability that a message is lost, each way.
    #[serde(default)]
    pub loss: f64,
    /// Queueing bursts, if any.
    pub bursts: Option<Bursts>,
}

/// A slow sinusoidal frequency change (temperature).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Temperature {
    /// Amplitude, ppb.
    pub amplitude_ppb: f64,
    /// Period, s.
    pub period_s: f64,
}

/// A sudden frequency change.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrequencyStep {
    /// When, s.
    pub at_s: f64,
    /// By how much, ppb.
    pub ppb: f64,
}

/// The `[clock]` section: the slave's oscillator.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockModel {
    /// Constant frequency error, ppm.
    #[serde(default)]
    pub frequency_offset_ppm: f64,
    /// Random-walk frequency wander: ppb per √s.
    #[serde(default)]
    pub wander_ppb_per_sqrt_s: f64,
    /// White phase noise of the clock's readings, ns (standard deviation).
    #[serde(default)]
    pub phase_noise_ns: f64,
    /// Temperature-like sinusoidal frequency change.
    pub temperature: Option<Temperature>,
    /// A frequency step.
    pub frequency_step: Option<FrequencyStep>,
    /// The slave's offset when it starts, µs.
    #[serde(default)]
    pub initial_offset_us: f64,
}

impl Default for ClockModel {
    fn default() -> Self {
        ClockModel {
            frequency_offset_ppm: 0.0,
            wander_ppb_per_sqrt_s: 0.0,
            phase_noise_ns: 0.0,
            temperature: None,
            frequency_step: None,
            initial_offset_us: 0.0,
        }
    }
}

/// The `[timestamping]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timestamping {
    /// Standard deviation of every timestamp's error, ns (software
    /// timestamps: µs; hardware: a few ns).
    #[serde(default)]
    pub noise_ns: f64,
    /// `"software"` or `"hardware"`: the PI servo's preset.
    #[serde(default = "default_kind")]
    pub kind: String,
}

fn default_kind() -> String {
    "software".into()
}

impl Default for Timestamping {
    fn default() -> Self {
        Timestamping {
            noise_ns: 0.0,
            kind: default_kind(),
        }
    }
}

/// The `[servo]` section.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServoSettings {
    /// Step at start when |offset| exceeds this, µs (linuxptp's
    /// first_step_threshold).
    #[serde(default = "default_first_step")]
    pub first_step_threshold_us: f64,
}

fn default_first_step() -> f64 {
    20.0
}

impl Default for ServoSettings {
    fn default() -> Self {
        ServoSettings {
            first_step_threshold_us: default_first_step(),
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub struct ScenarioError(pub String);

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Parses and checks a scenario; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ScenarioError> {
        let s: Scenario =
            toml::from_str(text).map_err(|e| ScenarioError(format!("{origin}: {e}")))?;
        s.check()
            .map_err(|e| ScenarioError(format!("{origin}: {e}")))?;
        Ok(s)
    }

    fn check(&self) -> Result<(), String> {
        let m = &self.scenario;
        let finite = |v: f64| v.is_finite();
        if !(finite(m.duration_s) && m.duration_s > 0.0 && m.duration_s <= 30.0 * 86400.0) {
            return Err("scenario.duration_s must be in (0, 30 days]".into());
        }
        if !(finite(m.warmup_s) && m.warmup_s >= 0.0 && m.warmup_s < m.duration_s) {
            return Err("scenario.warmup_s must be in [0, duration_s)".into());
        }
        if !(finite(m.threshold_ns) && m.threshold_ns > 0.0) {
            return Err("scenario.threshold_ns must be positive".into());
        }
        if tempora_ptp::profile::by_name(&self.ptp.profile).is_none() {
            return Err(format!(
                "ptp.profile: unknown profile {:?}",
                self.ptp.profile
            ));
        }
        let p = &self.ptp;
        for (key, v) in [
            ("log_sync_interval", p.log_sync_interval),
            ("log_min_delay_req_interval", p.log_min_delay_req_interval),
            ("log_min_pdelay_req_interval", p.log_min_pdelay_req_interval),
            ("log_announce_interval", p.log_announce_interval),
        ] {
            if let Some(v) = v.filter(|v| LogInterval::new(*v).is_none()) {
                return Err(format!(
                    "ptp.{key} = {v} is out of range {}..={} (log2 seconds)",
                    LogInterval::MIN,
                    LogInterval::MAX
                ));
            }
        }
        if let Some(h) = &self.holdover {
            h.check()?;
            if self.ntp.is_some() {
                return Err("a scenario has [ntp] or [holdover], not both".into());
            }
        }
        let n = &self.network;
        if !(0.0..1.0).contains(&n.loss) {
            return Err("network.loss must be in [0, 1)".into());
        }
        if let Some(n) = &self.ntp {
            if !(0..=17).contains(&n.poll) {
                return Err("ntp.poll must be in 0..=17 (log2 seconds)".into());
            }
            if !(n.server_processing_us.is_finite()
                && (0.0..=1e6).contains(&n.server_processing_us))
            {
                return Err("ntp.server_processing_us must be in [0, 1e6]".into());
            }
            if n.servers.is_empty() || n.servers.len() > 16 {
                return Err("ntp.servers must list 1 to 16 servers".into());
            }
            if n.servers
                .iter()
                .any(|s| s.offset_us.is_nan() || s.offset_us.abs() > 1e9)
            {
                return Err("ntp.servers offset_us must be within ±1e9".into());
            }
            if let Some(p) = &n.ptp {
                if p.offset_us.is_nan() || p.offset_us.abs() > 1e9 {
                    return Err("ntp.ptp offset_us must be within ±1e9".into());
                }
                if p.stop_s.is_some_and(|s| !(s.is_finite() && s >= 0.0)) {
                    return Err("ntp.ptp stop_s must be a time from the start".into());
                }
            }
        }
        for (name, d) in [
            ("master_to_slave", n.master_to_slave),
            ("slave_to_master", n.slave_to_master),
        ] {
            if !(finite(d.base_us) && d.base_us >= 0.0) {
                return Err(format!("network.{name}.base_us must be non-negative"));
            }
            let ok = match d.jitter {
                Distribution::Constant => true,
                Distribution::Uniform { max_us } => finite(max_us) && max_us >= 0.0,
                Distribution::Normal { sd_us } => finite(sd_us) && sd_us >= 0.0,
                Distribution::Exponential { mean_us } => finite(mean_us) && mean_us > 0.0,
                Distribution::Pareto { scale_us, shape } => {
                    finite(scale_us) && scale_us > 0.0 && finite(shape) && shape > 0.0
                }
            };
            if !ok {
                return Err(format!("network.{name}.jitter has an invalid parameter"));
            }
        }
        if let Some(b) = n.bursts {
            let ok = [b.per_hour, b.duration_s, b.extra_mean_us]
                .iter()
                .all(|v| finite(*v) && *v >= 0.0)
                && b.extra_mean_us > 0.0;
            if !ok {
                return Err(
                    "network.bursts needs non-negative values and extra_mean_us > 0".into(),
                );
            }
        }
        let c = &self.clock;
        if !(finite(c.frequency_offset_ppm) && c.frequency_offset_ppm.abs() <= 500.0) {
            return Err("clock.frequency_offset_ppm must be within ±500".into());
        }
        let non_negative = |v: f64| finite(v) && v >= 0.0;
        if !(non_negative(c.wander_ppb_per_sqrt_s)
            && non_negative(c.phase_noise_ns)
            && finite(c.initial_offset_us))
        {
            return Err("clock: wander and phase noise must be non-negative".into());
        }
        if !(finite(self.timestamping.noise_ns) && self.timestamping.noise_ns >= 0.0) {
            return Err("timestamping.noise_ns must be non-negative".into());
        }
        if !matches!(self.timestamping.kind.as_str(), "software" | "hardware") {
            return Err("timestamping.kind must be \"software\" or \"hardware\"".into());
        }
        Ok(())
    }
}
