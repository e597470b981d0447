//! The NTPv4 → NTPv5 upgrade signal (draft-ietf-ntp-ntpv5, "NTPv5
//! Negotiation in Previous NTP Versions"): a client puts a magic value in
//! the reference timestamp of its NTPv4 (or older) request; a server
//! speaking NTPv5 answers with the same reference timestamp, and the client
//! switches to NTPv5. Draft implementations use "NTP5DRFT", the final
//! specification "NTP5NTP5".

use super::draft::{DRAFT_UPGRADE_MAGIC, FINAL_UPGRADE_MAGIC};
use crate::wire::{Mode, NtpTimestamp, Packet};

/// Which upgrade signal a packet carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpgradeSignal {
    /// "NTP5DRFT": draft implementations (ntpd-rs 1.9 and 2.0-alpha).
    Draft,
    /// "NTP5NTP5": the final specification.
    Final,
}

impl UpgradeSignal {
    /// The reference timestamp that carries the signal.
    pub const fn timestamp(self) -> NtpTimestamp {
        NtpTimestamp::from_bits(match self {
            UpgradeSignal::Draft => DRAFT_UPGRADE_MAGIC,
            UpgradeSignal::Final => FINAL_UPGRADE_MAGIC,
        })
    }

    /// The signal a reference timestamp carries, if any.
    pub fn from_timestamp(ts: NtpTimestamp) -> Option<Self> {
        match ts.to_bits() {
            DRAFT_UPGRADE_MAGIC => Some(UpgradeSignal::Draft),
            FINAL_UPGRADE_MAGIC => Some(UpgradeSignal::Final),
            _ => None,
        }
    }

    /// The signal in an NTPv1–v4 client request (mode 3), if any.
    pub fn in_request(p: &Packet<'_>) -> Option<Self> {
        Self::in_mode(p, Mode::Client)
    }

    /// The signal in an NTPv1–v4 server response (mode 4), if any: the
    /// server's "yes, I speak NTPv5".
    pub fn in_response(p: &Packet<'_>) -> Option<Self> {
        Self::in_mode(p, Mode::Server)
    }

    fn in_mode(p: &Packet<'_>, mode: Mode) -> Option<Self> {
        let legacy = (1..=4).contains(&p.version) && p.raw_body.is_none();
        (legacy && p.mode == mode)
            .then(|| Self::from_timestamp(p.reference_timestamp))
            .flatten()
    }

    /// Marks an NTPv4 request or response with the signal.
    pub fn mark(self, p: &mut Packet<'_>) {
        p.reference_timestamp = self.timestamp();
    }

    /// Marks an encoded NTPv4 request or response (its reference timestamp,
    /// octets 16–23, RFC 5905 §7.3), e.g. one from
    /// [`crate::exchange::Request::new`]. A MAC over it must be computed
    /// after. Does nothing to a buffer shorter than the header.
    pub fn mark_bytes(self, header: &mut [u8]) {
        if let Some(field) = header.get_mut(16..24) {
            field.copy_from_slice(&self.timestamp().to_bits().to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_response_signals() {
        let mut req = Packet::new(Mode::Client);
        assert_eq!(UpgradeSignal::in_request(&req), None);
        UpgradeSignal::Draft.mark(&mut req);
        assert_eq!(
            req.reference_timestamp.to_bits().to_be_bytes(),
            *b"NTP5DRFT"
        );
        assert_eq!(UpgradeSignal::in_request(&req), Some(UpgradeSignal::Draft));
        assert_eq!(UpgradeSignal::in_response(&req), None);
        let mut resp = Packet::new(Mode::Server);
        UpgradeSignal::Final.mark(&mut resp);
        assert_eq!(
            UpgradeSignal::in_response(&resp),
            Some(UpgradeSignal::Final)
        );
        resp.version = 5;
        assert_eq!(UpgradeSignal::in_response(&resp), None);
        let (_, mut bytes) = crate::exchange::Request::new(7);
        UpgradeSignal::Draft.mark_bytes(&mut bytes);
        let p = Packet::decode(&bytes).unwrap();
        assert_eq!(UpgradeSignal::in_request(&p), Some(UpgradeSignal::Draft));
        UpgradeSignal::Draft.mark_bytes(&mut bytes[..20]); // too short: untouched, no panic
    }
}
