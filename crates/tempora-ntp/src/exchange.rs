//! One client/server exchange (RFC 5905 §8, §9.2), sans-IO: build the
//! request, check the reply against it, and compute offset and delay from
//! the four timestamps. The caller sends, receives and timestamps; nothing
//! here reads a clock.
//!
//! Following the data-minimization practice of chrony and ntpd-rs, the
//! request carries no client time: its transmit timestamp is a random
//! cookie, which the server must echo as the reply's origin timestamp
//! (RFC 5905 §8 "bogus" check), while the true T1 stays with the caller.

use tempora_clock::{Duration, Time};

use crate::time::{duration_from_short, time_from_ntp};
use crate::wire::{
    Error, HEADER_LEN, KissCode, LeapIndicator, Mode, NtpTimestamp, Packet, ReferenceId,
};

/// A request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The transmit timestamp sent (the cookie the reply must echo).
    pub cookie: NtpTimestamp,
    /// For an interleaved request: what it asked about.
    pub interleave: Option<Interleave>,
}

/// The previous exchange an interleaved request (RFC 9769) asks to
/// complete: the server's reply to it carried `server_receive` (its T2),
/// which the request sends back as origin; the request's receive field is
/// `our_receive` (our T4 of that reply), which an interleaved answer echoes
/// as its origin, with the precise T3 of that previous reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interleave {
    /// T1 of the previous exchange (our kernel transmit timestamp).
    pub t1: Time,
    /// T2 of the previous exchange, as the server sent it.
    pub server_receive: NtpTimestamp,
    /// T4 of the previous exchange.
    pub t4: Time,
    /// T4 as sent in the request's receive field.
    pub our_receive: NtpTimestamp,
}

impl Request {
    /// A client request (mode 3, version 4) whose transmit timestamp is
    /// `cookie` (64 random bits from the caller); writes its 48 octets.
    pub fn new(cookie: u64) -> (Request, [u8; HEADER_LEN]) {
        let cookie = NtpTimestamp::from_bits(cookie);
        let mut packet = Packet::new(Mode::Client);
        packet.transmit_timestamp = cookie;
        let mut buf = [0u8; HEADER_LEN];
        // A bare 48-octet header always fits.
        let _ = packet.encode(&mut buf);
        (
            Request {
                cookie,
                interleave: None,
            },
            buf,
        )
    }

    /// An interleaved request (RFC 9769): like [`Request::new`], with the
    /// previous exchange's T2 as origin and its T4 as receive timestamp. A
    /// server that supports the mode answers with the previous reply's
    /// precise transmit time; one that does not answers a basic reply.
    pub fn new_interleaved(
        cookie: u64,
        previous_t1: Time,
        previous_server_receive: NtpTimestamp,
        previous_t4: Time,
    ) -> (Request, [u8; HEADER_LEN]) {
        let cookie = NtpTimestamp::from_bits(cookie);
        let our_receive = crate::time::ntp_from_time(previous_t4);
        let mut packet = Packet::new(Mode::Client);
        packet.origin_timestamp = previous_server_receive;
        packet.receive_timestamp = our_receive;
        packet.transmit_timestamp = cookie;
        let mut buf = [0u8; HEADER_LEN];
        let _ = packet.encode(&mut buf);
        (
            Request {
                cookie,
                interleave: Some(Interleave {
                    t1: previous_t1,
                    server_receive: previous_server_receive,
                    t4: previous_t4,
                    our_receive,
                }),
            },
            buf,
        )
    }

