//! Writing the server's replies to client requests (RFC 5905 §8, §9.2
//! "fast_xmit"), sans-IO: the request check, the basic reply, and the
//! header that [`crate::server::Server`] fills in for basic, interleaved
//! (RFC 9769) and NTS (RFC 8915 §5.7) replies. Nothing here reads a clock
//! or touches a socket.

use tempora_clock::{Duration, Time};

use crate::time::{ntp_from_time, short_from_duration};
use crate::wire::{HEADER_LEN, LeapIndicator, Mode, NtpTimestamp, Packet, ReferenceId};

/// What the server says about its clock (RFC 5905 §7.3 system variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerClock {
    /// Leap indicator: 3 only while the clock is not synchronised.
    pub leap: LeapIndicator,
    /// Stratum: 1 for a primary reference, 16 when unsynchronised.
    pub stratum: u8,
    /// The clock's precision, log2 s.
    pub precision: i8,
    /// Reference id: a four-letter source name at stratum 1 ("PTP",
    /// "LOCL"), the upstream server's address otherwise.
    pub reference_id: ReferenceId,
    /// When the clock was last set or corrected.
    pub reference_time: Time,
    /// Round-trip delay to the primary reference.
    pub root_delay: Duration,
    /// Dispersion to the primary reference.
    pub root_dispersion: Duration,
    /// TAI − UTC in seconds, when the server knows it: NTPv5 clients
    /// asking for TAI get TAI only then (draft-ietf-ntp-ntpv5, "Data
    /// Types": TAI timestamps are UTC's plus this offset).
    pub tai_offset: Option<i16>,
    /// Leap-smeared UTC − UTC now (zero outside a smear), served to NTPv5
    /// clients asking for leap-smeared UTC when the server's `smear` is on.
    pub smear_offset: Duration,
}

impl ServerClock {
    /// An unsynchronised clock (LI 3, stratum 16, RFC 5905 §7.3).
    pub const UNSYNCHRONIZED: ServerClock = ServerClock {
        leap: LeapIndicator::Unsynchronized,
        stratum: 16,
        precision: -20,
        reference_id: ReferenceId(*b"INIT"),
        reference_time: Time::EPOCH,
        root_delay: Duration::ZERO,
        root_dispersion: Duration::ZERO,
        tai_offset: None,
        smear_offset: Duration::ZERO,
    };
}

/// Why a datagram got no reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// It does not decode as NTP.
    Malformed,
    /// Not a client request (mode 3).
    NotARequest,
    /// Version 0 or above 4 (RFC 5905 §9.2 drops those; NTPv5 is
    /// answered elsewhere).
    BadVersion,
    /// The reply does not fit the buffer given.
    BufferTooSmall,
}

/// Whether `request` is a client request this server answers (decodes,
/// mode 3, version 1–4): the check made before access lists and rate
/// limits, so that junk is dropped without touching their state.
pub fn check_request(request: &[u8]) -> Result<Packet<'_>, Ignored> {
    let req = Packet::decode(request).map_err(|_| Ignored::Malformed)?;
    if req.mode != Mode::Client {
        return Err(Ignored::NotARequest);
    }
    if req.version == 0 || req.version > 4 {
        return Err(Ignored::BadVersion);
    }
    Ok(req)
}

/// The reply to `request`, received at `rx` and about to leave at `tx`,
/// written into `out` (48 octets). The reply has the request's version and
/// poll, mode 4, the request's transmit timestamp as origin, and the
/// clock's state; extension fields are not echoed (NTS answers them
/// elsewhere).
#[cfg(test)]
pub(crate) fn respond(
    request: &[u8],
    rx: Time,
    tx: Time,
    clock: &ServerClock,
    out: &mut [u8],
) -> Result<usize, Ignored> {
    let req = check_request(request)?;
    write_reply(
        &req,
        req.transmit_timestamp,
        rx,
        ntp_from_time(tx),
        clock,
        out,
    )
}

