//! The data set updates that follow a state decision (IEEE 1588-2019
//! §9.3.5, Tables 30–33).

use tempora_clock::Duration;

use super::decision::RecommendedState;
use super::foreign::AnnounceRecord;
use crate::datasets::{CurrentDs, DefaultDs, ParentDs, TimePropertiesDs};
use crate::wire::{AnnounceBody, Flags, Header};

/// The `timePropertiesDS` an Announce message carries (IEEE 1588-2019
/// §9.3.5, Table 33; fields per §13.5.2 and Table 37): `leap61`, `leap59`,
/// `currentUtcOffsetValid`, `ptpTimescale`, `timeTraceable` and
/// `frequencyTraceable` from the header's `flagField`, `currentUtcOffset` and
/// `timeSource` from the body.
pub fn time_properties_from_announce(header: &Header, body: &AnnounceBody) -> TimePropertiesDs {
    let f = header.flags;
    TimePropertiesDs {
        current_utc_offset: body.current_utc_offset,
        current_utc_offset_valid: f.contains(Flags::CURRENT_UTC_OFFSET_VALID),
        leap59: f.contains(Flags::LEAP59),
        leap61: f.contains(Flags::LEAP61),
        time_traceable: f.contains(Flags::TIME_TRACEABLE),
        frequency_traceable: f.contains(Flags::FREQUENCY_TRACEABLE),
        ptp_timescale: f.contains(Flags::PTP_TIMESCALE),
        time_source: body.time_source,
    }
}

/// The updates for decision codes M1 and M2 (IEEE 1588-2019 §9.3.5,
/// Table 30): the instance is grandmaster. `currentDS` gets stepsRemoved 0
/// and zero offset and mean delay, `parentDS` describes the instance itself
/// ([`ParentDs::own`]), and `timePropertiesDS` takes the instance's own time
/// properties (those of its time source, supplied by the caller).
pub fn update_as_grandmaster(
    default_ds: &DefaultDs,
    own_time_properties: &TimePropertiesDs,
    current: &mut CurrentDs,
    parent: &mut ParentDs,
    time_properties: &mut TimePropertiesDs,
) {
    current.steps_removed = 0;
    current.offset_from_master = Duration::ZERO;
    current.mean_delay = Duration::ZERO;
    *parent = ParentDs::own(default_ds);
    *time_properties = *own_time_properties;
}

/// The updates for decision code S1 (IEEE 1588-2019 §9.3.5, Table 33): the
/// instance follows the sender of `Ebest`, the Announce (`header`, `body`).
/// `currentDS.stepsRemoved` becomes its stepsRemoved + 1 (saturating);
/// `parentDS.parentPortIdentity` its `sourcePortIdentity` and the
/// grandmaster fields its grandmaster fields; `timePropertiesDS` what it
/// carries ([`time_properties_from_announce`]). The offset, mean delay and
/// the parent statistics are left to the servo and delay mechanism.
pub fn update_as_slave(
    header: &Header,
    body: &AnnounceBody,
    current: &mut CurrentDs,
    parent: &mut ParentDs,
    time_properties: &mut TimePropertiesDs,
) {
    current.steps_removed = body.steps_removed.saturating_add(1);
    parent.parent_port_identity = header.source_port_identity;
    parent.grandmaster_identity = body.grandmaster_identity;
    parent.grandmaster_clock_quality = body.grandmaster_clock_quality;
    parent.grandmaster_priority1 = body.grandmaster_priority1;
    parent.grandmaster_priority2 = body.grandmaster_priority2;
    *time_properties = time_properties_from_announce(header, body);
}