    /// Checks `reply`, received at `t4`, against this request sent at `t1`
    /// (both on the client's clock) and computes the sample.
    ///
    /// RFC 5905 §8: the reply must be a server reply (mode 4) whose origin
    /// timestamp is our cookie and whose transmit timestamp is set; §7.4: a
    /// stratum-0 reply is a kiss-o'-death; §9.2 (clock_select's fitness):
    /// a server that is unsynchronised (leap 3 or stratum ≥ 16) is refused.
    pub fn complete(&self, reply: &[u8], t1: Time, t4: Time) -> Result<Sample, ReplyError> {
        let p = Packet::decode(reply).map_err(ReplyError::Malformed)?;
        if p.mode != Mode::Server {
            return Err(ReplyError::NotAReply);
        }
        let interleaved = match self.interleave {
            _ if p.origin_timestamp == self.cookie => None,
            Some(i) if p.origin_timestamp == i.our_receive && !i.our_receive.is_zero() => Some(i),
            _ => return Err(ReplyError::Bogus),
        };
        if p.stratum == 0 {
            return Err(ReplyError::Kiss(p.reference_id.kiss_code()));
        }
        if p.leap == LeapIndicator::Unsynchronized || p.stratum >= 16 {
            return Err(ReplyError::Unsynchronized);
        }
        if p.transmit_timestamp.is_zero() || p.receive_timestamp.is_zero() {
            return Err(ReplyError::Bogus);
        }
        // Interleaved (RFC 9769): the reply completes the previous exchange,
        // its transmit field being that exchange's precise T3.
        let (t1, t2, t4) = match interleaved {
            None => (t1, time_from_ntp(p.receive_timestamp, t1), t4),
            Some(i) => (i.t1, time_from_ntp(i.server_receive, i.t1), i.t4),
        };
        let t3 = time_from_ntp(p.transmit_timestamp, t1);
        // RFC 5905 §8: θ = ((T2 − T1) + (T3 − T4)) / 2, δ = (T4 − T1) − (T3 − T2).
        let offset = ((t2 - t1) + (t3 - t4)) / 2;
        let delay = (t4 - t1) - (t3 - t2);
        if delay.is_negative() {
            return Err(ReplyError::NegativeDelay(delay));
        }
        let root_delay = duration_from_short(p.root_delay);
        let root_dispersion = duration_from_short(p.root_dispersion);
        // RFC 5905 §11.2 (fit): a server further than MAXDIST (1.5 s,
        // ntpd's default) from its reference is not fit to use.
        let root_distance = (delay + root_delay) / 2 + root_dispersion;
        if root_distance > MAX_DISTANCE {
            return Err(ReplyError::TooDistant(root_distance));
        }
        Ok(Sample {
            offset,
            delay,
            t1,
            t2,
            t3,
            t4,
            stratum: p.stratum,
            leap: p.leap,
            version: p.version,
            poll: p.poll,
            precision: p.precision,
            reference_id: p.reference_id,
            root_delay,
            root_dispersion,
            // RFC 5905 §11.2 (root distance λ), without the dispersion
            // grown since the reply: (δ + root delay) / 2 + root dispersion.
            root_distance,
            interleaved: interleaved.is_some(),
            reply_receive: p.receive_timestamp,
        })
    }
}

/// What one good exchange gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// θ: the server's time minus ours.
    pub offset: Duration,
    /// δ: the round trip minus the server's processing time.
    pub delay: Duration,
    /// Our transmit time.
    pub t1: Time,
    /// The server's receive time.
    pub t2: Time,
    /// The server's transmit time.
    pub t3: Time,
    /// Our receive time.
    pub t4: Time,
    /// The server's stratum.
    pub stratum: u8,
    /// Its leap indicator.
    pub leap: LeapIndicator,
    /// Its version number.
    pub version: u8,
    /// Its poll field, log2 s.
    pub poll: i8,
    /// Its precision, log2 s.
    pub precision: i8,
    /// Its reference id.
    pub reference_id: ReferenceId,
    /// Its root delay.
    pub root_delay: Duration,
    /// Its root dispersion.
    pub root_dispersion: Duration,
    /// The root distance through it.
    pub root_distance: Duration,
    /// Computed from an interleaved reply (the previous exchange, with
    /// the server's precise transmit time).
    pub interleaved: bool,
    /// The reply's receive timestamp as sent (the server's T2 of this
    /// exchange), for the next interleaved request.
    pub reply_receive: NtpTimestamp,
}

