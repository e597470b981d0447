//! `tempora tracking`'s report (chronyc's `tracking`): the system peer as
//! the system process sees it, with the stratum, root delay and
//! dispersion of an NTP system peer and the leap status served.

use tempora_clock::{Duration, Time};
use tempora_ntp::wire::LeapIndicator;

use crate::control_status::TrackingStatus;
use crate::ntp_client::NtpClient;
use crate::served::Served;

/// The report at `now`, when there is a selection (an NTP client);
/// `reference` is the selected source's name.
pub fn tracking(
    client: &NtpClient,
    served: &Served,
    reference: Option<String>,
    now: Time,
) -> TrackingStatus {
    let peer = client.system().tracking(now);
    let upstream = client.system_peer_upstream();
    let served_stratum = served.ntp_clock(0, now).map(|c| c.stratum);
    let leap = match (peer, upstream) {
        (None, _) => LeapIndicator::Unsynchronized,
        (Some(_), Some(u)) => u.leap,
        (Some(_), None) => served.leap_indicator(),
    };
    let ns = |d: Duration| d.as_nanos_f64();
    TrackingStatus {
        reference: reference.filter(|_| peer.is_some()),
        stratum: upstream
            .map(|u| u.stratum.saturating_add(1))
            .or(served_stratum.filter(|s| (1..16).contains(s))),
        ref_time_unix_s: peer.map(|p| (p.at - Time::EPOCH).as_secs_f64()),
        system_offset_ns: peer.map(|p| ns(p.offset)),
        residual_frequency_ppb: peer.and_then(|p| p.residual_ppb),
        skew_ppb: peer.and_then(|p| p.skew_ppb),
        root_delay_ns: upstream.map(|u| ns(u.root_delay)),
        root_dispersion_ns: upstream.map(|u| ns(u.root_dispersion)),
        update_interval_s: peer.map(|p| p.interval.as_secs_f64()),
        leap: leap_name(leap).into(),
        estimated_error_ns: peer.map(|p| ns(p.root_distance)),
    }
}

/// chronyc's names of the leap status.
fn leap_name(leap: LeapIndicator) -> &'static str {
    match leap {
        LeapIndicator::NoWarning => "normal",
        LeapIndicator::AddSecond => "insert second",
        LeapIndicator::DeleteSecond => "delete second",
        LeapIndicator::Unsynchronized => "not synchronised",
    }
}
