//! The NTP packet: 48-octet header (RFC 5905 §7.3, Figure 8), extension
//! fields (RFC 7822 §3) and optional legacy MAC (RFC 7822 §7).

use super::cursor::{Reader, Writer};
use super::extension::{ExtensionFieldIter, ExtensionFields, ExtensionKind, scan};
use super::{
    Error, KissCode, LeapIndicator, Mac, Mode, NtpShort, NtpTimestamp, NtsAuthenticator,
    ReferenceId,
};

/// Length of the fixed NTP header (RFC 5905 §7.3).
pub const HEADER_LEN: usize = 48;

/// An NTP packet (RFC 5905 §7.3, Figure 8) borrowing its variable-length
/// parts from the decoded buffer.
///
/// ```text
/// LI(2) VN(3) Mode(3) | Stratum | Poll | Precision
/// Root Delay (16.16) | Root Dispersion (16.16) | Reference ID
/// Reference, Origin, Receive, Transmit Timestamps (64 bits each)
/// Extension fields (RFC 7822) ... | optional legacy MAC
/// ```
///
/// Modes 6 (control) and 7 (private) use other layouts; for them only the
/// first octet is decoded (`leap`, `version`, `mode`) and everything after
/// it is kept in [`Packet::raw_body`]. The header fields are then zero and
/// ignored by [`Packet::encode`]. (In mode 7 the two bits read as `leap`
/// are ntpd's response and more bits.)
///
/// Every input that decodes re-encodes byte for byte: nothing is
/// normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Packet<'a> {
    /// Leap indicator (RFC 5905 §7.3, Figure 9).
    pub leap: LeapIndicator,
    /// Version number, 3 bits (4 for NTPv4). Any value 0–7 decodes.
    pub version: u8,
    /// Association mode (RFC 5905 §7.3, Figure 10).
    pub mode: Mode,
    /// Stratum: 0 unspecified / kiss-o'-death, 1 primary, 2–15 secondary,
    /// 16 unsynchronized (RFC 5905 §7.3, Figure 11).
    pub stratum: u8,
    /// Maximum poll interval, log2 seconds.
    pub poll: i8,
    /// Clock precision, log2 seconds.
    pub precision: i8,
    /// Total round-trip delay to the reference clock.
    pub root_delay: NtpShort,
    /// Total dispersion to the reference clock.
    pub root_dispersion: NtpShort,
    /// Reference identifier (RFC 5905 §7.3; see [`ReferenceId::interpret`]).
    pub reference_id: ReferenceId,
    /// Time when the system clock was last set or corrected.
    pub reference_timestamp: NtpTimestamp,
    /// Client time of the request (T1), copied by the server.
    pub origin_timestamp: NtpTimestamp,
    /// Server time the request arrived (T2).
    pub receive_timestamp: NtpTimestamp,
    /// Time the packet left its sender (T3).
    pub transmit_timestamp: NtpTimestamp,
    /// Extension fields following the header (RFC 7822 §3).
    ///
    /// When building a packet without a MAC, make the last field at least
    /// 28 octets (RFC 7822 §3): a last field of exactly 20 or 24 octets
    /// would be read back as a legacy MAC (RFC 7822 §7).
    pub extension_fields: ExtensionFields<'a>,
    /// Legacy MAC at the end of the packet (RFC 7822 §7).
    pub mac: Option<Mac<'a>>,
    /// For modes 6 and 7: every octet after the first, verbatim. When
    /// `Some`, [`Packet::encode`] writes the first octet and these bytes
    /// only.
    pub raw_body: Option<&'a [u8]>,
}

impl Packet<'static> {
    /// A packet of the given mode with version 4, no leap warning, all
    /// other header fields zero and no extension fields or MAC.
    pub const fn new(mode: Mode) -> Self {
        Packet {
            leap: LeapIndicator::NoWarning,
            version: 4,
            mode,
            stratum: 0,
            poll: 0,
            precision: 0,
            root_delay: NtpShort::ZERO,
            root_dispersion: NtpShort::ZERO,
            reference_id: ReferenceId([0; 4]),
            reference_timestamp: NtpTimestamp::ZERO,
            origin_timestamp: NtpTimestamp::ZERO,
            receive_timestamp: NtpTimestamp::ZERO,
            transmit_timestamp: NtpTimestamp::ZERO,
            extension_fields: ExtensionFields::EMPTY,
            mac: None,
            raw_body: None,
        }
    }
}

