//! One NTPv5 client exchange (draft-ietf-ntp-ntpv5, "Client Operation"),
//! sans-IO, mirroring [`crate::exchange`]: build the request (header with a
//! random client cookie, Draft Identification, optionally a Reference IDs
//! Request for one chunk of the server's Bloom filter), then check the
//! reply against it and compute offset and delay from the four timestamps.

use tempora_clock::{Duration, Time};

use super::{
    Builder, Cookie, Draft, Extension, Header, Packet, RefIdsRequest, ServerInfo, Time32, Timescale,
};
use crate::exchange::{MAX_DISTANCE, ReplyError, Sample};
use crate::time::time_from_ntp;
use crate::wire::{Error, KissCode, Mode, ReferenceId};

/// An NTPv5 request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V5Request {
    /// The client cookie the reply must echo.
    pub cookie: Cookie,
    /// The draft spoken.
    pub draft: Draft,
    /// The timescale asked for.
    pub timescale: Timescale,
    /// The Bloom filter chunk asked for: (offset, length).
    pub chunk: Option<(u16, u16)>,
}

/// What a good NTPv5 reply gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct V5Reply<'a> {
    /// The sample, in the reply's timescale (its `reference_id` is zero:
    /// NTPv5 has none in the header).
    pub sample: Sample,
    /// The timescale of the reply's timestamps (UTC when the one asked for
    /// is not served).
    pub timescale: Timescale,
    /// The NTP era of the receive timestamp.
    pub era: u8,
    /// The server cookie (for an interleaved request).
    pub server_cookie: Cookie,
    /// The Bloom filter chunk: (offset asked, octets).
    pub chunk: Option<(u16, &'a [u8])>,
    /// The versions the server announced, if asked.
    pub server_info: Option<ServerInfo>,
}

impl V5Request {
    /// Writes a request into `out`; returns it and its length. `cookie` is
    /// 64 random bits from the caller; `chunk` (offset, length) asks for a
    /// part of the filter (see [`super::RemoteFilter::next_chunk`]).
    ///
    /// Errors: [`Error::BufferTooSmall`], [`Error::FieldOutOfRange`] for a
    /// chunk length outside 2..=512.
    pub fn new(
        cookie: u64,
        draft: Draft,
        timescale: Timescale,
        chunk: Option<(u16, u16)>,
        out: &mut [u8],
    ) -> Result<(V5Request, usize), Error> {
        let cookie = Cookie::from_u64(cookie);
        let mut header = Header::request(cookie);
        header.timescale = timescale;
        let mut b = Builder::new(out, &header)?;
        b.push(&Extension::draft_id(draft), draft)?;
        if let Some((offset, len)) = chunk {
            let req =
                RefIdsRequest::new(offset, usize::from(len)).ok_or(Error::FieldOutOfRange {
                    field: "reference IDs request length",
                })?;
            b.push(&Extension::RefIdsRequest(req), draft)?;
        }
        let request = V5Request {
            cookie,
            draft,
            timescale,
            chunk,
        };
        Ok((request, b.finish()))
    }

    /// Checks `reply`, received at `t4`, against this request sent at `t1`.
    ///
    /// Refused: not NTPv5 or not mode 4 ([`ReplyError::NotAReply`]); another
    /// client cookie or draft, or unset timestamps ([`ReplyError::Bogus`]);
    /// stratum 0 ([`ReplyError::Kiss`]: DENY for poll 127, NTSN for an
    /// authentication NAK, RATE otherwise); not synchronized (flag clear or
    /// stratum ≥ 16); negative delay; root distance beyond MAXDIST.
    pub fn complete<'a>(
        &self,
        reply: &'a [u8],
        t1: Time,
        t4: Time,
    ) -> Result<V5Reply<'a>, ReplyError> {
        let p = match Packet::decode(reply) {
            Ok(p) => p,
            Err(Error::BadValue { field: "version" }) => return Err(ReplyError::NotAReply),
            Err(e) => return Err(ReplyError::Malformed(e)),
        };
        let h = p.header;
        if h.mode != Mode::Server {
            return Err(ReplyError::NotAReply);
        }
        if h.client_cookie != self.cookie || p.draft() != Some(self.draft) {
            return Err(ReplyError::Bogus);
        }
        if h.stratum == 0 {
            return Err(ReplyError::Kiss(kiss_code(&h)));
        }
        if !h.flags.synchronized() || h.stratum >= 16 {
            return Err(ReplyError::Unsynchronized);
        }
        if h.receive_timestamp.is_zero() || h.transmit_timestamp.is_zero() {
            return Err(ReplyError::Bogus);
        }
        let sample = sample(&h, t1, t4)?;
        let (chunk, server_info) = self.fields(&p);
        Ok(V5Reply {
            sample,
            timescale: h.timescale,
            era: h.era,
            server_cookie: h.server_cookie,
            chunk,
            server_info,
        })
    }

    /// The chunk answered (of the length asked for) and Server Information.
    fn fields<'a>(&self, p: &Packet<'a>) -> (Option<(u16, &'a [u8])>, Option<ServerInfo>) {
        let (mut chunk, mut info) = (None, None);
        for (_, ext) in p.extensions(self.draft) {
            match (ext, self.chunk) {
                (Ok(Extension::RefIdsResponse(c)), Some((off, len)))
                    if c.len() == usize::from(len) =>
                {
                    chunk = Some((off, c));
                }
                (Ok(Extension::ServerInfo(i)), _) => info = Some(i),
                _ => {}
            }
        }
        (chunk, info)
    }
}

/// The NTPv4 kiss code an NTPv5 stratum-0 reply stands for.
fn kiss_code(h: &Header) -> KissCode {
    if h.poll == 127 {
        KissCode::Deny
    } else if h.flags.auth_nak() {
        KissCode::Ntsn
    } else {
        KissCode::Rate
    }
}

/// A `time32` as a duration.
fn duration(t: Time32) -> Duration {
    Duration::from_nanos(i64::try_from(t.to_nanos()).unwrap_or(i64::MAX))
}

/// Offset and delay (RFC 5905 §8, unchanged in NTPv5) with the checks of
/// [`crate::exchange::Request::complete`].
fn sample(h: &Header, t1: Time, t4: Time) -> Result<Sample, ReplyError> {
    let t2 = time_from_ntp(h.receive_timestamp, t1);
    let t3 = time_from_ntp(h.transmit_timestamp, t1);
    let offset = ((t2 - t1) + (t3 - t4)) / 2;
    let delay = (t4 - t1) - (t3 - t2);
    if delay.is_negative() {
        return Err(ReplyError::NegativeDelay(delay));
    }
    let root_delay = duration(h.root_delay);
    let root_dispersion = duration(h.root_dispersion);
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
        stratum: h.stratum,
        leap: h.leap,
        version: super::VERSION,
        poll: h.poll,
        precision: h.precision,
        reference_id: ReferenceId([0; 4]),
        root_delay,
        root_dispersion,
        root_distance,
        interleaved: false,
        reply_receive: h.receive_timestamp,
    })
}