/// Why a reply was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyError {
    /// It does not decode.
    Malformed(Error),
    /// Not a server reply (mode 4).
    NotAReply,
    /// Its origin timestamp is not our cookie, or its timestamps are unset:
    /// a stale, duplicated or forged reply (RFC 5905 §8).
    Bogus,
    /// A kiss-o'-death (stratum 0, RFC 5905 §7.4) with its code.
    Kiss(KissCode),
    /// The server says it is not synchronised (leap 3 or stratum ≥ 16).
    Unsynchronized,
    /// The timestamps give a negative delay.
    NegativeDelay(Duration),
    /// The root distance through the server exceeds MAXDIST.
    TooDistant(Duration),
}

/// The largest root distance accepted (RFC 5905 §11.2: MAXDIST, 1.5 s in
/// ntpd's configuration).
pub const MAX_DISTANCE: Duration = Duration::from_millis(1500);

impl core::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ReplyError::Malformed(e) => write!(f, "malformed reply: {e}"),
            ReplyError::NotAReply => f.write_str("not a server reply (mode 4)"),
            ReplyError::Bogus => f.write_str("reply does not match the request (bogus origin)"),
            ReplyError::Kiss(code) => write!(f, "kiss-o'-death {code:?}"),
            ReplyError::Unsynchronized => f.write_str("server is not synchronized"),
            ReplyError::NegativeDelay(d) => write!(f, "negative delay {d}"),
            ReplyError::TooDistant(d) => write!(f, "root distance {d} beyond MAXDIST"),
        }
    }
}

