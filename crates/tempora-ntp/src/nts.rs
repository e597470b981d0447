//! NTS-protected NTP (RFC 8915 §5), sans-IO and allocation-free: the AEAD
//! keys (§5.1), the client's protected request and its check of the
//! server's response (§5.7), the server's check of a request and its
//! protected response or NTS NAK (§5.7), and the server's cookies (§6).
//! The client's state per source (keys, cookie stash, when to run key
//! establishment again) is [`client::NtsClient`].
//!
//! The AEAD algorithms are AEAD_AES_SIV_CMAC_256 (mandatory, RFC 8915
//! §5.1) and AEAD_AES_SIV_CMAC_512 (RFC 5297 §6): the associated data is
//! the NTP header and every extension field before the authenticator, the
//! nonce is the last header of the SIV construction (RFC 5297 §3), and the
//! ciphertext on the wire is the 16-octet synthetic IV followed by the
//! encrypted extension fields.

pub mod client;
pub mod v5;

use core::borrow::Borrow;

use aes_siv::KeyInit;
use aes_siv::siv::{Aes128Siv, Aes256Siv};

use crate::wire::nts::NtsAuthenticator;
use crate::wire::ntske::AeadAlgorithm;
use crate::wire::{ExtensionField, ExtensionFields, ExtensionKind, KissCode, Packet};

/// Octets of a Unique Identifier this implementation sends (RFC 8915 §5.3:
/// at least 32).
pub const UID_LEN: usize = 32;
/// Octets of a nonce this implementation sends.
pub const NONCE_LEN: usize = 16;
/// Octets of the SIV tag at the start of a ciphertext.
pub const TAG_LEN: usize = 16;
/// The largest key (AEAD_AES_SIV_CMAC_512).
pub const MAX_KEY_LEN: usize = 64;
/// The longest cookie accepted (chrony's are 104 octets at most; ours 102).
pub const MAX_COOKIE_LEN: usize = 256;
/// The most cookies a response carries (1 + placeholders; RFC 8915 §5.7
/// suggests the client keep 8).
pub const MAX_COOKIES: usize = 8;

/// Why an NTS packet was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NtsError {
    /// The buffer is too small for what must be written.
    BufferTooSmall,
    /// The packet or one of its extension fields is malformed.
    Malformed,
    /// A required field is missing (unique identifier, cookie or
    /// authenticator), or appears twice.
    MissingField,
    /// The unique identifier is not the one the request carried.
    UidMismatch,
    /// The authenticator does not verify (tampered, wrong key).
    BadAuthenticator,
    /// The server's cookie could not be opened (unknown or expired master
    /// key, or tampered): the server answers with an NTS NAK.
    BadCookie,
    /// An NTS NAK (kiss code NTSN) for our request: the client must run
    /// key exchange again.
    Nak,
    /// The AEAD algorithm is not supported.
    UnsupportedAlgorithm,
}

/// An AEAD key of AEAD_AES_SIV_CMAC_256 (32 octets) or _512 (64 octets).
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    algorithm: AeadAlgorithm,
    bytes: [u8; MAX_KEY_LEN],
    len: usize,
}

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Key({:?}, {} octets)", self.algorithm, self.len)
    }
}

/// The key length of `algorithm`, if it is supported.
pub const fn key_len(algorithm: AeadAlgorithm) -> Option<usize> {
    match algorithm {
        AeadAlgorithm::AesSivCmac256 => Some(32),
        AeadAlgorithm::AesSivCmac512 => Some(64),
        _ => None,
    }
}

impl Key {
    /// A key of `algorithm` made of `bytes`, which must have the
    /// algorithm's key length.
    pub fn new(algorithm: AeadAlgorithm, bytes: &[u8]) -> Result<Key, NtsError> {
        let len = key_len(algorithm).ok_or(NtsError::UnsupportedAlgorithm)?;
        if bytes.len() != len {
            return Err(NtsError::Malformed);
        }
        let mut k = [0u8; MAX_KEY_LEN];
        k[..len].copy_from_slice(bytes);
        Ok(Key {
            algorithm,
            bytes: k,
            len,
        })
    }

