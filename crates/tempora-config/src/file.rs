//! The file as a whole: the sections of a [`Config`] under their table
//! names, read and written by serde from the settings types themselves.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::values;
use crate::{
    ClockSettings, Config, CsptpServerSettings, CsptpSourceSettings, DaemonSettings,
    NtpServerSettings, NtpSourceSettings, NtsKeServerSettings, ObservabilitySettings, PortSettings,
    PtpSettings, RefclockSettings, RoughtimeServerSettings, RoughtimeSettings,
    RoughtimeSourceSettings,
};

/// The tables of the file. [`Config`] has the `[ntp-client]` keys at its
/// top level; everything else is the same.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct File {
    #[serde(default)]
    pub ptp: PtpSettings,
    #[serde(default, rename = "port", skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortSettings>,
    #[serde(default)]
    pub clock: ClockSettings,
    #[serde(default)]
    pub observability: ObservabilitySettings,
    #[serde(default)]
    pub ntp_server: Option<NtpServerSettings>,
    #[serde(default, rename = "ntp-source", skip_serializing_if = "Vec::is_empty")]
    pub ntp_sources: Vec<NtpSourceSettings>,
    #[serde(default, skip_serializing_if = "NtpClient::is_default")]
    pub ntp_client: NtpClient,
    #[serde(default)]
    pub nts_ke_server: Option<NtsKeServerSettings>,
    #[serde(default)]
    pub csptp_server: Option<CsptpServerSettings>,
    #[serde(
        default,
        rename = "csptp-source",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub csptp_sources: Vec<CsptpSourceSettings>,
    #[serde(default, rename = "refclock", skip_serializing_if = "Vec::is_empty")]
    pub refclocks: Vec<RefclockSettings>,
    #[serde(default)]
    pub roughtime_server: Option<RoughtimeServerSettings>,
    #[serde(
        default,
        rename = "roughtime-source",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub roughtime_sources: Vec<RoughtimeSourceSettings>,
    #[serde(default, skip_serializing_if = "is_default_roughtime")]
    pub roughtime: RoughtimeSettings,
    #[serde(default, skip_serializing_if = "is_default_daemon")]
    pub daemon: DaemonSettings,
}

fn is_default_roughtime(r: &RoughtimeSettings) -> bool {
    *r == RoughtimeSettings::default()
}

fn is_default_daemon(d: &DaemonSettings) -> bool {
    *d == DaemonSettings::default()
}

/// The `[ntp-client]` section.
#[derive(Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct NtpClient {
    #[serde(skip_serializing_if = "is_one")]
    pub minimum_agreeing_sources: u8,
    #[serde(with = "values::opt_text")]
    pub nts_ca_file: Option<PathBuf>,
    #[serde(with = "values::opt_text")]
    pub key_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "is_false")]
    pub legacy_sha1: bool,
}

fn is_false(v: &bool) -> bool {
    !*v
}

fn is_one(v: &u8) -> bool {
    *v == 1
}

impl Default for NtpClient {
    fn default() -> Self {
        NtpClient {
            minimum_agreeing_sources: 1,
            nts_ca_file: None,
            key_file: None,
            legacy_sha1: false,
        }
    }
}

impl NtpClient {
    fn is_default(&self) -> bool {
        *self == NtpClient::default()
    }
}

impl From<File> for Config {
    fn from(f: File) -> Config {
        let mut ntp_server = f.ntp_server;
        if let Some(n) = &mut ntp_server {
            n.rate_limit_from_keys();
        }
        let mut csptp_server = f.csptp_server;
        if let Some(c) = &mut csptp_server {
            c.rate_limit_from_keys();
        }
        let mut roughtime_server = f.roughtime_server;
        if let Some(r) = &mut roughtime_server {
            r.rate_limit_from_keys();
        }
        Config {
            ptp: f.ptp,
            ports: f.ports,
            clock: f.clock,
            observability: f.observability,
            ntp_server,
            ntp_sources: f.ntp_sources,
            minimum_agreeing_sources: f.ntp_client.minimum_agreeing_sources,
            nts_ca_file: f.ntp_client.nts_ca_file,
            client_key_file: f.ntp_client.key_file,
            client_legacy_sha1: f.ntp_client.legacy_sha1,
            nts_ke_server: f.nts_ke_server,
            csptp_server,
            csptp_sources: f.csptp_sources,
            refclocks: f.refclocks,
            roughtime_server,
            roughtime_sources: f.roughtime_sources,
            roughtime: f.roughtime,
            daemon: f.daemon,
        }
    }
}

impl From<Config> for File {
    fn from(c: Config) -> File {
        let mut ntp_server = c.ntp_server;
        if let Some(n) = &mut ntp_server {
            n.rate_limit_to_keys();
        }
        let mut csptp_server = c.csptp_server;
        if let Some(s) = &mut csptp_server {
            s.rate_limit_to_keys();
        }
        let mut roughtime_server = c.roughtime_server;
        if let Some(r) = &mut roughtime_server {
            r.rate_limit_to_keys();
        }
        File {
            ptp: c.ptp,
            ports: c.ports,
            clock: c.clock,
            observability: c.observability,
            ntp_server,
            ntp_sources: c.ntp_sources,
            ntp_client: NtpClient {
                minimum_agreeing_sources: c.minimum_agreeing_sources,
                nts_ca_file: c.nts_ca_file,
                key_file: c.client_key_file,
                legacy_sha1: c.client_legacy_sha1,
            },
            nts_ke_server: c.nts_ke_server,
            csptp_server,
            csptp_sources: c.csptp_sources,
            refclocks: c.refclocks,
            roughtime_server,
            roughtime_sources: c.roughtime_sources,
            roughtime: c.roughtime,
            daemon: c.daemon,
        }
    }
}

/// The configuration as TOML.
pub(crate) fn to_toml(c: &Config) -> String {
    // Serializing these types cannot fail: every key is a string and every
    // value a string, integer, float, boolean, array or table.
    toml::to_string(&File::from(c.clone())).unwrap_or_default()
}
