//! # tempora-daemon
//!
//! Tempora's daemon: the single-threaded `poll(2)` timing loop that drives
//! the PTP engine and the servo over the Linux platform layer, and the
//! daemon's interfaces to the outside: the Unix control socket (status and
//! linuxptp-compatible management) and the Prometheus metrics.

pub mod assembly;
pub mod control;
pub mod dns;
pub mod freqfile;
pub mod linux;
pub mod metrics;
pub mod ntp_client;
pub mod ntp_nts;
pub mod ntp_server;
pub mod ntp_workers;
pub mod nts_server;
pub mod prometheus;
pub mod run;
pub mod runtime;
pub mod status;
pub mod system_sync;
pub mod tokens;
