//! What the daemon serves when its time comes from a reference clock: the
//! PTP clock quality and time properties a grandmaster announces, and the
//! NTP stratum, reference identifier and root dispersion its NTP server
//! answers with, from the [`HoldoverStatus`] of the [holdover
//! tracker](crate::holdover).
//!
//! # PTP (IEEE 1588-2019 §7.6.2.5, Table 4; ITU-T G.8275.1 §6.4, Table 2)
//!
//! | state | `clockClass` | `timeSource` | traceable |
//! |---|---|---|---|
//! | locked to the reference | 6 | the reference's (GNSS 0x20, OTHER 0x90) | time and frequency |
//! | holdover, estimate within `holdover-budget` | 7 | the reference's | time and frequency |
//! | holdover, estimate beyond the budget | [`DegradedClass`]: 248, or 52/187 | INTERNAL_OSCILLATOR 0xA0 | neither |
//! | never locked | 248 | INTERNAL_OSCILLATOR | neither |
//!
//! 6 is "synchronized to a primary reference time source", 7 "previously
//! 6, in holdover and within holdover specifications"; beyond them Table 4
//! offers 248 (the default) or the degradation alternatives 52 (A) and 187
//! (B) for a clock of class 7 out of holdover specifications. The telecom
//! profiles' Table 2 has 6 and 7 with the same meanings; out of holdover
//! specification a T-GM is 140, 150 or 160 only when a physical-layer
//! frequency reference of category 1, 2 or 3 holds it (SyncE, which
//! Tempora does not have), so Tempora goes to 248 there too (G.8275.1's
//! class for a T-GM without a time reference).
//!
//! `clockAccuracy` (§7.6.2.6, Table 5) is the smallest enumeration that
//! bounds the estimated error (never below 0x20, "within 25 ns").
//!
//! # NTP (RFC 5905 §7.3)
//!
//! Locked: stratum 1, the reference's identifier, root dispersion the
//! servo's error bound. In holdover Tempora does as chrony and ntpd do when
//! their reference goes: it keeps its stratum and reference identifier and
//! lets the root dispersion grow, here with the holdover estimate (chrony
//! and ntpd add a fixed frequency tolerance times the time since the last
//! update; the estimate is the same idea with the servo's own numbers), so
//! that clients weigh the server by its root distance. When the estimate
//! passes NTP's distance threshold ([`MAX_DISTANCE`], RFC 5905 §7.2
//! MAXDIST) no client would take the time anyway, and the server answers
//! unsynchronized (LI 3, stratum 16).

use tempora_clock::Duration;

use crate::holdover::{HoldoverState, HoldoverStatus};
use crate::reference::{ReferenceKind, TIME_SOURCE_INTERNAL_OSCILLATOR};

/// RFC 5905 §7.2 MAXDIST: 1 s of root distance, beyond which clients do not
/// synchronize.
pub const MAX_DISTANCE: Duration = Duration::from_secs(1);

/// `clockClass` 6 (IEEE 1588-2019 Table 4; G.8275.1 Table 2).
pub const CLASS_PRIMARY_REFERENCE: u8 = 6;
/// `clockClass` 7.
pub const CLASS_HOLDOVER: u8 = 7;
/// `clockClass` 248, the default.
pub const CLASS_DEFAULT: u8 = 248;

/// The `clockClass` after the holdover budget is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DegradedClass {
    /// 248, the default (IEEE 1588-2019 Table 4; also the telecom
    /// profiles' T-GM without a frequency reference).
    #[default]
    Default,
    /// 52, degradation alternative A (Table 4).
    AlternativeA,
    /// 187, degradation alternative B (Table 4).
    AlternativeB,
}

impl DegradedClass {
    /// The class.
    pub fn class(self) -> u8 {
        match self {
            DegradedClass::Default => CLASS_DEFAULT,
            DegradedClass::AlternativeA => 52,
            DegradedClass::AlternativeB => 187,
        }
    }

