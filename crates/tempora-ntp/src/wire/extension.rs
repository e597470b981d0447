//! NTPv4 extension fields (RFC 7822 §3, RFC 5905 §7.5) and the field
//! types registered for NTS (RFC 8915 §5.7 and §7.5, IANA "NTP Extension
//! Field Types").

use core::fmt;

use super::cursor::{Reader, Writer, pad4};
use super::{Error, Mac};

/// Length of an extension field header: field type and length (RFC 7822 §3).
pub const EXTENSION_HEADER_LEN: usize = 4;

/// Minimum length of an extension field, header included (RFC 7822 §3).
pub const MIN_EXTENSION_FIELD_LEN: usize = 16;

/// Field types of the extension fields defined by RFC 8915 §5.7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExtensionKind {
    /// 0x0104: Unique Identifier (RFC 8915 §5.3).
    UniqueIdentifier,
    /// 0x0204: NTS Cookie (RFC 8915 §5.4).
    NtsCookie,
    /// 0x0304: NTS Cookie Placeholder (RFC 8915 §5.5).
    NtsCookiePlaceholder,
    /// 0x0404: NTS Authenticator and Encrypted Extension Fields
    /// (RFC 8915 §5.6).
    NtsAuthenticatorAndEncrypted,
    /// Any other field type, kept verbatim.
    Unknown(u16),
}

impl ExtensionKind {
    /// Wire value of [`ExtensionKind::UniqueIdentifier`].
    pub const UNIQUE_IDENTIFIER: u16 = 0x0104;
    /// Wire value of [`ExtensionKind::NtsCookie`].
    pub const NTS_COOKIE: u16 = 0x0204;
    /// Wire value of [`ExtensionKind::NtsCookiePlaceholder`].
    pub const NTS_COOKIE_PLACEHOLDER: u16 = 0x0304;
    /// Wire value of [`ExtensionKind::NtsAuthenticatorAndEncrypted`].
    pub const NTS_AUTHENTICATOR: u16 = 0x0404;

    /// Classifies a field type.
    pub const fn from_u16(field_type: u16) -> Self {
        match field_type {
            Self::UNIQUE_IDENTIFIER => ExtensionKind::UniqueIdentifier,
            Self::NTS_COOKIE => ExtensionKind::NtsCookie,
            Self::NTS_COOKIE_PLACEHOLDER => ExtensionKind::NtsCookiePlaceholder,
            Self::NTS_AUTHENTICATOR => ExtensionKind::NtsAuthenticatorAndEncrypted,
            other => ExtensionKind::Unknown(other),
        }
    }

    /// The field type wire value.
    pub const fn to_u16(self) -> u16 {
        match self {
            ExtensionKind::UniqueIdentifier => Self::UNIQUE_IDENTIFIER,
            ExtensionKind::NtsCookie => Self::NTS_COOKIE,
            ExtensionKind::NtsCookiePlaceholder => Self::NTS_COOKIE_PLACEHOLDER,
            ExtensionKind::NtsAuthenticatorAndEncrypted => Self::NTS_AUTHENTICATOR,
            ExtensionKind::Unknown(v) => v,
        }
    }
}

impl fmt::Display for ExtensionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtensionKind::UniqueIdentifier => f.write_str("Unique Identifier"),
            ExtensionKind::NtsCookie => f.write_str("NTS Cookie"),
            ExtensionKind::NtsCookiePlaceholder => f.write_str("NTS Cookie Placeholder"),
            ExtensionKind::NtsAuthenticatorAndEncrypted => {
                f.write_str("NTS Authenticator and Encrypted Extension Fields")
            }
            ExtensionKind::Unknown(v) => write!(f, "unknown ({v:#06x})"),
        }
    }
}

/// One extension field (RFC 7822 §3, Figure 1).
///
/// `body` is everything after the 4-octet header up to the length given in
/// the header, padding included, so a decoded field re-encodes exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtensionField<'a> {
    /// The 16-bit field type.
    pub field_type: u16,
    /// The value and its padding.
    pub body: &'a [u8],
}

impl<'a> ExtensionField<'a> {
    /// Builds a field from a type and a body.
    pub const fn new(field_type: u16, body: &'a [u8]) -> Self {
        ExtensionField { field_type, body }
    }