impl<'a> Packet<'a> {
    /// Decodes a UDP payload.
    ///
    /// Errors: [`Error::Truncated`] when shorter than 1 octet, or than the
    /// 48-octet header in modes 0–5; [`Error::BadExtensionLength`],
    /// [`Error::ExtensionOverrun`] or [`Error::TrailingBytes`] when the
    /// bytes after the header are neither extension fields nor a MAC
    /// (RFC 7822 §7: a remainder of exactly 4, 20 or 24 octets is a MAC).
    pub fn decode(buf: &'a [u8]) -> Result<Packet<'a>, Error> {
        let mut r = Reader::new(buf);
        let first = r.u8()?;
        let mut p = Packet::new(Mode::from_bits(first));
        p.leap = LeapIndicator::from_bits(first >> 6);
        p.version = (first >> 3) & 0b111;
        if !p.mode.has_ntp_header() {
            p.raw_body = Some(r.rest());
            return Ok(p);
        }
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated {
                needed: HEADER_LEN,
                available: buf.len(),
            });
        }
        p.stratum = r.u8()?;
        p.poll = i8::from_be_bytes(r.array()?);
        p.precision = i8::from_be_bytes(r.array()?);
        p.root_delay = NtpShort::from_bits(r.u32()?);
        p.root_dispersion = NtpShort::from_bits(r.u32()?);
        p.reference_id = ReferenceId(r.array()?);
        p.reference_timestamp = NtpTimestamp::from_bits(u64::from_be_bytes(r.array()?));
        p.origin_timestamp = NtpTimestamp::from_bits(u64::from_be_bytes(r.array()?));
        p.receive_timestamp = NtpTimestamp::from_bits(u64::from_be_bytes(r.array()?));
        p.transmit_timestamp = NtpTimestamp::from_bits(u64::from_be_bytes(r.array()?));
        let (fields, mac) = scan(r.rest(), HEADER_LEN, true)?;
        p.extension_fields = ExtensionFields::from_validated(fields);
        p.mac = mac;
        Ok(p)
    }

    /// Number of octets [`Packet::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        match self.raw_body {
            Some(raw) => raw.len().saturating_add(1),
            None => HEADER_LEN
                .saturating_add(self.extension_fields.as_bytes().len())
                .saturating_add(self.mac.map_or(0, |m| m.encoded_len())),
        }
    }

    /// The first header octet: LI, VN and Mode.
    fn first_octet(&self) -> Result<u8, Error> {
        if self.version > 7 {
            return Err(Error::FieldOutOfRange { field: "version" });
        }
        Ok((self.leap.to_bits() << 6) | (self.version << 3) | self.mode.to_bits())
    }

    /// Encodes into the start of `buf`; returns the number of octets
    /// written ([`Packet::encoded_len`]).
    ///
    /// Errors: [`Error::BufferTooSmall`], or [`Error::FieldOutOfRange`]
    /// for a version above 7.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let first = self.first_octet()?;
        let mut w = Writer::new(buf);
        w.ensure(self.encoded_len())?;
        w.u8(first)?;
        if let Some(raw) = self.raw_body {
            w.bytes(raw)?;
            return Ok(w.position());
        }
        w.u8(self.stratum)?;
        w.bytes(&self.poll.to_be_bytes())?;
        w.bytes(&self.precision.to_be_bytes())?;
        w.u32(self.root_delay.to_bits())?;
        w.u32(self.root_dispersion.to_bits())?;
        w.bytes(&self.reference_id.0)?;
        for ts in [
            self.reference_timestamp,
            self.origin_timestamp,
            self.receive_timestamp,
            self.transmit_timestamp,
        ] {
            w.bytes(&ts.to_bits().to_be_bytes())?;
        }
        w.bytes(self.extension_fields.as_bytes())?;
        if let Some(mac) = self.mac {
            w.bytes(&mac.key_id().to_be_bytes())?;
            w.bytes(mac.digest())?;
        }
        Ok(w.position())
    }

    /// Iterates over the extension fields (RFC 7822 §3).
    pub fn extensions(&self) -> ExtensionFieldIter<'a> {
        self.extension_fields.iter()
    }

    /// The kiss code when this is a kiss-o'-death packet (stratum 0 in a
    /// mode with the NTP header, RFC 5905 §7.4).
    pub fn kiss_code(&self) -> Option<KissCode> {
        (self.stratum == 0 && self.raw_body.is_none()).then(|| self.reference_id.kiss_code())
    }

    /// The first NTS Authenticator and Encrypted Extension Fields field
    /// (RFC 8915 §5.6), with its offset from the start of the packet: the
    /// octets before that offset are the AEAD associated data.
    pub fn nts_authenticator(&self) -> Option<(usize, Result<NtsAuthenticator<'a>, Error>)> {
        let mut it = self.extensions();
        loop {
            let offset = HEADER_LEN.saturating_add(it.offset());
            let field = it.next()?;
            if field.kind() == ExtensionKind::NtsAuthenticatorAndEncrypted {
                return Some((offset, NtsAuthenticator::decode(field.body)));
            }
        }
    }
}