    /// The configured class: 248, 52 or 187; `None` for anything else.
    pub fn from_class(class: u8) -> Option<Self> {
        match class {
            CLASS_DEFAULT => Some(DegradedClass::Default),
            52 => Some(DegradedClass::AlternativeA),
            187 => Some(DegradedClass::AlternativeB),
            _ => None,
        }
    }
}

/// What is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedQuality {
    /// `clockClass`.
    pub clock_class: u8,
    /// `clockAccuracy` (Table 5).
    pub clock_accuracy: u8,
    /// `timeSource` (Table 6).
    pub time_source: u8,
    /// `timeTraceable` (§8.2.4.6).
    pub time_traceable: bool,
    /// `frequencyTraceable` (§8.2.4.7).
    pub frequency_traceable: bool,
    /// The NTP answer: `None` when the server should answer
    /// unsynchronized.
    pub ntp: Option<NtpQuality>,
}

/// The NTP server's stratum, reference and root dispersion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtpQuality {
    /// Stratum (1: a primary server).
    pub stratum: u8,
    /// The reference identifier.
    pub reference_id: [u8; 4],
    /// Root dispersion.
    pub root_dispersion: Duration,
}

/// The quality served in `status`, with the budget spent to `degraded`
/// (see the module documentation). `None` when the daemon has never been
/// locked to a reference clock: then what it serves comes from its other
/// sources, as before.
pub fn served_quality(status: &HoldoverStatus, degraded: DegradedClass) -> Option<ServedQuality> {
    let reference = status.reference?;
    let error = status.estimated_error.unwrap_or(Duration::MAX);
    let (clock_class, traceable) = match status.state {
        HoldoverState::FreeRun => return None,
        HoldoverState::Locked => (CLASS_PRIMARY_REFERENCE, true),
        HoldoverState::InBudget => (CLASS_HOLDOVER, true),
        HoldoverState::OutOfBudget => (degraded.class(), false),
    };
    Some(ServedQuality {
        clock_class,
        clock_accuracy: clock_accuracy(error),
        time_source: if traceable {
            reference.time_source()
        } else {
            TIME_SOURCE_INTERNAL_OSCILLATOR
        },
        time_traceable: traceable,
        frequency_traceable: traceable,
        ntp: ntp_quality(reference, error),
    })
}

fn ntp_quality(reference: ReferenceKind, error: Duration) -> Option<NtpQuality> {
    (error < MAX_DISTANCE).then(|| NtpQuality {
        stratum: 1,
        reference_id: reference.reference_id(),
        root_dispersion: error,
    })
}

/// The upper bounds of `clockAccuracy` 0x20 to 0x30 (IEEE 1588-2019
/// §7.6.2.6, Table 5), ns: 25 ns, 100 ns, 250 ns, 1 µs, … 10 s.
const ACCURACY_BOUNDS_NS: [i64; 17] = [
    25,
    100,
    250,
    1_000,
    2_500,
    10_000,
    25_000,
    100_000,
    250_000,
    1_000_000,
    2_500_000,
    10_000_000,
    25_000_000,
    100_000_000,
    250_000_000,
    1_000_000_000,
    10_000_000_000,
];

