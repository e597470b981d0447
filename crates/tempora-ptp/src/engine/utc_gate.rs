//! The UTC offset gate: a slave takes its time properties from its
//! parent's Announce messages (IEEE 1588-2019 §9.3.5, Table 33), and a
//! clock that counts UTC turns PTP time into its own with
//! `currentUtcOffset` (§7.2.3, §8.2.4.2). One forged Announce with the
//! grandmaster's identity and `currentUtcOffset` 32767 would shift such a
//! clock by hours. So, from the same grandmaster, a change of the offset
//! the time properties imply (PTP − UTC: `currentUtcOffset` with
//! `ptpTimescale`, zero with ARB) by more than [`UTC_OFFSET_STEP`] — more
//! than a leap second (§9.4, `leap59`/`leap61`) changes it — is taken only
//! when every Announce from the parent has said the same for the hold
//! time. Announces that go back to the values in force cancel it.

use tempora_clock::{Duration, Time};

use crate::datasets::TimePropertiesDs;

use super::{Action, PtpInstance};

/// The largest change of PTP − UTC taken at once, seconds: a leap second.
pub const UTC_OFFSET_STEP: i32 = 1;

/// The gate's state and counters, for the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UtcOffsetGate {
    /// How long a change must last before it is taken; `None`: no gate.
    pub(super) hold: Option<Duration>,
    /// The time properties offered, and since when.
    pub(super) pending: Option<(TimePropertiesDs, Time)>,
    /// Changes held (each counted once, when first offered).
    pub(super) held: u64,
}

impl UtcOffsetGate {
    /// Changes of the UTC offset held back so far.
    pub fn held_count(&self) -> u64 {
        self.held
    }

    /// The time properties offered and held back now, and since when.
    pub fn pending(&self) -> Option<(TimePropertiesDs, Time)> {
        self.pending
    }
}

/// PTP time − UTC in seconds that `tp` implies for a clock counting UTC:
/// `currentUtcOffset` (at least 37 unless flagged valid, as ptp4l takes it)
/// with `ptpTimescale`, zero with ARB.
pub fn ptp_minus_utc(tp: &TimePropertiesDs) -> i32 {
    if !tp.ptp_timescale {
        return 0;
    }
    let offset = i32::from(tp.current_utc_offset);
    if tp.current_utc_offset_valid {
        offset
    } else {
        offset.max(37)
    }
}

impl PtpInstance {
    /// Takes `tp` from the parent's Announce (§9.3.5, Table 33) unless the
    /// gate holds it: `same_grandmaster` says the time properties in force
    /// came from the same grandmaster.
    pub(super) fn take_time_properties(
        &mut self,
        now: Time,
        tp: TimePropertiesDs,
        same_grandmaster: bool,
    ) {
        if tp == self.time_properties_ds {
            self.utc_gate.pending = None;
            return;
        }
        let jump = (ptp_minus_utc(&tp) - ptp_minus_utc(&self.time_properties_ds)).abs();
        if let (true, Some(hold)) = (
            same_grandmaster && jump > UTC_OFFSET_STEP,
            self.utc_gate.hold,
        ) {
            match self.utc_gate.pending {
                Some((offered, since)) if offered == tp => {
                    if now - since < hold {
                        return;
                    }
                }
                _ => {
                    self.utc_gate.pending = Some((tp, now));
                    self.utc_gate.held += 1;
                    return;
                }
            }
        }
        self.utc_gate.pending = None;
        self.time_properties_ds = tp;
        self.actions.push_back(Action::TimeProperties(tp));
    }

    /// The UTC offset gate's state and counters.
    pub fn utc_offset_gate(&self) -> &UtcOffsetGate {
        &self.utc_gate
    }
}