/// Applies the data set updates of IEEE 1588-2019 §9.3.5 for `state`:
/// M1 and M2 ([`update_as_grandmaster`], Table 30), S1 with `Ebest`'s record
/// ([`update_as_slave`], Table 33); M3 (Table 31), P1 and P2 (Table 32) and
/// LISTENING change nothing. Returns whether the data sets were written
/// (false also for S1 without an `ebest` record).
pub fn apply_decision(
    state: RecommendedState,
    default_ds: &DefaultDs,
    own_time_properties: &TimePropertiesDs,
    ebest: Option<&AnnounceRecord>,
    current: &mut CurrentDs,
    parent: &mut ParentDs,
    time_properties: &mut TimePropertiesDs,
) -> bool {
    match state {
        RecommendedState::M1 | RecommendedState::M2 => {
            update_as_grandmaster(
                default_ds,
                own_time_properties,
                current,
                parent,
                time_properties,
            );
            true
        }
        RecommendedState::S1 => match ebest {
            Some(record) => {
                update_as_slave(
                    &record.header,
                    &record.body,
                    current,
                    parent,
                    time_properties,
                );
                true
            }
            None => false,
        },
        RecommendedState::M3
        | RecommendedState::P1
        | RecommendedState::P2
        | RecommendedState::Listening => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bmca::compare::tests::{id, port};
    use crate::datasets::time_source;
    use crate::wire::{ClockQuality, MessageType, Timestamp};
    use tempora_clock::Time;

    fn record() -> AnnounceRecord {
        let mut header = Header::new(MessageType::Announce, port(7, 2));
        header.flags = Flags(
            Flags::TWO_STEP
                | Flags::LEAP61
                | Flags::CURRENT_UTC_OFFSET_VALID
                | Flags::PTP_TIMESCALE
                | Flags::TIME_TRACEABLE,
        );
        AnnounceRecord {
            header,
            body: AnnounceBody {
                origin_timestamp: Timestamp::default(),
                current_utc_offset: 37,
                reserved: 0,
                grandmaster_priority1: 100,
                grandmaster_clock_quality: ClockQuality {
                    clock_class: 6,
                    clock_accuracy: 0x21,
                    offset_scaled_log_variance: 0x4e5d,
                },
                grandmaster_priority2: 101,
                grandmaster_identity: id(1),
                steps_removed: 3,
                time_source: time_source::GNSS,
            },
            received: Time::EPOCH,
            alternate_priority1: None,
        }
    }

    fn state() -> (DefaultDs, CurrentDs, ParentDs, TimePropertiesDs) {
        let dds = DefaultDs::new(id(30), 2);
        let current = CurrentDs {
            steps_removed: 9,
            offset_from_master: Duration::from_nanos(5),
            mean_delay: Duration::from_nanos(6),
        };
        let mut parent = ParentDs::own(&dds);
        parent.parent_port_identity = port(50, 1);
        parent.grandmaster_identity = id(50);
        (dds, current, parent, TimePropertiesDs::default())
    }

    #[test]
    fn bmca_update_s1_from_announce() {
        let (dds, mut current, mut parent, mut tp) = state();
        let r = record();
        assert!(apply_decision(
            RecommendedState::S1,
            &dds,
            &TimePropertiesDs::default(),
            Some(&r),
            &mut current,
            &mut parent,
            &mut tp
        ));
        assert_eq!(current.steps_removed, 4);
        // Offset and delay belong to the servo.
        assert_eq!(current.offset_from_master, Duration::from_nanos(5));
        assert_eq!(parent.parent_port_identity, port(7, 2));
        assert_eq!(parent.grandmaster_identity, id(1));
        assert_eq!(parent.grandmaster_clock_quality.clock_class, 6);
        assert_eq!(parent.grandmaster_priority1, 100);
        assert_eq!(parent.grandmaster_priority2, 101);
        assert_eq!(
            tp,
            TimePropertiesDs {
                current_utc_offset: 37,
                current_utc_offset_valid: true,
                leap59: false,
                leap61: true,
                time_traceable: true,
                frequency_traceable: false,
                ptp_timescale: true,
                time_source: time_source::GNSS,
            }
        );
        let mut h = r.header;
        h.flags = Flags(Flags::LEAP59 | Flags::FREQUENCY_TRACEABLE);
        let tp2 = time_properties_from_announce(&h, &r.body);
        assert!(tp2.leap59 && tp2.frequency_traceable && !tp2.leap61 && !tp2.ptp_timescale);
        // stepsRemoved saturates.
        let mut b = r.body;
        b.steps_removed = u16::MAX;
        update_as_slave(&h, &b, &mut current, &mut parent, &mut tp);
        assert_eq!(current.steps_removed, u16::MAX);
    }

    #[test]
    fn bmca_update_m1_m2_grandmaster() {
        for code in [RecommendedState::M1, RecommendedState::M2] {
            let (dds, mut current, mut parent, mut tp) = state();
            let own = TimePropertiesDs {
                ptp_timescale: true,
                time_source: time_source::ATOMIC_CLOCK,
                ..TimePropertiesDs::default()
            };
            assert!(apply_decision(
                code,
                &dds,
                &own,
                None,
                &mut current,
                &mut parent,
                &mut tp
            ));
            assert_eq!(current, CurrentDs::default());
            assert_eq!(parent, ParentDs::own(&dds));
            assert_eq!(parent.parent_port_identity.clock_identity, id(30));
            assert_eq!(parent.parent_port_identity.port_number, 0);
            assert_eq!(tp, own);
        }
    }

    #[test]
    fn bmca_update_no_change_codes() {
        let r = record();
        for code in [
            RecommendedState::M3,
            RecommendedState::P1,
            RecommendedState::P2,
            RecommendedState::Listening,
        ] {
            let (dds, mut current, mut parent, mut tp) = state();
            let before = (current, parent, tp);
            assert!(!apply_decision(
                code,
                &dds,
                &TimePropertiesDs::default(),
                Some(&r),
                &mut current,
                &mut parent,
                &mut tp
            ));
            assert_eq!((current, parent, tp), before, "{code:?}");
        }
        // S1 without Ebest's record: nothing to copy.
        let (dds, mut current, mut parent, mut tp) = state();
        let before = (current, parent, tp);
        assert!(!apply_decision(
            RecommendedState::S1,
            &dds,
            &TimePropertiesDs::default(),
            None,
            &mut current,
            &mut parent,
            &mut tp
        ));
        assert_eq!((current, parent, tp), before);
    }
}