    /// The typed field type (RFC 8915 §5.7).
    pub const fn kind(&self) -> ExtensionKind {
        ExtensionKind::from_u16(self.field_type)
    }

    /// Decodes one extension field at the start of `buf`, returning it and
    /// the number of octets it occupies.
    ///
    /// Enforces RFC 7822 §3: length at least 16, a multiple of 4, and
    /// within `buf`.
    pub fn decode(buf: &'a [u8]) -> Result<(Self, usize), Error> {
        Self::decode_at(buf, 0)
    }

    pub(crate) fn decode_at(buf: &'a [u8], offset: usize) -> Result<(Self, usize), Error> {
        let mut r = Reader::new(buf);
        let field_type = r.u16().map_err(|e| shift(e, offset))?;
        let length = r.u16().map_err(|e| shift(e, offset))?;
        let len = usize::from(length);
        if len < MIN_EXTENSION_FIELD_LEN || len % 4 != 0 {
            return Err(Error::BadExtensionLength { offset, length });
        }
        let body = r
            .bytes(len.saturating_sub(EXTENSION_HEADER_LEN))
            .map_err(|_| Error::ExtensionOverrun {
                offset,
                length,
                available: buf.len(),
            })?;
        Ok((ExtensionField { field_type, body }, len))
    }

    /// Length of the encoded field: the header plus the body, zero-padded
    /// to a multiple of 4 and to at least 16 octets (RFC 7822 §3). For a
    /// decoded field this is exactly the length it had on the wire.
    pub fn encoded_len(&self) -> usize {
        encoded_field_len(self.body.len())
    }

    /// Encodes the field into the start of `buf`, zero-padding as
    /// described in [`ExtensionField::encoded_len`]; returns the number of
    /// octets written.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut w = Writer::new(buf);
        let len = write_field_header(&mut w, self.field_type, self.body.len())?;
        w.bytes(self.body)?;
        w.zeros(len.saturating_sub(w.position()))?;
        Ok(len)
    }
}

/// Length of an encoded field whose body has `body_len` octets.
pub(crate) fn encoded_field_len(body_len: usize) -> usize {
    pad4(body_len.saturating_add(EXTENSION_HEADER_LEN)).max(MIN_EXTENSION_FIELD_LEN)
}

/// Writes an extension field header for a body of `body_len` octets after
/// checking that the whole padded field fits; returns the padded length.
pub(crate) fn write_field_header(
    w: &mut Writer<'_>,
    field_type: u16,
    body_len: usize,
) -> Result<usize, Error> {
    let len = encoded_field_len(body_len);
    let length = u16::try_from(len).map_err(|_| Error::FieldOutOfRange {
        field: "extension field length",
    })?;
    w.ensure(len)?;
    w.u16(field_type)?;
    w.u16(length)?;
    Ok(len)
}

/// Writes an extension field of type `field_type` whose body is
/// `body_len` zero octets (padded as in [`ExtensionField::encoded_len`]),
/// e.g. an NTS Cookie Placeholder (RFC 8915 §5.5); returns the length.
pub fn write_zeroed_extension_field(
    buf: &mut [u8],
    field_type: u16,
    body_len: usize,
) -> Result<usize, Error> {
    let mut w = Writer::new(buf);
    let len = write_field_header(&mut w, field_type, body_len)?;
    w.zeros(len.saturating_sub(EXTENSION_HEADER_LEN))?;
    Ok(len)
}

fn shift(e: Error, offset: usize) -> Error {
    match e {
        Error::Truncated { needed, available } => Error::Truncated {
            needed: needed.saturating_add(offset),
            available: available.saturating_add(offset),
        },
        other => other,
    }
}