/// The smallest `clockAccuracy` of Table 5 (from 0x20 on) whose bound is
/// at least `error`; 0x31 ("greater than 10 s") beyond them.
pub fn clock_accuracy(error: Duration) -> u8 {
    let ns = error.abs().as_nanos_f64();
    let i = ACCURACY_BOUNDS_NS
        .iter()
        .position(|&b| ns <= b as f64)
        .unwrap_or(ACCURACY_BOUNDS_NS.len());
    0x20 + i as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: HoldoverState, error_ns: i64) -> HoldoverStatus {
        HoldoverStatus {
            state,
            elapsed: Duration::from_secs(100),
            estimated_error: Some(Duration::from_nanos(error_ns)),
            hold_frequency_ppb: None,
            reference: Some(ReferenceKind::Gnss),
        }
    }

    #[test]
    fn locked_is_class_6_stratum_1_gps() {
        let q = served_quality(&status(HoldoverState::Locked, 20), DegradedClass::Default).unwrap();
        assert_eq!(q.clock_class, 6);
        assert_eq!(q.clock_accuracy, 0x20);
        assert_eq!(q.time_source, 0x20);
        assert!(q.time_traceable && q.frequency_traceable);
        let ntp = q.ntp.unwrap();
        assert_eq!(ntp.stratum, 1);
        assert_eq!(&ntp.reference_id, b"GPS\0");
        assert_eq!(ntp.root_dispersion, Duration::from_nanos(20));
    }

    #[test]
    fn holdover_in_budget_is_class_7_and_keeps_stratum() {
        let mut s = status(HoldoverState::InBudget, 700);
        s.reference = Some(ReferenceKind::Pps);
        let q = served_quality(&s, DegradedClass::Default).unwrap();
        assert_eq!(q.clock_class, 7);
        assert_eq!(q.clock_accuracy, 0x23);
        assert!(q.time_traceable);
        let ntp = q.ntp.unwrap();
        assert_eq!((ntp.stratum, &ntp.reference_id), (1, b"PPS\0"));
        assert_eq!(ntp.root_dispersion, Duration::from_nanos(700));
    }

    #[test]
    fn out_of_budget_degrades_per_configuration() {
        let s = status(HoldoverState::OutOfBudget, 30_000);
        for (d, class) in [
            (DegradedClass::Default, 248),
            (DegradedClass::AlternativeA, 52),
            (DegradedClass::AlternativeB, 187),
        ] {
            let q = served_quality(&s, d).unwrap();
            assert_eq!(q.clock_class, class);
            assert_eq!(q.time_source, 0xa0);
            assert!(!q.time_traceable && !q.frequency_traceable);
            assert_eq!(q.clock_accuracy, 0x27);
            assert_eq!(q.ntp.unwrap().stratum, 1);
        }
    }

    #[test]
    fn beyond_max_distance_ntp_is_unsynchronized() {
        let s = status(HoldoverState::OutOfBudget, 1_500_000_000);
        let q = served_quality(&s, DegradedClass::Default).unwrap();
        assert_eq!(q.ntp, None);
        assert_eq!(q.clock_accuracy, 0x30);
    }

    #[test]
    fn free_run_serves_nothing_of_its_own() {
        let mut s = status(HoldoverState::FreeRun, 0);
        s.reference = None;
        assert_eq!(served_quality(&s, DegradedClass::Default), None);
    }

    #[test]
    fn accuracy_table() {
        assert_eq!(clock_accuracy(Duration::ZERO), 0x20);
        assert_eq!(clock_accuracy(Duration::from_nanos(25)), 0x20);
        assert_eq!(clock_accuracy(Duration::from_nanos(26)), 0x21);
        assert_eq!(clock_accuracy(Duration::from_micros(1)), 0x23);
        assert_eq!(clock_accuracy(Duration::from_millis(1)), 0x29);
        assert_eq!(clock_accuracy(Duration::from_secs(1)), 0x2f);
        assert_eq!(clock_accuracy(Duration::from_secs(11)), 0x31);
        assert_eq!(clock_accuracy(-Duration::from_nanos(200)), 0x22);
    }

    #[test]
    fn degraded_class_from_configuration() {
        assert_eq!(
            DegradedClass::from_class(52),
            Some(DegradedClass::AlternativeA)
        );
        assert_eq!(
            DegradedClass::from_class(187),
            Some(DegradedClass::AlternativeB)
        );
        assert_eq!(DegradedClass::from_class(248), Some(DegradedClass::Default));
        assert_eq!(DegradedClass::from_class(7), None);
    }
}