/// Writes the reply to the checked request `req` into `out`: mode 4, the
/// request's version and poll, the clock's state, and the three timestamps
/// given (basic mode: origin = the request's transmit timestamp; the
/// interleaved mode of RFC 9769 puts other values there).
pub(crate) fn write_reply(
    req: &Packet<'_>,
    origin: NtpTimestamp,
    rx: Time,
    transmit: NtpTimestamp,
    clock: &ServerClock,
    out: &mut [u8],
) -> Result<usize, Ignored> {
    let mut reply = Packet::new(Mode::Server);
    reply.leap = clock.leap;
    reply.version = req.version;
    reply.stratum = clock.stratum;
    reply.poll = req.poll;
    reply.precision = clock.precision;
    reply.root_delay = short_from_duration(clock.root_delay);
    reply.root_dispersion = short_from_duration(clock.root_dispersion);
    reply.reference_id = clock.reference_id;
    reply.reference_timestamp = if clock.reference_time == Time::EPOCH {
        NtpTimestamp::ZERO
    } else {
        ntp_from_time(clock.reference_time)
    };
    reply.origin_timestamp = origin;
    reply.receive_timestamp = ntp_from_time(rx);
    reply.transmit_timestamp = transmit;
    if out.len() < HEADER_LEN {
        return Err(Ignored::BufferTooSmall);
    }
    reply.encode(out).map_err(|_| Ignored::BufferTooSmall)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Request;

    #[test]
    fn a_client_exchange_with_the_server() {
        let clock = ServerClock {
            leap: LeapIndicator::NoWarning,
            stratum: 1,
            precision: -23,
            reference_id: ReferenceId(*b"PTP\0"),
            reference_time: Time::from_secs_nanos(1_800_000_000, 0),
            root_delay: Duration::ZERO,
            root_dispersion: Duration::from_micros(10),
            ..ServerClock::UNSYNCHRONIZED
        };
        let (req, bytes) = Request::new(42);
        let t1 = Time::from_secs_nanos(1_800_000_100, 0);
        // The server is 2 ms ahead; 1 ms each way; 50 µs inside.
        let rx = t1 + Duration::from_millis(3);
        let tx = rx + Duration::from_micros(50);
        let mut out = [0u8; 64];
        let n = respond(&bytes, rx, tx, &clock, &mut out).unwrap();
        assert_eq!(n, 48);
        let t4 = t1 + Duration::from_micros(2050);
        let s = req.complete(&out[..n], t1, t4).unwrap();
        assert!((s.offset - Duration::from_millis(2)).abs() < Duration::from_nanos(1));
        assert!((s.delay - Duration::from_millis(2)).abs() < Duration::from_nanos(1));
        assert_eq!(s.stratum, 1);
        assert_eq!(s.reference_id.ascii(), Some("PTP"));
        assert_eq!(s.precision, -23);
        let p = Packet::decode(&out[..n]).unwrap();
        assert_eq!(p.version, 4);
        assert_eq!(p.mode, Mode::Server);
    }

    #[test]
    fn ignores_what_is_not_a_request() {
        let c = ServerClock::UNSYNCHRONIZED;
        let t = Time::from_secs_nanos(1_800_000_000, 0);
        let mut out = [0u8; 48];
        let (_, req) = Request::new(1);
        assert_eq!(
            respond(&req[..10], t, t, &c, &mut out),
            Err(Ignored::Malformed)
        );
        let mut server = req;
        server[0] = (server[0] & !7) | 4;
        assert_eq!(
            respond(&server, t, t, &c, &mut out),
            Err(Ignored::NotARequest)
        );
        let mut v5 = req;
        v5[0] = (v5[0] & !0x38) | (5 << 3);
        assert_eq!(respond(&v5, t, t, &c, &mut out), Err(Ignored::BadVersion));
        assert_eq!(
            respond(&req, t, t, &c, &mut [0u8; 47]),
            Err(Ignored::BufferTooSmall)
        );
        // A version-3 request gets a version-3 answer; unsynchronised: LI 3.
        let mut v3 = req;
        v3[0] = (v3[0] & !0x38) | (3 << 3);
        let n = respond(&v3, t, t, &c, &mut out).unwrap();
        let p = Packet::decode(&out[..n]).unwrap();
        assert_eq!(p.version, 3);
        assert_eq!(p.leap, LeapIndicator::Unsynchronized);
        assert_eq!(p.stratum, 16);
    }
}
