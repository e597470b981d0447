//! NTS Key Establishment protocol records (RFC 8915 §4, Figure 1 and
//! §4.1): the TLV records exchanged over TLS on port 4460.
//!
//! ```text
//! C(1) Record Type(15) | Body Length (16)
//! Record Body (Body Length octets)
//! ```

use core::fmt;

use super::Error;
use super::cursor::{Reader, Writer};

/// Length of a record header (RFC 8915 §4).
pub const RECORD_HEADER_LEN: usize = 4;

/// Record type numbers (RFC 8915 §4.1 and §7.6).
pub mod record_type {
    /// End of Message (RFC 8915 §4.1.1).
    pub const END_OF_MESSAGE: u16 = 0;
    /// NTS Next Protocol Negotiation (RFC 8915 §4.1.2).
    pub const NEXT_PROTOCOL: u16 = 1;
    /// Error (RFC 8915 §4.1.3).
    pub const ERROR: u16 = 2;
    /// Warning (RFC 8915 §4.1.4).
    pub const WARNING: u16 = 3;
    /// AEAD Algorithm Negotiation (RFC 8915 §4.1.5).
    pub const AEAD_ALGORITHM: u16 = 4;
    /// New Cookie for NTPv4 (RFC 8915 §4.1.6).
    pub const NEW_COOKIE: u16 = 5;
    /// NTPv4 Server Negotiation (RFC 8915 §4.1.7).
    pub const SERVER: u16 = 6;
    /// NTPv4 Port Negotiation (RFC 8915 §4.1.8).
    pub const PORT: u16 = 7;
}

/// A list of 16-bit values in a record body (Next Protocol and AEAD
/// Algorithm Negotiation, RFC 8915 §4.1.2 and §4.1.5).
///
/// Decoded lists borrow the raw body, so an odd-length body (a malformed
/// trailing octet) still round-trips; lists built for sending can borrow a
/// `[u16]`. Equality compares the wire bytes.
#[derive(Clone, Copy)]
pub struct U16List<'a>(ListRepr<'a>);

#[derive(Clone, Copy)]
enum ListRepr<'a> {
    Raw(&'a [u8]),
    Values(&'a [u16]),
}

impl<'a> U16List<'a> {
    /// A list over raw big-endian body bytes (any length).
    pub const fn from_bytes(bytes: &'a [u8]) -> Self {
        U16List(ListRepr::Raw(bytes))
    }

    /// A list of values, for encoding.
    pub const fn from_values(values: &'a [u16]) -> Self {
        U16List(ListRepr::Values(values))
    }

    /// Encoded length in octets.
    pub const fn byte_len(&self) -> usize {
        match self.0 {
            ListRepr::Raw(b) => b.len(),
            ListRepr::Values(v) => v.len().saturating_mul(2),
        }
    }

    /// Whether the raw body has an odd trailing octet (not a valid list).
    pub const fn has_trailing_octet(&self) -> bool {
        self.byte_len() % 2 == 1
    }

    /// Iterates over the values (a trailing odd octet is skipped).
    pub fn iter(&self) -> U16ListIter<'a> {
        U16ListIter {
            list: self.0,
            pos: 0,
        }
    }

    /// Whether `value` is in the list.
    pub fn contains(&self, value: u16) -> bool {
        self.iter().any(|v| v == value)
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        match self.0 {
            ListRepr::Raw(b) => w.bytes(b),
            ListRepr::Values(v) => v.iter().try_for_each(|&x| w.u16(x)),
        }
    }

    fn wire_eq(&self, other: &Self) -> bool {
        if self.byte_len() != other.byte_len() {
            return false;
        }
        let trailing = |l: &Self| match l.0 {
            ListRepr::Raw(b) if b.len() % 2 == 1 => b.last().copied(),
            _ => None,
        };
        self.iter().eq(other.iter()) && trailing(self) == trailing(other)
    }
}

impl PartialEq for U16List<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.wire_eq(other)
    }
}

impl Eq for U16List<'_> {}

impl fmt::Debug for U16List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_list();
        l.entries(self.iter());
        if let ListRepr::Raw(b) = self.0 {
            if b.len() % 2 == 1 {
                l.entry(&format_args!(
                    "trailing octet {:#04x}",
                    b.last().copied().unwrap_or(0)
                ));
            }
        }
        l.finish()
    }
}

impl<'a> IntoIterator for U16List<'a> {
    type Item = u16;
    type IntoIter = U16ListIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over a [`U16List`].
#[derive(Clone)]
pub struct U16ListIter<'a> {
    list: ListRepr<'a>,
    pos: usize,
}

