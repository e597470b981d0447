//! NTS extension fields for NTPv4 (RFC 8915 §5.3 to §5.6): typed view of
//! the NTS Authenticator and Encrypted Extension Fields field and encoders
//! for all four NTS field types.

use super::Error;
use super::cursor::{Reader, Writer, pad4};
use super::extension::{
    ExtensionField, ExtensionFields, ExtensionKind, encoded_field_len, write_field_header,
    write_zeroed_extension_field,
};

/// Zero octets used as padding by [`NtsAuthenticator::new`].
static ZEROS: [u8; 16] = [0; 16];

/// Minimum of nonce length plus additional padding (N_REQ, RFC 8915
/// §5.6).
pub const NONCE_MIN_PADDED_LEN: usize = 16;

/// Body of an NTS Authenticator and Encrypted Extension Fields extension
/// field (RFC 8915 §5.6, Figure 3):
///
/// ```text
/// Nonce Length (16) | Ciphertext Length (16)
/// Nonce, padded to a multiple of 4
/// Ciphertext, padded to a multiple of 4
/// Additional Padding
/// ```
///
/// All padding octets are kept so that a decoded value re-encodes exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NtsAuthenticator<'a> {
    /// The AEAD nonce (`Nonce Length` octets).
    pub nonce: &'a [u8],
    /// Padding after the nonce up to a multiple of 4 (0 to 3 octets,
    /// normally zero).
    pub nonce_padding: &'a [u8],
    /// The AEAD output (`Ciphertext Length` octets): the encrypted
    /// extension fields plus the authentication tag.
    pub ciphertext: &'a [u8],
    /// Padding after the ciphertext up to a multiple of 4 (0 to 3 octets).
    pub ciphertext_padding: &'a [u8],
    /// Additional padding filling the rest of the extension field.
    pub additional_padding: &'a [u8],
}

impl<'a> NtsAuthenticator<'a> {
    /// Builds a value with zero padding: the nonce and ciphertext are
    /// padded to multiples of 4, and additional padding brings the padded
    /// nonce to at least 16 octets (RFC 8915 §5.6 N_REQ).
    pub fn new(nonce: &'a [u8], ciphertext: &'a [u8]) -> Self {
        let np = pad4(nonce.len()).saturating_sub(nonce.len());
        let cp = pad4(ciphertext.len()).saturating_sub(ciphertext.len());
        let extra = NONCE_MIN_PADDED_LEN.saturating_sub(pad4(nonce.len()));
        NtsAuthenticator {
            nonce,
            nonce_padding: ZEROS.get(..np).unwrap_or(&[]),
            ciphertext,
            ciphertext_padding: ZEROS.get(..cp).unwrap_or(&[]),
            additional_padding: ZEROS.get(..extra).unwrap_or(&[]),
        }
    }

    /// Decodes an extension field body (everything after the 4-octet
    /// extension field header).
    pub fn decode(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let nonce_len = usize::from(r.u16()?);
        let ct_len = usize::from(r.u16()?);
        let np = pad4(nonce_len) - nonce_len;
        let cp = pad4(ct_len) - ct_len;
        // At most 4 + 65536 + 65536: cannot overflow.
        let needed = 4 + nonce_len + np + ct_len + cp;
        if needed > body.len() {
            return Err(Error::AuthenticatorOverrun {
                needed,
                available: body.len(),
            });
        }
        let overrun = |_| Error::AuthenticatorOverrun {
            needed,
            available: body.len(),
        };
        Ok(NtsAuthenticator {
            nonce: r.bytes(nonce_len).map_err(overrun)?,
            nonce_padding: r.bytes(np).map_err(overrun)?,
            ciphertext: r.bytes(ct_len).map_err(overrun)?,
            ciphertext_padding: r.bytes(cp).map_err(overrun)?,
            additional_padding: r.rest(),
        })
    }

    /// Decodes the body of `field`, which must be of type 0x0404.
    pub fn from_extension_field(field: &ExtensionField<'a>) -> Result<Self, Error> {
        if field.kind() != ExtensionKind::NtsAuthenticatorAndEncrypted {
            return Err(Error::UnexpectedExtensionType {
                expected: ExtensionKind::NTS_AUTHENTICATOR,
                found: field.field_type,
            });
        }
        Self::decode(field.body)
    }

    /// Length of the encoded body.
    pub fn body_len(&self) -> usize {
        4usize
            .saturating_add(self.nonce.len())
            .saturating_add(self.nonce_padding.len())
            .saturating_add(self.ciphertext.len())
            .saturating_add(self.ciphertext_padding.len())
            .saturating_add(self.additional_padding.len())
    }

    fn check(&self) -> Result<(u16, u16), Error> {
        let nonce_len = u16::try_from(self.nonce.len())
            .map_err(|_| Error::FieldOutOfRange { field: "nonce" })?;
        let ct_len = u16::try_from(self.ciphertext.len()).map_err(|_| Error::FieldOutOfRange {
            field: "ciphertext",
        })?;
        if self.nonce.len() + self.nonce_padding.len() != pad4(self.nonce.len()) {
            return Err(Error::FieldOutOfRange {
                field: "nonce_padding",
            });
        }
        if self.ciphertext.len() + self.ciphertext_padding.len() != pad4(self.ciphertext.len()) {
            return Err(Error::FieldOutOfRange {
                field: "ciphertext_padding",
            });
        }
        if self.additional_padding.len() % 4 != 0 {
            return Err(Error::FieldOutOfRange {
                field: "additional_padding",
            });
        }
        Ok((nonce_len, ct_len))
    }