    /// Its algorithm.
    pub fn algorithm(&self) -> AeadAlgorithm {
        self.algorithm
    }

    /// Its octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Encrypts `buf[TAG_LEN..]` in place, authenticating `ad` and `nonce`
    /// too, and writes the tag into `buf[..TAG_LEN]`.
    pub fn seal(&self, ad: &[u8], nonce: &[u8], buf: &mut [u8]) -> Result<(), NtsError> {
        let (tag_out, text) = buf
            .split_at_mut_checked(TAG_LEN)
            .ok_or(NtsError::BufferTooSmall)?;
        let headers = [ad, nonce];
        let tag = match self.algorithm {
            AeadAlgorithm::AesSivCmac256 => Aes128Siv::new_from_slice(self.as_bytes())
                .map_err(|_| NtsError::UnsupportedAlgorithm)?
                .encrypt_in_place_detached(headers, text),
            AeadAlgorithm::AesSivCmac512 => Aes256Siv::new_from_slice(self.as_bytes())
                .map_err(|_| NtsError::UnsupportedAlgorithm)?
                .encrypt_in_place_detached(headers, text),
            _ => return Err(NtsError::UnsupportedAlgorithm),
        }
        .map_err(|_| NtsError::BufferTooSmall)?;
        tag_out.copy_from_slice(tag.as_slice());
        Ok(())
    }

    /// Checks and decrypts `ciphertext` (tag first) into `out`; returns the
    /// plaintext's length.
    pub fn open(
        &self,
        ad: &[u8],
        nonce: &[u8],
        ciphertext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, NtsError> {
        let (tag, text) = ciphertext
            .split_at_checked(TAG_LEN)
            .ok_or(NtsError::BadAuthenticator)?;
        let plain = out.get_mut(..text.len()).ok_or(NtsError::BufferTooSmall)?;
        plain.copy_from_slice(text);
        let tag = aes_siv::Tag::clone_from_slice(tag);
        let headers = [ad, nonce];
        match self.algorithm {
            AeadAlgorithm::AesSivCmac256 => Aes128Siv::new_from_slice(self.as_bytes())
                .map_err(|_| NtsError::UnsupportedAlgorithm)?
                .decrypt_in_place_detached(headers, plain, &tag),
            AeadAlgorithm::AesSivCmac512 => Aes256Siv::new_from_slice(self.as_bytes())
                .map_err(|_| NtsError::UnsupportedAlgorithm)?
                .decrypt_in_place_detached(headers, plain, &tag),
            _ => return Err(NtsError::UnsupportedAlgorithm),
        }
        .map_err(|_| NtsError::BadAuthenticator)?;
        Ok(text.len())
    }
}

/// The two keys of an association (RFC 8915 §5.1): client-to-server and
/// server-to-client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// C2S: protects requests.
    pub c2s: Key,
    /// S2C: protects responses.
    pub s2c: Key,
}

struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, data: &[u8]) -> Result<(), NtsError> {
        let end = self.pos + data.len();
        self.buf
            .get_mut(self.pos..end)
            .ok_or(NtsError::BufferTooSmall)?
            .copy_from_slice(data);
        self.pos = end;
        Ok(())
    }

    fn field(&mut self, field_type: u16, body: &[u8]) -> Result<(), NtsError> {
        let rest = self
            .buf
            .get_mut(self.pos..)
            .ok_or(NtsError::BufferTooSmall)?;
        let n = ExtensionField::new(field_type, body)
            .encode(rest)
            .map_err(|_| NtsError::BufferTooSmall)?;
        self.pos += n;
        Ok(())
    }

    fn placeholder(&mut self, len: usize) -> Result<(), NtsError> {
        let rest = self
            .buf
            .get_mut(self.pos..)
            .ok_or(NtsError::BufferTooSmall)?;
        let n = crate::wire::nts::write_cookie_placeholder(rest, len)
            .map_err(|_| NtsError::BufferTooSmall)?;
        self.pos += n;
        Ok(())
    }

    /// Appends the authenticator over everything written so far, with
    /// `plaintext` (extension fields) encrypted in it.
    fn authenticator(&mut self, key: &Key, nonce: &[u8], plaintext: &[u8]) -> Result<(), NtsError> {
        let mut sealed = [0u8; TAG_LEN + MAX_COOKIES * (MAX_COOKIE_LEN + 4)];
        let n = TAG_LEN + plaintext.len();
        let sealed = sealed.get_mut(..n).ok_or(NtsError::BufferTooSmall)?;
        sealed[TAG_LEN..].copy_from_slice(plaintext);
        let (ad, rest) = self.buf.split_at_mut(self.pos);
        key.seal(ad, nonce, sealed)?;
        let len = NtsAuthenticator::new(nonce, sealed)
            .encode(rest)
            .map_err(|_| NtsError::BufferTooSmall)?;
        self.pos += len;
        Ok(())
    }
}

/// Writes an NTS-protected client request (RFC 8915 §5.7): the 48-octet
/// `header`, the Unique Identifier `uid`, the `cookie`, `placeholders`
/// cookie placeholders (asking for that many more cookies), and the
/// authenticator under the C2S key with `nonce`. Returns its length.
pub fn write_request(
    out: &mut [u8],
    header: &[u8; 48],
    uid: &[u8],
    cookie: &[u8],
    placeholders: usize,
    c2s: &Key,
    nonce: &[u8],
) -> Result<usize, NtsError> {
    let mut w = Writer { buf: out, pos: 0 };
    w.bytes(header)?;
    w.field(ExtensionKind::UNIQUE_IDENTIFIER, uid)?;
    w.field(ExtensionKind::NTS_COOKIE, cookie)?;
    for _ in 0..placeholders.min(MAX_COOKIES - 1) {
        w.placeholder(cookie.len())?;
    }
    w.authenticator(c2s, nonce, &[])?;
    Ok(w.pos)
}

/// The unique identifier and the authenticator (with its offset) of a
/// packet, as [`scan`] finds them.
type Found<'a> = (Option<&'a [u8]>, Option<(usize, NtsAuthenticator<'a>)>);

/// Finds the unique identifier and the authenticator of an NTS packet, and
/// gives `each` every field before the authenticator.
fn scan<'a>(
    packet: &Packet<'a>,
    mut each: impl FnMut(&ExtensionField<'a>) -> Result<(), NtsError>,
) -> Result<Found<'a>, NtsError> {
    let fields = packet.extension_fields;
    let mut uid = None;
    let mut it = fields.iter();
    loop {
        let offset = 48 + it.offset();
        let Some(field) = it.next() else { break };
        match field.kind() {
            ExtensionKind::NtsAuthenticatorAndEncrypted => {
                let auth = NtsAuthenticator::from_extension_field(&field)
                    .map_err(|_| NtsError::Malformed)?;
                // Fields after the authenticator are not authenticated and
                // are ignored (RFC 8915 §5.7).
                return Ok((uid, Some((offset, auth))));
            }
            ExtensionKind::UniqueIdentifier if uid.replace(field.body).is_some() => {
                return Err(NtsError::MissingField);
            }
            _ => {}
        }
        each(&field)?;
    }
    Ok((uid, None))
}