/// Splits `buf` into a run of extension fields and, when `allow_mac`, an
/// optional trailing legacy MAC (RFC 7822 §7).
///
/// Rule: whenever exactly 4, 20 or 24 octets remain they are the MAC
/// (crypto-NAK, 128-bit or 160-bit digest with key ID). RFC 7822 §3 and
/// §7.5 require the last extension field of a packet without a MAC to be at
/// least 28 octets, so such a remainder cannot be a lone final extension
/// field; checking the MAC sizes first also avoids misreading a key ID
/// whose low half happens to be 16, 20 or 24. Otherwise an extension field
/// must start there. `base` is added to error offsets.
pub(crate) fn scan(
    buf: &[u8],
    base: usize,
    allow_mac: bool,
) -> Result<(&[u8], Option<Mac<'_>>), Error> {
    let mut pos = 0usize;
    loop {
        let rest = buf.get(pos..).unwrap_or(&[]);
        let fields = buf.get(..pos).unwrap_or(&[]);
        if rest.is_empty() {
            return Ok((fields, None));
        }
        if allow_mac {
            if let Some(mac) = Mac::from_bytes(rest) {
                return Ok((fields, Some(mac)));
            }
        }
        let offset = base.saturating_add(pos);
        if rest.len() < EXTENSION_HEADER_LEN {
            return Err(Error::TrailingBytes {
                offset,
                len: rest.len(),
            });
        }
        let (_, len) = ExtensionField::decode_at(rest, offset)?;
        pos = pos.saturating_add(len);
    }
}

/// A validated run of extension fields, kept as raw bytes (RFC 7822 §3).
///
/// Used for the fields after an NTP header and for the decrypted plaintext
/// of an NTS Authenticator and Encrypted Extension Fields field
/// (RFC 8915 §5.6), which is itself a sequence of extension fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ExtensionFields<'a> {
    bytes: &'a [u8],
}

impl<'a> ExtensionFields<'a> {
    /// No extension fields.
    pub const EMPTY: ExtensionFields<'static> = ExtensionFields { bytes: &[] };

    /// Validates `bytes` as a sequence of extension fields with nothing
    /// else (no MAC) — e.g. a decrypted NTS plaintext (RFC 8915 §5.6) or
    /// fields built with the encoders of this module for a new packet.
    pub fn new(bytes: &'a [u8]) -> Result<Self, Error> {
        let (fields, _) = scan(bytes, 0, false)?;
        Ok(ExtensionFields { bytes: fields })
    }

    pub(crate) const fn from_validated(bytes: &'a [u8]) -> Self {
        ExtensionFields { bytes }
    }

    /// The raw bytes of all fields.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether there are no fields.
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Iterates over the fields.
    pub fn iter(&self) -> ExtensionFieldIter<'a> {
        ExtensionFieldIter {
            bytes: self.bytes,
            pos: 0,
        }
    }
}

impl<'a> IntoIterator for ExtensionFields<'a> {
    type Item = ExtensionField<'a>;
    type IntoIter = ExtensionFieldIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Parses the decrypted plaintext of an NTS Authenticator and Encrypted
/// Extension Fields field as a sequence of extension fields
/// (RFC 8915 §5.6), with the same rules as fields in a packet minus the
/// MAC.
pub fn parse_extension_fields(plaintext: &[u8]) -> Result<ExtensionFields<'_>, Error> {
    ExtensionFields::new(plaintext)
}

/// Iterator over [`ExtensionFields`].
#[derive(Debug, Clone)]
pub struct ExtensionFieldIter<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl ExtensionFieldIter<'_> {
    /// Offset of the next field from the start of the run of fields (add
    /// [`HEADER_LEN`](super::HEADER_LEN) for the offset in a packet).
    pub fn offset(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for ExtensionFieldIter<'a> {
    type Item = ExtensionField<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.bytes.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        match ExtensionField::decode_at(rest, self.pos) {
            Ok((field, len)) => {
                self.pos = self.pos.saturating_add(len);
                Some(field)
            }
            Err(_) => {
                // Unreachable for validated runs; stop rather than loop.
                self.pos = self.bytes.len();
                None
            }
        }
    }
}