    /// Encodes the body (without extension field header) into the start
    /// of `buf`; returns its length.
    ///
    /// Fails with [`Error::FieldOutOfRange`] when a length does not fit 16
    /// bits, a padding slice has the wrong size, or the additional padding
    /// is not a multiple of 4 octets.
    pub fn encode_body(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let (nonce_len, ct_len) = self.check()?;
        let mut w = Writer::new(buf);
        w.ensure(self.body_len())?;
        self.write_body(&mut w, nonce_len, ct_len)?;
        Ok(w.position())
    }

    fn write_body(&self, w: &mut Writer<'_>, nonce_len: u16, ct_len: u16) -> Result<(), Error> {
        w.u16(nonce_len)?;
        w.u16(ct_len)?;
        w.bytes(self.nonce)?;
        w.bytes(self.nonce_padding)?;
        w.bytes(self.ciphertext)?;
        w.bytes(self.ciphertext_padding)?;
        w.bytes(self.additional_padding)
    }

    /// Length of the whole extension field (header included) as written
    /// by [`NtsAuthenticator::encode`].
    pub fn encoded_len(&self) -> usize {
        encoded_field_len(self.body_len())
    }

    /// Writes the whole extension field (type 0x0404) into the start of
    /// `buf`, zero-padding to the 16-octet minimum if needed (RFC 7822 §3);
    /// returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let (nonce_len, ct_len) = self.check()?;
        let mut w = Writer::new(buf);
        let len = write_field_header(&mut w, ExtensionKind::NTS_AUTHENTICATOR, self.body_len())?;
        self.write_body(&mut w, nonce_len, ct_len)?;
        w.zeros(len.saturating_sub(w.position()))?;
        Ok(len)
    }
}

/// Writes a Unique Identifier extension field (RFC 8915 §5.3; the
/// identifier should be at least 32 random octets); returns its length.
pub fn write_unique_identifier(buf: &mut [u8], unique_id: &[u8]) -> Result<usize, Error> {
    ExtensionField::new(ExtensionKind::UNIQUE_IDENTIFIER, unique_id).encode(buf)
}

/// Writes an NTS Cookie extension field (RFC 8915 §5.4); returns its
/// length.
pub fn write_cookie(buf: &mut [u8], cookie: &[u8]) -> Result<usize, Error> {
    ExtensionField::new(ExtensionKind::NTS_COOKIE, cookie).encode(buf)
}

/// Writes an NTS Cookie Placeholder extension field whose body is
/// `cookie_len` zero octets, the length of the cookie it asks for
/// (RFC 8915 §5.5); returns its length.
pub fn write_cookie_placeholder(buf: &mut [u8], cookie_len: usize) -> Result<usize, Error> {
    write_zeroed_extension_field(buf, ExtensionKind::NTS_COOKIE_PLACEHOLDER, cookie_len)
}

/// Writes an NTS Authenticator and Encrypted Extension Fields extension
/// field (RFC 8915 §5.6) with zero padding; returns its length. See
/// [`NtsAuthenticator::new`].
pub fn write_authenticator(
    buf: &mut [u8],
    nonce: &[u8],
    ciphertext: &[u8],
) -> Result<usize, Error> {
    NtsAuthenticator::new(nonce, ciphertext).encode(buf)
}

