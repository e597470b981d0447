//! What the NTP server announces while its host follows an NTP source
//! (RFC 5905 §11.2.3, the system variables after clock update): one
//! stratum below the system peer, its address as the reference ID, the
//! root delay and dispersion accumulated through it, and its leap
//! indicator. Without this a Tempora server synchronised over NTP alone
//! would announce itself unsynchronised (stratum 16) to its clients, as a
//! chain of chrony servers never does.

use crate::reply::ServerClock;
use crate::wire::{LeapIndicator, ReferenceId};
use tempora_clock::{Duration, Time};

/// RFC 5905 §7.2 MAXSTRAT: a server one step below stratum 15 would
/// announce 16, unsynchronised.
const MAX_STRATUM: u8 = 16;

/// RFC 5905 §7.2 MAXDISP: beyond this root dispersion the time is no
/// longer worth serving as synchronised.
const MAX_DISPERSION: Duration = Duration::from_secs(16);

/// The system peer, when it is an NTP source, as its last sample says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtpUpstream {
    /// Its stratum.
    pub stratum: u8,
    /// The reference ID that names it ([`ReferenceId::of_upstream`]).
    pub reference_id: ReferenceId,
    /// Its leap indicator.
    pub leap: LeapIndicator,
    /// Its root delay plus the path delay to it.
    pub root_delay: Duration,
    /// Its root dispersion plus the offset measured, when the sample was
    /// taken.
    pub root_dispersion: Duration,
    /// When the sample was taken (our receive time, NTP timescale).
    pub at: Time,
}

/// RFC 5905 §7.2 PHI: the frequency tolerance, 15 ppm; dispersion grows
/// by this much per second since the sample.
fn dispersion_since(at: Time, now: Time) -> Duration {
    let elapsed = now - at;
    if elapsed <= Duration::ZERO {
        return Duration::ZERO;
    }
    Duration::from_scaled_nanos(elapsed.scaled_nanos().saturating_mul(15) / 1_000_000)
}

/// What the server announces following `up` at `now`, with `precision`;
/// `None` when `up` cannot be served as synchronised (its stratum is 15
/// or invalid, or its dispersion has grown past MAXDISP).
pub fn served_clock(up: &NtpUpstream, precision: i8, now: Time) -> Option<ServerClock> {
    let stratum = up
        .stratum
        .checked_add(1)
        .filter(|s| (2..MAX_STRATUM).contains(s))?;
    let root_dispersion = up.root_dispersion + dispersion_since(up.at, now);
    if root_dispersion > MAX_DISPERSION {
        return None;
    }
    Some(ServerClock {
        leap: up.leap,
        stratum,
        precision,
        reference_id: up.reference_id,
        reference_time: up.at,
        root_delay: up.root_delay,
        root_dispersion,
        ..ServerClock::UNSYNCHRONIZED
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(stratum: u8) -> NtpUpstream {
        NtpUpstream {
            stratum,
            reference_id: ReferenceId::of_upstream("192.0.2.7".parse().unwrap()),
            leap: LeapIndicator::NoWarning,
            root_delay: Duration::from_micros(300),
            root_dispersion: Duration::from_micros(50),
            at: Time::from_secs_nanos(1_000, 0),
        }
    }

    #[test]
    fn one_stratum_below_with_the_upstream_address() {
        let c = served_clock(&upstream(2), -20, Time::from_secs_nanos(1_000, 0)).unwrap();
        assert_eq!(c.stratum, 3);
        assert_eq!(c.reference_id.0, [192, 0, 2, 7]);
        assert_eq!(c.root_delay, Duration::from_micros(300));
        assert_eq!(c.root_dispersion, Duration::from_micros(50));
        assert_eq!(c.reference_time, Time::from_secs_nanos(1_000, 0));
        assert_eq!(c.precision, -20);
    }

    #[test]
    fn dispersion_grows_at_15_ppm_until_maxdisp() {
        let up = upstream(1);
        let c = served_clock(&up, -20, Time::from_secs_nanos(2_000, 0)).unwrap();
        assert_eq!(c.root_dispersion, Duration::from_micros(50 + 15_000));
        assert!(served_clock(&up, -20, Time::from_secs_nanos(1_000 + 1_100_000, 0)).is_none());
    }

    #[test]
    fn a_step_of_centuries_does_not_overflow() {
        let later = Time::from_secs_nanos(1_000 + 300 * 365 * 86_400, 0);
        assert!(served_clock(&upstream(2), -20, later).is_none());
    }

    #[test]
    fn stratum_15_and_unsynchronised_upstreams_are_not_served() {
        assert!(served_clock(&upstream(15), -20, Time::from_secs_nanos(1_000, 0)).is_none());
        assert!(served_clock(&upstream(16), -20, Time::from_secs_nanos(1_000, 0)).is_none());
        assert!(served_clock(&upstream(0), -20, Time::from_secs_nanos(1_000, 0)).is_none());
        assert_eq!(
            served_clock(&upstream(14), -20, Time::from_secs_nanos(1_000, 0))
                .unwrap()
                .stratum,
            15
        );
    }

    #[test]
    fn an_ipv6_upstream_is_named_by_its_md5() {
        let id = ReferenceId::of_upstream("2001:db8::1".parse().unwrap());
        assert_ne!(id.0, [0x20, 0x01, 0x0d, 0xb8]);
        assert_eq!(id, ReferenceId::of_upstream("2001:db8::1".parse().unwrap()));
    }
}