impl Iterator for U16ListIter<'_> {
    type Item = u16;
    fn next(&mut self) -> Option<u16> {
        let v = match self.list {
            ListRepr::Raw(b) => {
                let end = self.pos.checked_add(2)?;
                let pair = b.get(self.pos..end)?;
                u16::from_be_bytes([*pair.first()?, *pair.get(1)?])
            }
            ListRepr::Values(v) => *v.get(self.pos / 2)?,
        };
        self.pos = self.pos.saturating_add(2);
        Some(v)
    }
}

impl fmt::Debug for U16ListIter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("U16ListIter")
            .field("pos", &self.pos)
            .finish()
    }
}

/// Next protocol identifiers (RFC 8915 §4.1.2, §7.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextProtocol {
    /// 0: NTPv4.
    Ntpv4,
    /// 0x8001: draft NTPv5 (draft-ietf-ntp-ntpv5). The draft asks IANA for
    /// an NTPv5 protocol ID that is not assigned yet; 0x8001, from the
    /// range reserved for private or experimental use (RFC 8915 §7.7), is
    /// the one ntpd-rs 1.9 negotiates for its draft NTPv5.
    DraftNtpv5,
    /// Any other protocol ID.
    Other(u16),
}

impl NextProtocol {
    /// Classifies a protocol ID.
    pub const fn from_u16(v: u16) -> Self {
        match v {
            0 => NextProtocol::Ntpv4,
            0x8001 => NextProtocol::DraftNtpv5,
            other => NextProtocol::Other(other),
        }
    }

    /// The protocol ID.
    pub const fn to_u16(self) -> u16 {
        match self {
            NextProtocol::Ntpv4 => 0,
            NextProtocol::DraftNtpv5 => 0x8001,
            NextProtocol::Other(v) => v,
        }
    }
}

/// AEAD algorithm identifiers from the IANA "AEAD Algorithms" registry
/// used by NTS (RFC 8915 §4.1.5, RFC 5297, RFC 8452).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AeadAlgorithm {
    /// 15: AEAD_AES_SIV_CMAC_256 (mandatory to implement).
    AesSivCmac256,
    /// 16: AEAD_AES_SIV_CMAC_384.
    AesSivCmac384,
    /// 17: AEAD_AES_SIV_CMAC_512.
    AesSivCmac512,
    /// 30: AEAD_AES_128_GCM_SIV.
    Aes128GcmSiv,
    /// 31: AEAD_AES_256_GCM_SIV.
    Aes256GcmSiv,
    /// Any other algorithm ID.
    Other(u16),
}

impl AeadAlgorithm {
    /// Classifies an algorithm ID.
    pub const fn from_u16(v: u16) -> Self {
        match v {
            15 => AeadAlgorithm::AesSivCmac256,
            16 => AeadAlgorithm::AesSivCmac384,
            17 => AeadAlgorithm::AesSivCmac512,
            30 => AeadAlgorithm::Aes128GcmSiv,
            31 => AeadAlgorithm::Aes256GcmSiv,
            other => AeadAlgorithm::Other(other),
        }
    }

    /// The algorithm ID.
    pub const fn to_u16(self) -> u16 {
        match self {
            AeadAlgorithm::AesSivCmac256 => 15,
            AeadAlgorithm::AesSivCmac384 => 16,
            AeadAlgorithm::AesSivCmac512 => 17,
            AeadAlgorithm::Aes128GcmSiv => 30,
            AeadAlgorithm::Aes256GcmSiv => 31,
            AeadAlgorithm::Other(v) => v,
        }
    }
}

/// Error codes of the Error record (RFC 8915 §4.1.3, §7.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 0: Unrecognized Critical Record.
    UnrecognizedCriticalRecord,
    /// 1: Bad Request.
    BadRequest,
    /// 2: Internal Server Error.
    InternalServerError,
    /// Any other code.
    Other(u16),
}

impl ErrorCode {
    /// Classifies an error code.
    pub const fn from_u16(v: u16) -> Self {
        match v {
            0 => ErrorCode::UnrecognizedCriticalRecord,
            1 => ErrorCode::BadRequest,
            2 => ErrorCode::InternalServerError,
            other => ErrorCode::Other(other),
        }
    }

    /// The error code.
    pub const fn to_u16(self) -> u16 {
        match self {
            ErrorCode::UnrecognizedCriticalRecord => 0,
            ErrorCode::BadRequest => 1,
            ErrorCode::InternalServerError => 2,
            ErrorCode::Other(v) => v,
        }
    }
}