impl core::error::Error for ReplyError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ntp_from_time;
    use crate::wire::NtpShort;

    fn reply(cookie: NtpTimestamp, t2: Time, t3: Time, stratum: u8) -> [u8; HEADER_LEN] {
        let mut p = Packet::new(Mode::Server);
        p.stratum = stratum;
        p.precision = -20;
        p.poll = 6;
        p.root_delay = NtpShort::from_bits(0x0000_8000); // 0.5 s
        p.root_dispersion = NtpShort::from_bits(0x0000_4000); // 0.25 s
        p.reference_id = ReferenceId(*b"GPS\0");
        p.origin_timestamp = cookie;
        p.receive_timestamp = ntp_from_time(t2);
        p.transmit_timestamp = ntp_from_time(t3);
        let mut buf = [0u8; HEADER_LEN];
        p.encode(&mut buf).unwrap();
        buf
    }

    #[test]
    fn offset_and_delay_from_the_four_timestamps() {
        let (req, bytes) = Request::new(0x1234_5678_9abc_def0);
        assert_eq!(req.interleave, None);
        let sent = Packet::decode(&bytes).unwrap();
        assert_eq!(sent.mode, Mode::Client);
        assert_eq!(sent.version, 4);
        assert_eq!(sent.transmit_timestamp.to_bits(), 0x1234_5678_9abc_def0);
        // Server 3 ms ahead; 10 ms each way; 1 ms inside the server.
        let t1 = Time::from_secs_nanos(1_800_000_000, 0);
        let ahead = Duration::from_millis(3);
        let t2 = t1 + Duration::from_millis(10) + ahead;
        let t3 = t2 + Duration::from_millis(1);
        let t4 = t1 + Duration::from_millis(21);
        let s = req.complete(&reply(req.cookie, t2, t3, 1), t1, t4).unwrap();
        let close = |a: Duration, b: Duration| (a - b).abs() < Duration::from_nanos(1);
        assert!(close(s.offset, ahead), "{}", s.offset);
        assert!(close(s.delay, Duration::from_millis(20)), "{}", s.delay);
        assert_eq!(s.stratum, 1);
        assert_eq!(s.precision, -20);
        assert_eq!(s.reference_id.ascii(), Some("GPS"));
        assert!(close(s.root_delay, Duration::from_millis(500)));
        assert!(close(s.root_dispersion, Duration::from_millis(250)));
        assert!(close(
            s.root_distance,
            Duration::from_millis((20 + 500) / 2 + 250)
        ));
    }

    #[test]
    fn interleaved_reply_completes_the_previous_exchange() {
        let t1 = Time::from_secs_nanos(1_800_000_000, 0);
        // Previous exchange: T1 (precise), T2 from the server, T4.
        let prev_t2 = t1 + Duration::from_millis(3);
        let prev_t3 = prev_t2 + Duration::from_micros(40);
        let prev_t4 = t1 + Duration::from_millis(2) + Duration::from_micros(40);
        let (req, bytes) = Request::new_interleaved(5, t1, ntp_from_time(prev_t2), prev_t4);
        let sent = Packet::decode(&bytes).unwrap();
        assert_eq!(sent.origin_timestamp, ntp_from_time(prev_t2));
        assert_eq!(sent.receive_timestamp, ntp_from_time(prev_t4));
        // The interleaved answer: origin = our receive field, transmit =
        // the precise T3 of the previous reply.
        let mut p = Packet::new(Mode::Server);
        p.stratum = 1;
        p.origin_timestamp = sent.receive_timestamp;
        p.receive_timestamp = ntp_from_time(t1 + Duration::from_secs(1));
        p.transmit_timestamp = ntp_from_time(prev_t3);
        let mut out = [0u8; 48];
        p.encode(&mut out).unwrap();
        let now = t1 + Duration::from_secs(1);
        let s = req.complete(&out, now, now).unwrap();
        assert!(s.interleaved);
        // Server 2 ms ahead, 1 ms each way (prev_t4 − t1 − processing).
        assert!(
            (s.offset - Duration::from_millis(2)).abs() < Duration::from_nanos(1),
            "{}",
            s.offset
        );
        assert!((s.delay - Duration::from_millis(2)).abs() < Duration::from_nanos(1));
        // A basic answer (origin = cookie) still works.
        let mut b = Packet::new(Mode::Server);
        b.stratum = 1;
        b.origin_timestamp = NtpTimestamp::from_bits(5);
        b.receive_timestamp = ntp_from_time(now);
        b.transmit_timestamp = ntp_from_time(now);
        b.encode(&mut out).unwrap();
        assert!(!req.complete(&out, now, now).unwrap().interleaved);
    }

    #[test]
    fn refuses_what_rfc_5905_refuses() {
        let (req, _) = Request::new(7);
        let t1 = Time::from_secs_nanos(1_800_000_000, 0);
        let t4 = t1 + Duration::from_millis(2);
        let ok = reply(req.cookie, t1, t1, 2);
        assert!(req.complete(&ok, t1, t4).is_ok());
        // Wrong cookie: a stale or forged reply.
        let other = reply(NtpTimestamp::from_bits(8), t1, t1, 2);
        assert_eq!(req.complete(&other, t1, t4), Err(ReplyError::Bogus));
        // Kiss-o'-death RATE.
        let mut kiss = reply(req.cookie, t1, t1, 0);
        kiss[12..16].copy_from_slice(b"RATE");
        assert_eq!(
            req.complete(&kiss, t1, t4),
            Err(ReplyError::Kiss(KissCode::from_bytes(*b"RATE")))
        );
        // Unsynchronised: leap 3.
        let mut unsync = ok;
        unsync[0] |= 0xc0;
        assert_eq!(
            req.complete(&unsync, t1, t4),
            Err(ReplyError::Unsynchronized)
        );
        // A client packet, and garbage.
        let mut client = ok;
        client[0] = (client[0] & !7) | 3;
        assert_eq!(req.complete(&client, t1, t4), Err(ReplyError::NotAReply));
        assert!(matches!(
            req.complete(&ok[..20], t1, t4),
            Err(ReplyError::Malformed(_))
        ));
        // A server too far from its reference (root dispersion 2 s).
        let mut far = ok;
        far[8..12].copy_from_slice(&[0, 2, 0, 0]);
        assert!(matches!(
            req.complete(&far, t1, t4),
            Err(ReplyError::TooDistant(_))
        ));
        // The server held it longer than our round trip: negative delay.
        let neg = reply(req.cookie, t1, t1 + Duration::from_millis(5), 2);
        assert!(matches!(
            req.complete(&neg, t1, t4),
            Err(ReplyError::NegativeDelay(_))
        ));
    }
}