/// The client's check of a response to a request that carried `uid`
/// (RFC 8915 §5.7): the unique identifier must match and the authenticator
/// must verify under the S2C key. The new cookies from the encrypted
/// fields are written to `plain` and given to `cookie`. An NTS NAK for
/// `uid` is [`NtsError::Nak`].
pub fn open_response<'a>(
    data: &'a [u8],
    uid: &[u8],
    s2c: &Key,
    plain: &mut [u8],
    mut cookie: impl FnMut(&[u8]),
) -> Result<Packet<'a>, NtsError> {
    let packet = Packet::decode(data).map_err(|_| NtsError::Malformed)?;
    let (got_uid, auth) = scan(&packet, |_| Ok(()))?;
    if got_uid != Some(uid) {
        return Err(if got_uid.is_none() {
            NtsError::MissingField
        } else {
            NtsError::UidMismatch
        });
    }
    let Some((offset, auth)) = auth else {
        if packet.stratum == 0 && packet.reference_id.kiss_code() == KissCode::Ntsn {
            return Err(NtsError::Nak);
        }
        return Err(NtsError::MissingField);
    };
    let ad = data.get(..offset).ok_or(NtsError::Malformed)?;
    let n = s2c.open(ad, auth.nonce, auth.ciphertext, plain)?;
    let fields = ExtensionFields::new(&plain[..n]).map_err(|_| NtsError::Malformed)?;
    for f in fields.iter() {
        if f.kind() == ExtensionKind::NtsCookie && f.body.len() <= MAX_COOKIE_LEN {
            cookie(f.body);
        }
    }
    Ok(packet)
}

/// A master key of the server's cookies (RFC 8915 §6): an id carried in
/// every cookie it made, and an AEAD_AES_SIV_CMAC_256 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterKey {
    /// Its id.
    pub id: u32,
    /// Its key.
    pub key: Key,
}

/// Octets of the cookies [`make_cookie`] makes for AEAD_AES_SIV_CMAC_256
/// keys: id (4), nonce (16), tag (16), algorithm (2) and 2 zero octets, C2S
/// and S2C (64): a multiple of 4, so that the cookie field needs no padding
/// (RFC 7822 §3) and comes back exactly.
pub const COOKIE_LEN_256: usize = 4 + NONCE_LEN + TAG_LEN + 4 + 64;
/// Octets of the cookies [`make_cookie`] makes for AEAD_AES_SIV_CMAC_512
/// keys (C2S and S2C of 64 octets each).
pub const COOKIE_LEN_512: usize = 4 + NONCE_LEN + TAG_LEN + 4 + 128;

/// Makes a cookie holding `keys` under `master` with `nonce` (RFC 8915 §6's
/// suggested construction): `id | nonce | AEAD(algorithm | 0 | C2S | S2C)`,
/// the id authenticated as associated data.
/// Returns its length.
pub fn make_cookie(
    master: &MasterKey,
    nonce: &[u8; NONCE_LEN],
    keys: &Keys,
    out: &mut [u8],
) -> Result<usize, NtsError> {
    let klen = keys.c2s.as_bytes().len();
    let len = 4 + NONCE_LEN + TAG_LEN + 4 + 2 * klen;
    let out = out.get_mut(..len).ok_or(NtsError::BufferTooSmall)?;
    out[..4].copy_from_slice(&master.id.to_be_bytes());
    out[4..4 + NONCE_LEN].copy_from_slice(nonce);
    let body = &mut out[4 + NONCE_LEN..];
    let p = TAG_LEN;
    body[p..p + 2].copy_from_slice(&keys.c2s.algorithm().to_u16().to_be_bytes());
    body[p + 2..p + 4].fill(0);
    body[p + 4..p + 4 + klen].copy_from_slice(keys.c2s.as_bytes());
    body[p + 4 + klen..].copy_from_slice(keys.s2c.as_bytes());
    master.key.seal(&master.id.to_be_bytes(), nonce, body)?;
    Ok(len)
}

/// Opens a cookie made by [`make_cookie`] with the master key `master`
/// finds by id (the current one or one still in its grace period).
pub fn open_cookie<'m>(
    cookie: &[u8],
    master: impl Fn(u32) -> Option<&'m MasterKey>,
) -> Result<Keys, NtsError> {
    open_cookie_with(cookie, master)
}

