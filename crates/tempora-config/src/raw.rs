//! The file as serde reads it: every key in kebab-case, unknown keys
//! refused, values kept with their spans for the semantic checks.

use serde::Deserialize;
use toml::Spanned;

use crate::{InstanceKind, LogLevel, ServoKind, Timescale, Timestamping, Transport};

pub(crate) type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub ptp: RawPtp,
    #[serde(default)]
    pub port: Vec<S<RawPort>>,
    #[serde(default)]
    pub clock: RawClock,
    #[serde(default)]
    pub observability: RawObservability,
    pub ntp_server: Option<S<RawNtpServer>>,
    #[serde(default)]
    pub ntp_source: Vec<S<RawNtpSource>>,
    pub ntp_client: Option<S<RawNtpClient>>,
    pub nts_ke_server: Option<S<RawNtsKeServer>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RawNtsKeServer {
    pub listen: Option<S<Vec<S<String>>>>,
    pub certificate_chain: S<String>,
    pub private_key: S<String>,
    pub key_file: Option<S<String>>,
    pub key_rotation: Option<S<String>>,
    pub max_connections: Option<S<u16>>,
    pub timeout: Option<S<String>>,
    pub ntp_server: Option<S<String>>,
    pub ntp_port: Option<S<u16>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RawNtpSource {
    pub address: S<String>,
    pub kind: Option<S<crate::NtpSourceKind>>,
    pub iburst: Option<S<bool>>,
    pub xleave: Option<S<bool>>,
    pub nts: Option<S<bool>>,
    pub minpoll: Option<S<i8>>,
    pub maxpoll: Option<S<i8>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RawNtpClient {
    pub minimum_agreeing_sources: Option<S<u8>>,
    pub nts_ca_file: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RawNtpServer {
    pub listen: S<Vec<S<String>>>,
    pub local_stratum: Option<S<u8>>,
    pub allow: Option<Vec<S<String>>>,
    pub deny: Option<Vec<S<String>>>,
    pub deny_action: Option<S<crate::DenyAction>>,
    pub rate_limit: Option<S<bool>>,
    pub rate_limit_interval: Option<S<i8>>,
    pub rate_limit_burst: Option<S<u8>>,
    pub interleaved: Option<S<bool>>,
    pub workers: Option<S<u8>>,
    pub require_nts: Option<S<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RawPtp {
    pub profile: Option<S<String>>,
    pub domain: Option<S<u8>>,
    pub priority1: Option<S<u8>>,
    pub priority2: Option<S<u8>>,
    pub clock_class: Option<S<u8>>,
    pub slave_only: Option<S<bool>>,
    pub two_step: Option<S<bool>>,
    pub kind: Option<S<InstanceKind>>,
    pub user_description: Option<S<String>>,
    pub timescale: Option<S<Timescale>>,
    pub current_utc_offset: Option<S<i16>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RawDelay {
    E2e,
    P2p,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RawPort {
    pub interface: S<String>,
    pub transport: Option<S<Transport>>,
    pub delay_mechanism: Option<S<RawDelay>>,
    pub log_announce_interval: Option<S<i8>>,
    pub log_sync_interval: Option<S<i8>>,
    pub log_min_delay_req_interval: Option<S<i8>>,
    pub log_min_pdelay_req_interval: Option<S<i8>>,
    pub announce_receipt_timeout: Option<S<u8>>,
    pub delay_asymmetry: Option<S<String>>,
    pub timestamping: Option<S<Timestamping>>,
    pub unicast_masters: Option<S<Vec<S<String>>>>,
    pub unicast_listen: Option<S<bool>>,
    pub master_only: Option<S<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RawClock {
    pub kind: Option<S<String>>,
    pub initial_offset: Option<S<String>>,
    pub frequency_offset_ppm: Option<S<f64>>,
    pub servo: Option<S<ServoKind>>,
    pub step_threshold: Option<S<String>>,
    pub running_step_threshold: Option<S<String>>,
    pub panic_threshold: Option<S<String>>,
    pub frequency_file: Option<S<String>>,
    pub sync_system_clock: Option<S<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct RawObservability {
    pub socket: Option<S<String>>,
    pub metrics_listen: Option<S<String>>,
    pub log_level: Option<S<LogLevel>>,
}
