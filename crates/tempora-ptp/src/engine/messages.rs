//! Building the messages the engine sends (IEEE 1588-2019 §13).

use alloc::vec;
use alloc::vec::Vec;

use tempora_clock::{Duration, Time};

use crate::wire::tlv::Tlv;
use crate::wire::{
    Body, Flags, Header, Message, MessageType, PortIdentity, Suffix, TimeInterval, Timestamp,
};

/// The wire timestamp for an engine time, clamped to the representable range
/// (§5.3.3: 48-bit seconds, nanoseconds below 10^9); sub-nanoseconds are
/// dropped, and returned as a remainder for the correctionField.
pub(crate) fn to_timestamp(t: Time) -> (Timestamp, Duration) {
    let (secs, nanos) = t.secs_nanos();
    let remainder = Duration::from_scaled_nanos(i128::from(t.subnano_units()));
    if secs < 0 {
        return (Timestamp::default(), Duration::ZERO);
    }
    let seconds = u64::try_from(secs)
        .unwrap_or(Timestamp::MAX_SECONDS)
        .min(Timestamp::MAX_SECONDS);
    (
        Timestamp {
            seconds,
            nanoseconds: nanos,
        },
        remainder,
    )
}

/// The engine time of a wire timestamp.
pub(crate) fn from_timestamp(ts: Timestamp) -> Time {
    Time::from_nanos(ts.total_nanos())
}

/// A correctionField value for a duration, saturating at the field's range.
pub(crate) fn to_correction(d: Duration) -> TimeInterval {
    let v = d.scaled_nanos();
    TimeInterval(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// The duration a correctionField holds.
pub(crate) fn from_correction(c: TimeInterval) -> Duration {
    Duration::from_scaled_nanos(i128::from(c.0))
}

/// Common header fields of the messages an instance sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderTemplate {
    pub domain_number: u8,
    pub sdo_id: u16,
    pub source: PortIdentity,
}

impl HeaderTemplate {
    pub(crate) fn header(
        &self,
        message_type: MessageType,
        sequence_id: u16,
        log_message_interval: i8,
        flags: Flags,
    ) -> Header {
        let mut h = Header::new(message_type, self.source);
        h.major_sdo_id = ((self.sdo_id >> 8) & 0x0f) as u8;
        h.minor_sdo_id = (self.sdo_id & 0xff) as u8;
        h.domain_number = self.domain_number;
        h.sequence_id = sequence_id;
        h.log_message_interval = log_message_interval;
        h.flags = flags;
        h
    }
}

/// Encodes a message; the engine only builds messages that fit.
pub(crate) fn encode(header: Header, body: Body<'_>, tlvs: &[Tlv<'_>]) -> Vec<u8> {
    let message = Message {
        header,
        body,
        suffix: Suffix::Tlvs(tlvs),
        trailer: &[],
    };
    let mut buf = vec![0u8; message.encoded_len()];
    match message.encode(&mut buf) {
        Ok(n) => buf.truncate(n),
        Err(_) => buf.clear(),
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_conversions() {
        let t = Time::from_secs_nanos(1_700_000_000, 123_456_789) + Duration::from_scaled_nanos(5);
        let (ts, rem) = to_timestamp(t);
        assert_eq!((ts.seconds, ts.nanoseconds), (1_700_000_000, 123_456_789));
        assert_eq!(rem.scaled_nanos(), 5);
        assert_eq!(from_timestamp(ts) + rem, t);
        assert_eq!(to_timestamp(Time::from_nanos(-5)).0, Timestamp::default());
        assert_eq!(
            from_correction(to_correction(Duration::from_nanos(-42))),
            Duration::from_nanos(-42)
        );
    }
}