/// [`open_cookie`] with a master key found by value or by reference.
fn open_cookie_with<M: Borrow<MasterKey>>(
    cookie: &[u8],
    master: impl FnOnce(u32) -> Option<M>,
) -> Result<Keys, NtsError> {
    let (id, rest) = cookie.split_at_checked(4).ok_or(NtsError::BadCookie)?;
    let (nonce, sealed) = rest
        .split_at_checked(NONCE_LEN)
        .ok_or(NtsError::BadCookie)?;
    let id_bytes: [u8; 4] = id.try_into().map_err(|_| NtsError::BadCookie)?;
    let key = master(u32::from_be_bytes(id_bytes)).ok_or(NtsError::BadCookie)?;
    let mut plain = [0u8; 4 + 2 * MAX_KEY_LEN];
    let n = key
        .borrow()
        .key
        .open(id, nonce, sealed, &mut plain)
        .map_err(|_| NtsError::BadCookie)?;
    let alg = AeadAlgorithm::from_u16(u16::from_be_bytes([plain[0], plain[1]]));
    let klen = key_len(alg).ok_or(NtsError::BadCookie)?;
    if n != 4 + 2 * klen {
        return Err(NtsError::BadCookie);
    }
    Ok(Keys {
        c2s: Key::new(alg, &plain[4..4 + klen])?,
        s2c: Key::new(alg, &plain[4 + klen..4 + 2 * klen])?,
    })
}

/// The server's cookie master keys as the server core asks for them (RFC
/// 8915 §6): only for NTS requests, and by value, so that a caller keeping
/// them behind a lock (they rotate) holds it only for the look-up.
pub trait MasterKeys {
    /// The key that makes new cookies, if there is one.
    fn current(&self) -> Option<MasterKey>;
    /// The key with `id`: the current one or one still in its grace period.
    fn find(&self, id: u32) -> Option<MasterKey>;
}

/// A single master key: current, and the only one that opens cookies.
impl MasterKeys for MasterKey {
    fn current(&self) -> Option<MasterKey> {
        Some(self.clone())
    }

    fn find(&self, id: u32) -> Option<MasterKey> {
        (self.id == id).then(|| self.clone())
    }
}

/// Master keys newest first: the first makes cookies, all open them.
impl<const K: usize> MasterKeys for [MasterKey; K] {
    fn current(&self) -> Option<MasterKey> {
        self.first().cloned()
    }

    fn find(&self, id: u32) -> Option<MasterKey> {
        self.iter().find(|k| k.id == id).cloned()
    }
}

/// An NTS request the server has checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRequest<'a> {
    /// The request's NTP packet.
    pub packet: Packet<'a>,
    /// Its unique identifier, to echo.
    pub uid: &'a [u8],
    /// The keys from its cookie.
    pub keys: Keys,
    /// Cookies to send back: one for the cookie spent, one per placeholder.
    pub cookies_wanted: usize,
}

/// The server's check of an NTS request (RFC 8915 §5.7): exactly one
/// unique identifier and one cookie, placeholders exactly as long as the
/// cookie (§5.5: so that the response is no larger than the request), a
/// nonce with its padding of at least 16 octets (§5.6, N_REQ), the cookie
/// opened with `master`, and the authenticator verified under the C2S key
/// it holds. [`NtsError::BadCookie`] calls for an NTS
/// NAK ([`write_nak`]); other errors for no answer at all.
pub fn open_request<'a, 'm>(
    data: &'a [u8],
    master: impl Fn(u32) -> Option<&'m MasterKey>,
) -> Result<CheckedRequest<'a>, NtsError> {
    let packet = Packet::decode(data).map_err(|_| NtsError::Malformed)?;
    open_packet(data, packet, master)
}