impl core::iter::FusedIterator for ExtensionFieldIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        for (v, k) in [
            (0x0104, ExtensionKind::UniqueIdentifier),
            (0x0204, ExtensionKind::NtsCookie),
            (0x0304, ExtensionKind::NtsCookiePlaceholder),
            (0x0404, ExtensionKind::NtsAuthenticatorAndEncrypted),
            (0x0002, ExtensionKind::Unknown(2)),
        ] {
            assert_eq!(ExtensionKind::from_u16(v), k);
            assert_eq!(k.to_u16(), v);
            assert_eq!(ExtensionField::new(v, &[]).kind(), k);
        }
    }

    #[test]
    fn decode_one() {
        let mut buf = [0u8; 20];
        buf[..4].copy_from_slice(&[0x01, 0x04, 0x00, 0x10]);
        buf[4..16].copy_from_slice(b"abcdefghijkl");
        let (f, len) = ExtensionField::decode(&buf).unwrap();
        assert_eq!(len, 16);
        assert_eq!(f.kind(), ExtensionKind::UniqueIdentifier);
        assert_eq!(f.body, b"abcdefghijkl");
        let mut out = [0xffu8; 16];
        assert_eq!(f.encode(&mut out), Ok(16));
        assert_eq!(out, buf[..16]);
    }

    #[test]
    fn decode_errors() {
        assert_eq!(
            ExtensionField::decode(&[0x01]),
            Err(Error::Truncated {
                needed: 2,
                available: 1
            })
        );
        assert_eq!(
            ExtensionField::decode(&[0x01, 0x04, 0x00]),
            Err(Error::Truncated {
                needed: 4,
                available: 3
            })
        );
        for bad in [0u16, 4, 12, 17, 18, 19, 30] {
            let mut buf = [0u8; 32];
            buf[2..4].copy_from_slice(&bad.to_be_bytes());
            assert_eq!(
                ExtensionField::decode(&buf),
                Err(Error::BadExtensionLength {
                    offset: 0,
                    length: bad
                }),
                "{bad}"
            );
        }
        let mut buf = [0u8; 20];
        buf[2..4].copy_from_slice(&24u16.to_be_bytes());
        assert_eq!(
            ExtensionField::decode(&buf),
            Err(Error::ExtensionOverrun {
                offset: 0,
                length: 24,
                available: 20
            })
        );
    }

    #[test]
    fn encode_pads() {
        let f = ExtensionField::new(0x1234, b"abcde");
        assert_eq!(f.encoded_len(), 16);
        let mut out = [0xffu8; 16];
        assert_eq!(f.encode(&mut out), Ok(16));
        assert_eq!(&out[..9], b"\x12\x34\x00\x10abcde");
        assert!(out[9..].iter().all(|&b| b == 0));
        let f = ExtensionField::new(0x1234, &[7u8; 29]);
        assert_eq!(f.encoded_len(), 36);
        assert_eq!(
            f.encode(&mut [0u8; 35]),
            Err(Error::BufferTooSmall {
                needed: 36,
                available: 35
            })
        );
        let big = [0u8; 65_529];
        assert_eq!(
            ExtensionField::new(1, &big).encode(&mut [0u8; 70_000]),
            Err(Error::FieldOutOfRange {
                field: "extension field length"
            })
        );
        let ok = [0u8; 65_528];
        assert_eq!(
            ExtensionField::new(1, &ok).encode(&mut [0u8; 70_000]),
            Ok(65_532)
        );
    }

    #[test]
    fn sequences() {
        let mut buf = [0u8; 48];
        let n1 = ExtensionField::new(0x0104, &[1u8; 12])
            .encode(&mut buf)
            .unwrap();
        let n2 = write_zeroed_extension_field(&mut buf[n1..], 0x0304, 20).unwrap();
        assert_eq!((n1, n2), (16, 24));
        let fields = parse_extension_fields(&buf[..40]).unwrap();
        let mut it = fields.iter();
        assert_eq!(it.offset(), 0);
        assert_eq!(it.next().unwrap().body, &[1u8; 12]);
        assert_eq!(it.offset(), 16);
        let f = it.next().unwrap();
        assert_eq!(f.kind(), ExtensionKind::NtsCookiePlaceholder);
        assert_eq!(f.body, &[0u8; 20]);
        assert_eq!(it.next(), None);
        assert_eq!(fields.into_iter().count(), 2);
        // Empty plaintext is a valid (empty) sequence.
        assert!(parse_extension_fields(&[]).unwrap().is_empty());
        // No MAC in plaintexts: 4 trailing bytes are an error.
        assert_eq!(
            parse_extension_fields(&buf[..20]),
            Err(Error::ExtensionOverrun {
                offset: 16,
                length: 24,
                available: 4
            })
        );
        assert_eq!(
            parse_extension_fields(&[0u8; 20]),
            Err(Error::BadExtensionLength {
                offset: 0,
                length: 0
            })
        );
        assert_eq!(
            parse_extension_fields(&buf[..18]),
            Err(Error::TrailingBytes { offset: 16, len: 2 })
        );
    }
}
