//! The daemon's NTP server (RFC 5905): answers clients from the disciplined
//! clock, in UTC, with a stratum and reference that say where its time
//! comes from. With a PTP slave port locked to its grandmaster this is the
//! PTP-to-NTP bridge: stratum 1 and reference id "PTP" when the grandmaster
//! is traceable to a primary reference (clockClass 6, 7, 13 or 14, IEEE
//! 1588-2019 §7.6.2.5 Table 4), stratum 2 otherwise. Without a synchronised
//! source it answers with `local-stratum` (reference "LOCL", like chrony's
//! `local stratum`) if configured, else LI 3 and stratum 16.

use std::io;

use serde::{Deserialize, Serialize};
use tempora_clock::{Duration, ServoState, Time};
use tempora_ntp::server::{ServerClock, respond};
use tempora_ntp::wire::{LeapIndicator, ReferenceId};
use tempora_ptp::datasets::PortState;

use crate::runtime::{DisciplinedClock, PortIo, Runtime};

/// Counters of the NTP server (status and metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtpServerCounters {
    /// Datagrams received.
    pub received: u64,
    /// Replies sent.
    pub replied: u64,
    /// Datagrams not answered (malformed, not a request, bad version).
    pub ignored: u64,
    /// Replies the socket refused to send.
    pub send_errors: u64,
}

/// What the server needs to know from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtpServerPolicy {
    /// `local-stratum`, if any.
    pub local_stratum: Option<u8>,
    /// The precision announced, log2 s.
    pub precision: i8,
}

/// The state the server announces now.
pub fn server_clock<P: PortIo, C: DisciplinedClock>(
    runtime: &Runtime<P, C>,
    policy: &NtpServerPolicy,
    now_utc: Time,
) -> ServerClock {
    let engine = &runtime.engine;
    let slave = (0..engine.port_count())
        .filter_map(|i| engine.port_ds(i))
        .any(|ds| ds.port_state == PortState::Slave);
    if slave && runtime.servo_state() == ServoState::Locked {
        let class = engine.parent_ds().grandmaster_clock_quality.clock_class;
        let traceable = matches!(class, 6 | 7 | 13 | 14);
        let current = engine.current_ds();
        return ServerClock {
            leap: leap_of(engine.time_properties_ds()),
            stratum: if traceable { 1 } else { 2 },
            precision: policy.precision,
            reference_id: ReferenceId(*b"PTP\0"),
            reference_time: now_utc,
            root_delay: Duration::ZERO,
            root_dispersion: current.offset_from_master.abs() + Duration::from_micros(1),
        };
    }
    match policy.local_stratum {
        Some(stratum) => ServerClock {
            leap: LeapIndicator::NoWarning,
            stratum,
            precision: policy.precision,
            reference_id: ReferenceId(*b"LOCL"),
            reference_time: now_utc,
            root_delay: Duration::ZERO,
            root_dispersion: Duration::ZERO,
        },
        None => ServerClock {
            precision: policy.precision,
            ..ServerClock::UNSYNCHRONIZED
        },
    }
}

fn leap_of(tp: &tempora_ptp::datasets::TimePropertiesDs) -> LeapIndicator {
    if tp.leap61 {
        LeapIndicator::AddSecond
    } else if tp.leap59 {
        LeapIndicator::DeleteSecond
    } else {
        LeapIndicator::NoWarning
    }
}

/// The clock's time in UTC: a PHC counting the PTP timescale is TAI.
pub fn utc<P: PortIo, C: DisciplinedClock>(runtime: &Runtime<P, C>, t: Time) -> Time {
    if runtime.clock.counts_utc() {
        t
    } else {
        t - runtime.ptp_minus_utc()
    }
}

/// Answers one datagram: `rx_raw` is its kernel receive timestamp. Returns
/// the reply to send, or `None` (counted) if it gets none.
pub fn answer<P: PortIo, C: DisciplinedClock>(
    runtime: &Runtime<P, C>,
    policy: &NtpServerPolicy,
    counters: &mut NtpServerCounters,
    request: &[u8],
    rx_raw: Option<Time>,
    out: &mut [u8],
) -> Option<usize> {
    counters.received += 1;
    let now = utc(runtime, runtime.clock.now());
    let rx = rx_raw.map_or(now, |r| utc(runtime, runtime.clock.time_of_raw(r)));
    let state = server_clock(runtime, policy, now);
    // T3 as late as possible: read the clock again right before sending.
    let tx = utc(runtime, runtime.clock.now());
    match respond(request, rx, tx, &state, out) {
        Ok(n) => Some(n),
        Err(_) => {
            counters.ignored += 1;
            None
        }
    }
}

/// Counts the outcome of a send.
pub fn sent(counters: &mut NtpServerCounters, result: io::Result<()>) {
    match result {
        Ok(()) => counters.replied += 1,
        Err(_) => counters.send_errors += 1,
    }
}
