//! # tempora-daemon
//!
//! Tempora's daemon: the single-threaded `poll(2)` timing loop that drives
//! the PTP engine and the servo over the Linux platform layer, and the
//! daemon's interfaces to the outside: the Unix control socket (status and
//! linuxptp-compatible management) and the Prometheus metrics.
//!
//! A thin adapter over the sans-IO cores: [`assembly`] opens what the
//! configuration asks for, [`run`] is the loop (every polled descriptor
//! dispatched through the token table of [`tokens`]), [`runtime`] feeds
//! the PTP engine and the servo, [`ntp_client`] and [`ntp_server`] the NTP
//! cores, [`csptp_client`] and [`csptp_serving`] (over [`csptp_server`]
//! and [`csptp_dataset`]) the CSPTP core; [`refclock`] (over
//! [`refclock_io`], [`refclock_gpsd`], [`refclock_extts`] and [`refclock_event`]) the reference
//! clocks; [`served`] (with [`leap_file`] and [`leap_reference`]) decides the clock quality,
//! holdover and leap second state served from a reference clock;
//! [`status`], [`served_status`], [`csptp_status`] and [`refclock_status`]
//! are what the daemon reports (imported by the others,
//! importing none of them), rendered by [`prometheus`] and served by
//! [`metrics`] and [`control`]. `tempora ctl` requests (parsed by the
//! `tempora-control` crate) arrive on [`control`] and are carried out by
//! [`control_apply`] through the cores; [`control_status`] and
//! [`tracking`] are what `tempora ctl` and `tempora tracking` report.
//! [`dashboard`] serves the web dashboard (its routes in [`dashboard_api`]
//! over [`dashboard_http`] and [`dashboard_assets`]; the history it keeps,
//! sans-IO, in [`history`], fed through [`dashboard_series`]). No module
//! imports another in a circle.

pub mod assembly;
pub mod control;
pub mod control_apply;
pub mod control_status;
pub mod csptp_client;
pub mod csptp_dataset;
pub mod csptp_server;
pub mod csptp_serving;
pub mod csptp_status;
pub mod dashboard;
pub mod dashboard_api;
pub mod dashboard_assets;
pub mod dashboard_http;
pub mod dashboard_series;
pub mod dns;
pub mod freqfile;
pub mod history;
pub mod leap_file;
pub mod leap_kernel;
pub mod leap_reference;
pub mod leap_smear;
pub mod linux;
pub mod metrics;
pub mod ntp_client;
pub mod ntp_client_v5;
pub mod ntp_keys;
pub mod ntp_loop;
pub mod ntp_nts;
pub mod ntp_server;
pub mod ntp_workers;
pub mod nts_server;
pub mod preflight;
pub mod privileges;
pub mod prometheus;
#[cfg(test)]
mod prometheus_conventions;
mod prometheus_gauge;
mod prometheus_ntp;
pub mod prometheus_roughtime;
mod prometheus_selection;
pub mod prometheus_served;
pub mod refclock;
pub mod refclock_event;
pub mod refclock_extts;
pub mod refclock_gpsd;
pub mod refclock_io;
pub mod refclock_status;
pub mod roughtime_client;
pub mod roughtime_key;
pub mod roughtime_serving;
pub mod roughtime_startup;
pub mod roughtime_status;
pub mod run;
pub mod runtime;
pub mod served;
pub mod served_status;
pub mod sources;
pub mod status;
pub mod system_sync;
pub mod tokens;
pub mod tracking;
pub mod ts2phc;
pub mod worker_pool;