/// [`open_request`] of a request already decoded: `packet` is `data`
/// decoded (the server core decodes each datagram once).
pub(crate) fn open_packet<'a, M: Borrow<MasterKey>>(
    data: &'a [u8],
    packet: Packet<'a>,
    master: impl FnOnce(u32) -> Option<M>,
) -> Result<CheckedRequest<'a>, NtsError> {
    let mut cookie: Option<&[u8]> = None;
    let mut placeholder_lens = [0usize; MAX_COOKIES];
    let mut placeholders = 0usize;
    let mut duplicate = false;
    let (uid, auth) = scan(&packet, |f| {
        match f.kind() {
            ExtensionKind::NtsCookie => duplicate |= cookie.replace(f.body).is_some(),
            ExtensionKind::NtsCookiePlaceholder => {
                if let Some(l) = placeholder_lens.get_mut(placeholders) {
                    *l = f.body.len();
                }
                placeholders += 1;
            }
            _ => {}
        }
        Ok(())
    })?;
    let (Some(uid), Some(cookie), Some((offset, auth)), false) = (uid, cookie, auth, duplicate)
    else {
        return Err(NtsError::MissingField);
    };
    let counted = placeholders.min(MAX_COOKIES);
    if placeholder_lens[..counted]
        .iter()
        .any(|l| *l != cookie.len())
    {
        return Err(NtsError::Malformed);
    }
    let padded_nonce = auth.nonce.len() + auth.nonce_padding.len() + auth.additional_padding.len();
    if padded_nonce < crate::wire::nts::NONCE_MIN_PADDED_LEN {
        return Err(NtsError::Malformed);
    }
    let keys = open_cookie_with(cookie, master)?;
    let ad = data.get(..offset).ok_or(NtsError::Malformed)?;
    let mut plain = [0u8; 1024];
    keys.c2s.open(ad, auth.nonce, auth.ciphertext, &mut plain)?;
    Ok(CheckedRequest {
        packet,
        uid,
        keys,
        cookies_wanted: (1 + placeholders).min(MAX_COOKIES),
    })
}

/// Writes the server's NTS-protected response (RFC 8915 §5.7): the
/// 48-octet `header`, the request's unique identifier, and the
/// authenticator under the S2C key with `nonce`, encrypting one NTS Cookie
/// field per cookie in `cookies`. Returns its length.
pub fn write_response(
    out: &mut [u8],
    header: &[u8; 48],
    uid: &[u8],
    s2c: &Key,
    nonce: &[u8],
    cookies: &[&[u8]],
) -> Result<usize, NtsError> {
    let mut plain = [0u8; MAX_COOKIES * (MAX_COOKIE_LEN + 4)];
    let mut p = Writer {
        buf: &mut plain,
        pos: 0,
    };
    for c in cookies.iter().take(MAX_COOKIES) {
        p.field(ExtensionKind::NTS_COOKIE, c)?;
    }
    let plain_len = p.pos;
    let mut w = Writer { buf: out, pos: 0 };
    w.bytes(header)?;
    w.field(ExtensionKind::UNIQUE_IDENTIFIER, uid)?;
    w.authenticator(s2c, nonce, &plain[..plain_len])?;
    Ok(w.pos)
}

/// Whether `packet` carries NTS fields (a unique identifier or a cookie):
/// a server with NTS must then answer it as an NTS request or not at all.
pub fn is_nts(packet: &Packet<'_>) -> bool {
    packet.extension_fields.iter().any(|f| {
        matches!(
            f.kind(),
            ExtensionKind::UniqueIdentifier | ExtensionKind::NtsCookie
        )
    })
}

/// The unique identifier of an NTS request, for a NAK.
pub fn request_uid(data: &[u8]) -> Option<&[u8]> {
    packet_uid(&Packet::decode(data).ok()?)
}

/// The unique identifier of a decoded NTS request, for a NAK.
pub fn packet_uid<'a>(packet: &Packet<'a>) -> Option<&'a [u8]> {
    scan(packet, |_| Ok(())).ok()?.0
}

/// Writes an NTS NAK (RFC 8915 §5.7): `header` (a kiss-o'-death with code
/// NTSN, which the caller sets) and the request's unique identifier,
/// unauthenticated. Returns its length.
pub fn write_nak(out: &mut [u8], header: &[u8; 48], uid: &[u8]) -> Result<usize, NtsError> {
    let mut w = Writer { buf: out, pos: 0 };
    w.bytes(header)?;
    w.field(ExtensionKind::UNIQUE_IDENTIFIER, uid)?;
    Ok(w.pos)
}

#[cfg(test)]
mod tests;