/// Parses a decrypted NTS plaintext as extension fields (RFC 8915 §5.6);
/// the same as [`ExtensionFields::new`].
pub fn parse_plaintext(plaintext: &[u8]) -> Result<ExtensionFields<'_>, Error> {
    ExtensionFields::new(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authenticator_layout() {
        // Nonce of 5 octets (3 padding), ciphertext of 6 (2 padding), 4
        // octets of additional padding, as laid out in RFC 8915 §5.6.
        let body: [u8; 28] = [
            0, 5, 0, 6, // lengths
            1, 2, 3, 4, 5, 0xaa, 0xbb, 0xcc, // nonce + padding (kept raw)
            9, 8, 7, 6, 5, 4, 0, 0, // ciphertext + padding
            0, 0, 0, 0, 0, 0, 0, 0, // additional padding
        ];
        let a = NtsAuthenticator::decode(&body).unwrap();
        assert_eq!(a.nonce, &[1, 2, 3, 4, 5]);
        assert_eq!(a.nonce_padding, &[0xaa, 0xbb, 0xcc]);
        assert_eq!(a.ciphertext, &[9, 8, 7, 6, 5, 4]);
        assert_eq!(a.ciphertext_padding, &[0, 0]);
        assert_eq!(a.additional_padding, &[0u8; 8]);
        assert_eq!(a.body_len(), 28);
        let mut out = [0u8; 28];
        assert_eq!(a.encode_body(&mut out), Ok(28));
        assert_eq!(out, body);
        let mut ef = [0u8; 32];
        assert_eq!(a.encoded_len(), 32);
        assert_eq!(a.encode(&mut ef), Ok(32));
        assert_eq!(&ef[..4], &[0x04, 0x04, 0x00, 0x20]);
        assert_eq!(&ef[4..], &body);
        let (field, _) = ExtensionField::decode(&ef).unwrap();
        assert_eq!(NtsAuthenticator::from_extension_field(&field), Ok(a));
    }

    #[test]
    fn authenticator_errors() {
        assert_eq!(
            NtsAuthenticator::decode(&[0, 1, 0]),
            Err(Error::Truncated {
                needed: 4,
                available: 3
            })
        );
        // Nonce length 1 needs 4 padded octets; ciphertext length 4 needs 4.
        assert_eq!(
            NtsAuthenticator::decode(&[0, 1, 0, 4, 1, 0, 0, 0, 1, 2, 3]),
            Err(Error::AuthenticatorOverrun {
                needed: 12,
                available: 11
            })
        );
        assert_eq!(
            NtsAuthenticator::decode(&[0xff, 0xff, 0xff, 0xff]),
            Err(Error::AuthenticatorOverrun {
                needed: 4 + 65_536 + 65_536,
                available: 4
            })
        );
        let field = ExtensionField::new(0x0204, &[0; 12]);
        assert_eq!(
            NtsAuthenticator::from_extension_field(&field),
            Err(Error::UnexpectedExtensionType {
                expected: 0x0404,
                found: 0x0204
            })
        );
        let mut bad = NtsAuthenticator::new(&[1; 16], &[2; 16]);
        bad.nonce_padding = &[0];
        assert_eq!(
            bad.encode(&mut [0; 64]),
            Err(Error::FieldOutOfRange {
                field: "nonce_padding"
            })
        );
        let mut bad = NtsAuthenticator::new(&[1; 16], &[2; 15]);
        bad.ciphertext_padding = &[];
        assert_eq!(
            bad.encode_body(&mut [0; 64]),
            Err(Error::FieldOutOfRange {
                field: "ciphertext_padding"
            })
        );
        let mut bad = NtsAuthenticator::new(&[1; 16], &[2; 16]);
        bad.additional_padding = &[0, 0];
        assert_eq!(
            bad.encode(&mut [0; 64]),
            Err(Error::FieldOutOfRange {
                field: "additional_padding"
            })
        );
        let ok = NtsAuthenticator::new(&[1; 16], &[2; 16]);
        assert_eq!(
            ok.encode(&mut [0; 39]),
            Err(Error::BufferTooSmall {
                needed: 40,
                available: 39
            })
        );
        assert_eq!(
            ok.encode_body(&mut [0; 35]),
            Err(Error::BufferTooSmall {
                needed: 36,
                available: 35
            })
        );
    }

    #[test]
    fn builders() {
        let mut buf = [0u8; 512];
        let mut pos = 0;
        pos += write_unique_identifier(&mut buf[pos..], &[0x11; 32]).unwrap();
        pos += write_cookie(&mut buf[pos..], &[0x22; 99]).unwrap();
        pos += write_cookie_placeholder(&mut buf[pos..], 99).unwrap();
        // 12-octet nonce (AES-GCM-SIV style) gets 4 octets of additional
        // padding to reach N_REQ = 16.
        pos += write_authenticator(&mut buf[pos..], &[0x33; 12], &[0x44; 17]).unwrap();
        assert_eq!(pos, 36 + 104 + 104 + (4 + 4 + 12 + 20 + 4));
        let fields = parse_plaintext(&buf[..pos]).unwrap();
        let kinds: [ExtensionKind; 4] = {
            let mut it = fields.iter().map(|f| f.kind());
            [
                it.next().unwrap(),
                it.next().unwrap(),
                it.next().unwrap(),
                it.next().unwrap(),
            ]
        };
        assert_eq!(
            kinds,
            [
                ExtensionKind::UniqueIdentifier,
                ExtensionKind::NtsCookie,
                ExtensionKind::NtsCookiePlaceholder,
                ExtensionKind::NtsAuthenticatorAndEncrypted
            ]
        );
        let cookie = fields.iter().nth(1).unwrap();
        assert_eq!(&cookie.body[..99], &[0x22; 99]);
        assert_eq!(cookie.body[99..], [0; 1]);
        let auth = fields.iter().nth(3).unwrap();
        let a = NtsAuthenticator::from_extension_field(&auth).unwrap();
        assert_eq!(a.nonce, &[0x33; 12]);
        assert_eq!(a.ciphertext, &[0x44; 17]);
        assert_eq!(a.ciphertext_padding, &[0; 3]);
        assert_eq!(a.additional_padding, &[0; 4]);
        // An empty authenticator is padded to the 16-octet EF minimum.
        let empty = NtsAuthenticator::new(&[], &[]);
        assert_eq!(empty.additional_padding.len(), 16);
        assert_eq!(empty.encoded_len(), 24);
    }
}
