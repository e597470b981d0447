//! The sources of the system process as the configuration names them and
//! as the status shows them: options from `[[ntp-source]]` and `[[port]]`
//! (docs/sources.md), `[[csptp-source]]` and `[[refclock]]`, and a
//! [`SourceStatus`] per source.

use std::net::SocketAddr;

use tempora_clock::Duration;
use tempora_config::{CsptpSourceSettings, NtpSourceSettings, PortSettings, RefclockSettings};
use tempora_system::{SourceId, SourceKind, SourceOptions, SystemProcess};

use crate::status::{SourceOptionsStatus, SourceStatus};

/// A PTP port as a source of the system process.
#[derive(Debug, Clone)]
pub struct PtpSource {
    /// The engine's port index.
    pub port: usize,
    /// Its name in logs: the interface.
    pub name: String,
    /// Its handle in the system process.
    pub id: SourceId,
}

/// An `[[ntp-source]]`'s options.
pub fn ntp_options(s: &NtpSourceSettings) -> SourceOptions {
    SourceOptions {
        prefer: s.prefer,
        noselect: s.noselect,
        trust: s.trust,
        require: s.require,
        offset: s.offset.unwrap_or(Duration::ZERO),
        asymmetry: s.asymmetry.unwrap_or(Duration::ZERO),
        max_delay: s.max_delay,
    }
}

/// A `[[csptp-source]]`'s options.
pub fn csptp_options(s: &CsptpSourceSettings) -> SourceOptions {
    SourceOptions {
        prefer: s.prefer,
        noselect: s.noselect,
        trust: s.trust,
        require: s.require,
        offset: s.offset.unwrap_or(Duration::ZERO),
        asymmetry: s.asymmetry.unwrap_or(Duration::ZERO),
        max_delay: s.max_delay,
    }
}

/// A `[[refclock]]`'s options: its `offset` is added to its offsets, as
/// chrony's refclock `offset`; it has no asymmetry.
pub fn refclock_options(s: &RefclockSettings) -> SourceOptions {
    SourceOptions {
        prefer: s.prefer,
        noselect: s.noselect,
        trust: s.trust,
        require: s.require,
        offset: s.offset.unwrap_or(Duration::ZERO),
        asymmetry: Duration::ZERO,
        max_delay: s.max_delay,
    }
}

/// A `[[port]]`'s options. Its asymmetry is its `delay-asymmetry`, which
/// the PTP engine applies to each measurement (IEEE 1588-2019 §11.6): not
/// again here.
pub fn port_options(p: &PortSettings) -> SourceOptions {
    SourceOptions {
        prefer: p.prefer,
        noselect: p.noselect,
        trust: p.trust,
        require: p.require,
        offset: p.offset.unwrap_or(Duration::ZERO),
        asymmetry: Duration::ZERO,
        max_delay: p.max_delay,
    }
}

/// The name of a kind in the status.
pub fn kind_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Ntp => "ntp",
        SourceKind::Csptp => "csptp",
        SourceKind::Refclock => "refclock",
        SourceKind::Ptp => "ptp",
    }
}

/// Source `id` of `system`, named `name`, for the status.
pub fn source_status(system: &SystemProcess, name: String, id: SourceId) -> SourceStatus {
    let report = system.report(id);
    let o = system.options(id).unwrap_or_default();
    let last = system.last_measurement(id);
    let frequency = system.source_frequency(id);
    SourceStatus {
        name,
        kind: system.kind(id).map_or("unknown", kind_name).into(),
        selection: report.state.name().into(),
        offset_ns: last.map(|m| m.offset.as_nanos_f64()),
        delay_ns: last.map(|m| m.delay.as_nanos_f64()),
        frequency_ppb: frequency.map(|f| f.ppb),
        frequency_sigma_ppb: frequency.map(|f| f.sigma_ppb),
        falseticker_run: report.falseticker_run,
        delay_rejected: report.delay_rejected,
        options: SourceOptionsStatus {
            prefer: o.prefer,
            noselect: o.noselect,
            trust: o.trust,
            require: o.require,
            offset_ns: o.offset.as_nanos_f64(),
            asymmetry_ns: o.asymmetry.as_nanos_f64(),
            max_delay_ns: o.max_delay.map(Duration::as_nanos_f64),
        },
    }
}

/// Whether `name` names the source configured as `configured` at `addr`:
/// that address as configured, its socket address with or without the
/// kind's `prefix` (as `tempora sources` shows it: `ntp:`, `csptp:`), or
/// its IP (`tempora ctl`'s SOURCE).
pub fn names_source(name: &str, prefix: &str, configured: &str, addr: &SocketAddr) -> bool {
    let shown = addr.to_string();
    configured == name
        || shown == name
        || name.strip_prefix(prefix) == Some(shown.as_str())
        || addr.ip().to_string() == name
}