/// The typed body of an NTS-KE record (RFC 8915 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordBody<'a> {
    /// Type 0, empty body (RFC 8915 §4.1.1).
    EndOfMessage,
    /// Type 1: protocol IDs, see [`NextProtocol`] (RFC 8915 §4.1.2).
    NextProtocol(U16List<'a>),
    /// Type 2: a 16-bit error code (RFC 8915 §4.1.3).
    Error(ErrorCode),
    /// Type 3: a 16-bit warning code (RFC 8915 §4.1.4).
    Warning(u16),
    /// Type 4: AEAD algorithm IDs, see [`AeadAlgorithm`]
    /// (RFC 8915 §4.1.5).
    AeadAlgorithm(U16List<'a>),
    /// Type 5: an opaque cookie (RFC 8915 §4.1.6).
    NewCookie(&'a [u8]),
    /// Type 6: server name or address, ASCII (RFC 8915 §4.1.7).
    Server(&'a [u8]),
    /// Type 7: UDP port (RFC 8915 §4.1.8).
    Port(u16),
    /// Any other record type (15 bits), with its raw body.
    Unknown {
        /// The record type, at most 0x7fff.
        record_type: u16,
        /// The raw body.
        body: &'a [u8],
    },
}

impl RecordBody<'_> {
    /// The 15-bit record type.
    pub const fn record_type(&self) -> u16 {
        match self {
            RecordBody::EndOfMessage => record_type::END_OF_MESSAGE,
            RecordBody::NextProtocol(_) => record_type::NEXT_PROTOCOL,
            RecordBody::Error(_) => record_type::ERROR,
            RecordBody::Warning(_) => record_type::WARNING,
            RecordBody::AeadAlgorithm(_) => record_type::AEAD_ALGORITHM,
            RecordBody::NewCookie(_) => record_type::NEW_COOKIE,
            RecordBody::Server(_) => record_type::SERVER,
            RecordBody::Port(_) => record_type::PORT,
            RecordBody::Unknown { record_type, .. } => *record_type,
        }
    }

    /// Encoded body length.
    pub const fn len(&self) -> usize {
        match self {
            RecordBody::EndOfMessage => 0,
            RecordBody::Error(_) | RecordBody::Warning(_) | RecordBody::Port(_) => 2,
            RecordBody::NextProtocol(l) | RecordBody::AeadAlgorithm(l) => l.byte_len(),
            RecordBody::NewCookie(b)
            | RecordBody::Server(b)
            | RecordBody::Unknown { body: b, .. } => b.len(),
        }
    }

    /// Whether the encoded body is empty.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One NTS-KE record (RFC 8915 §4, Figure 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The critical bit: the receiver must understand the record.
    pub critical: bool,
    /// Type and body.
    pub body: RecordBody<'a>,
}

impl<'a> Record<'a> {
    /// Decodes the record at the start of `buf`; returns it and the number
    /// of octets it occupies.
    ///
    /// Errors: [`Error::Truncated`] when the header or body is cut short;
    /// [`Error::BadRecordLength`] when an End of Message body is not empty
    /// or an Error, Warning or Port body is not 2 octets.
    pub fn decode(buf: &'a [u8]) -> Result<(Record<'a>, usize), Error> {
        let mut r = Reader::new(buf);
        let head = r.u16()?;
        let length = r.u16()?;
        let body = r.bytes(usize::from(length))?;
        let critical = head & 0x8000 != 0;
        let rtype = head & 0x7fff;
        let bad = Error::BadRecordLength {
            record_type: rtype,
            length,
        };
        let two = |b: &[u8]| match b {
            [x, y] => Ok(u16::from_be_bytes([*x, *y])),
            _ => Err(bad),
        };
        let body = match rtype {
            record_type::END_OF_MESSAGE if body.is_empty() => RecordBody::EndOfMessage,
            record_type::END_OF_MESSAGE => return Err(bad),
            record_type::NEXT_PROTOCOL => RecordBody::NextProtocol(U16List::from_bytes(body)),
            record_type::ERROR => RecordBody::Error(ErrorCode::from_u16(two(body)?)),
            record_type::WARNING => RecordBody::Warning(two(body)?),
            record_type::AEAD_ALGORITHM => RecordBody::AeadAlgorithm(U16List::from_bytes(body)),
            record_type::NEW_COOKIE => RecordBody::NewCookie(body),
            record_type::SERVER => RecordBody::Server(body),
            record_type::PORT => RecordBody::Port(two(body)?),
            other => RecordBody::Unknown {
                record_type: other,
                body,
            },
        };
        Ok((Record { critical, body }, r.position()))
    }

    /// The 15-bit record type.
    pub const fn record_type(&self) -> u16 {
        self.body.record_type()
    }

    /// Number of octets [`Record::encode`] writes.
    pub const fn encoded_len(&self) -> usize {
        RECORD_HEADER_LEN.saturating_add(self.body.len())
    }

    /// Encodes the record into the start of `buf`; returns its length.
    ///
    /// Errors: [`Error::BufferTooSmall`]; [`Error::FieldOutOfRange`] when
    /// an unknown record type exceeds 15 bits or the body exceeds 65535
    /// octets.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let rtype = self.record_type();
        if rtype > 0x7fff {
            return Err(Error::FieldOutOfRange {
                field: "record_type",
            });
        }
        let length = u16::try_from(self.body.len()).map_err(|_| Error::FieldOutOfRange {
            field: "record body",
        })?;
        let mut w = Writer::new(buf);
        w.ensure(self.encoded_len())?;
        w.u16(rtype | if self.critical { 0x8000 } else { 0 })?;
        w.u16(length)?;
        match self.body {
            RecordBody::EndOfMessage => {}
            RecordBody::NextProtocol(l) | RecordBody::AeadAlgorithm(l) => l.write(&mut w)?,
            RecordBody::Error(code) => w.u16(code.to_u16())?,
            RecordBody::Warning(v) | RecordBody::Port(v) => w.u16(v)?,
            RecordBody::NewCookie(b)
            | RecordBody::Server(b)
            | RecordBody::Unknown { body: b, .. } => w.bytes(b)?,
        }
        Ok(w.position())
    }
}

/// Iterator over the records in a byte buffer (RFC 8915 §4). Yields an
/// error once and then stops if a record fails to decode.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Records<'a> {
    /// Iterates over the records in `buf`.
    pub const fn new(buf: &'a [u8]) -> Self {
        Records { rest: buf }
    }

    /// The bytes not consumed yet.
    pub const fn remaining(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Record::decode(self.rest) {
            Ok((rec, used)) => {
                self.rest = self.rest.get(used..).unwrap_or(&[]);
                Some(Ok(rec))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for Records<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(bytes: &[u8]) -> Record<'_> {
        let (rec, used) = Record::decode(bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(rec.encoded_len(), bytes.len());
        let mut out = [0u8; 64];
        assert_eq!(rec.encode(&mut out), Ok(bytes.len()));
        assert_eq!(&out[..bytes.len()], bytes);
        rec
    }

    #[test]
    fn typed_records() {
        // A typical client request (RFC 8915 §4): Next Protocol NTPv4,
        // AEAD AES-SIV-CMAC-256, End of Message, all critical.
        let req = [
            0x80, 0x01, 0x00, 0x02, 0x00, 0x00, // next protocol [0]
            0x80, 0x04, 0x00, 0x04, 0x00, 0x0f, 0x00, 0x1e, // aead [15, 30]
            0x80, 0x00, 0x00, 0x00, // end of message
        ];
        let recs: [Record<'_>; 3] = {
            let mut it = Records::new(&req).map(Result::unwrap);
            [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()]
        };
        assert!(recs.iter().all(|r| r.critical));
        match recs[0].body {
            RecordBody::NextProtocol(l) => {
                assert_eq!(
                    l.iter().map(NextProtocol::from_u16).next(),
                    Some(NextProtocol::Ntpv4)
                );
                assert!(l.contains(0));
                assert!(!l.has_trailing_octet());
            }
            other => panic!("{other:?}"),
        }
        match recs[1].body {
            RecordBody::AeadAlgorithm(l) => {
                let mut it = l.iter().map(AeadAlgorithm::from_u16);
                assert_eq!(it.next(), Some(AeadAlgorithm::AesSivCmac256));
                assert_eq!(it.next(), Some(AeadAlgorithm::Aes128GcmSiv));
                assert_eq!(it.next(), None);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(recs[2].body, RecordBody::EndOfMessage);
        assert_eq!(Records::new(&req).count(), 3);
        for r in [&req[..6], &req[6..14], &req[14..]] {
            round_trip(r);
        }

        let rec = round_trip(&[0x80, 0x02, 0x00, 0x02, 0x00, 0x01]);
        assert_eq!(rec.body, RecordBody::Error(ErrorCode::BadRequest));
        let rec = round_trip(&[0x00, 0x03, 0x00, 0x02, 0x12, 0x34]);
        assert_eq!(rec.body, RecordBody::Warning(0x1234));
        assert!(!rec.critical);
        let rec = round_trip(&[0x00, 0x05, 0x00, 0x03, 1, 2, 3]);
        assert_eq!(rec.body, RecordBody::NewCookie(&[1, 2, 3]));
        let rec = round_trip(b"\x00\x06\x00\x0bexample.org");
        assert_eq!(rec.body, RecordBody::Server(b"example.org"));
        let rec = round_trip(&[0x00, 0x07, 0x00, 0x02, 0x00, 0x7b]);
        assert_eq!(rec.body, RecordBody::Port(123));
        let rec = round_trip(&[0xc0, 0x00, 0x00, 0x01, 0xee]);
        assert_eq!(
            rec.body,
            RecordBody::Unknown {
                record_type: 0x4000,
                body: &[0xee]
            }
        );
        assert_eq!(rec.record_type(), 0x4000);
        for (code, v) in [
            (ErrorCode::UnrecognizedCriticalRecord, 0),
            (ErrorCode::BadRequest, 1),
            (ErrorCode::InternalServerError, 2),
            (ErrorCode::Other(9), 9),
        ] {
            assert_eq!(ErrorCode::from_u16(v), code);
            assert_eq!(code.to_u16(), v);
        }
        for v in [15u16, 16, 17, 30, 31, 1] {
            assert_eq!(AeadAlgorithm::from_u16(v).to_u16(), v);
        }
        assert_eq!(NextProtocol::Other(5).to_u16(), 5);
        assert_eq!(NextProtocol::from_u16(0x8001), NextProtocol::DraftNtpv5);
        assert_eq!(NextProtocol::DraftNtpv5.to_u16(), 0x8001);
    }

    #[test]
    fn odd_lists_round_trip() {
        let rec = round_trip(&[0x80, 0x04, 0x00, 0x03, 0x00, 0x0f, 0x10]);
        match rec.body {
            RecordBody::AeadAlgorithm(l) => {
                assert!(l.has_trailing_octet());
                assert_eq!(l.iter().count(), 1);
                assert_ne!(l, U16List::from_bytes(&[0x00, 0x0f, 0x11]));
                assert_ne!(l, U16List::from_values(&[15]));
            }
            other => panic!("{other:?}"),
        }
        round_trip(&[0x80, 0x01, 0x00, 0x01, 0x00]);
    }

    #[test]
    fn built_from_values() {
        let rec = Record {
            critical: true,
            body: RecordBody::AeadAlgorithm(U16List::from_values(&[15, 17])),
        };
        let mut out = [0u8; 8];
        assert_eq!(rec.encode(&mut out), Ok(8));
        assert_eq!(out, [0x80, 0x04, 0x00, 0x04, 0x00, 0x0f, 0x00, 0x11]);
        let (back, _) = Record::decode(&out).unwrap();
        assert_eq!(back, rec);
        assert_eq!(
            rec.encode(&mut out[..7]),
            Err(Error::BufferTooSmall {
                needed: 8,
                available: 7
            })
        );
        let bad = Record {
            critical: false,
            body: RecordBody::Unknown {
                record_type: 0x8000,
                body: &[],
            },
        };
        assert_eq!(
            bad.encode(&mut out),
            Err(Error::FieldOutOfRange {
                field: "record_type"
            })
        );
    }

    #[test]
    fn errors() {
        let full = [0x80, 0x07, 0x00, 0x02, 0x00, 0x7b];
        for n in 0..full.len() {
            let needed = if n < 4 { if n < 2 { 2 } else { 4 } } else { 6 };
            assert_eq!(
                Record::decode(&full[..n]),
                Err(Error::Truncated {
                    needed,
                    available: n
                }),
                "{n}"
            );
        }
        assert_eq!(
            Record::decode(&[0x80, 0x00, 0x00, 0x01, 0x00]),
            Err(Error::BadRecordLength {
                record_type: 0,
                length: 1
            })
        );
        for t in [2u8, 3, 7] {
            for len in [0u8, 1, 3] {
                let mut b = [0u8; 7];
                b[1] = t;
                b[3] = len;
                assert_eq!(
                    Record::decode(&b[..4 + usize::from(len)]),
                    Err(Error::BadRecordLength {
                        record_type: u16::from(t),
                        length: u16::from(len)
                    })
                );
            }
        }
        // The iterator yields the error once, then stops.
        let stream = [0x80, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00];
        let mut it = Records::new(&stream);
        assert!(matches!(it.next(), Some(Ok(_))));
        assert_eq!(it.remaining(), &stream[4..]);
        assert!(matches!(it.next(), Some(Err(Error::Truncated { .. }))));
        assert!(it.next().is_none());
    }
}
