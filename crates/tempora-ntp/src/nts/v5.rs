//! NTS (RFC 8915 §5) over draft NTPv5 (draft-ietf-ntp-ntpv5), as the
//! draft leaves it and ntpd-rs 1.9 speaks it: the keys come from NTS-KE
//! under next protocol 0x8001 ([`crate::wire::ntske::NextProtocol::DraftNtpv5`]),
//! and the NTS extension fields keep their NTPv4 type numbers (Unique
//! Identifier 0x0104, NTS Cookie 0x0204, Cookie Placeholder 0x0304,
//! Authenticator and Encrypted Extension Fields 0x0404) but are framed as
//! NTPv5 fields ("Extension Fields": the length leaves out the alignment
//! padding; no 16- or 28-octet minimum). Everything before the
//! authenticator (the NTPv5 header, Draft Identification, Reference IDs,
//! ...) is its associated data; fields after it are not authenticated and
//! are ignored here (the server's Padding goes there).
//!
//! A NAK is the NTPv5 form: stratum 0 with the auth-NAK flag ("Message
//! Format", Flags) and the request's Unique Identifier, unauthenticated.
//!
//! The client builds a request with [`NtsV5Request::new`] and checks the
//! reply with [`NtsV5Request::complete`]; the server checks a request with
//! [`open_request`] and writes its protected fields with
//! [`push_response`] (see [`crate::server`]).

use core::borrow::Borrow;

use super::{
    Key, Keys, MAX_COOKIE_LEN, MAX_COOKIES, MasterKey, NONCE_LEN, NtsError, TAG_LEN, UID_LEN,
    open_cookie_with,
};
use crate::exchange::ReplyError;
use crate::v5::{Builder, Draft, Field, Fields, Packet, Timescale, V5Reply, V5Request};
use crate::wire::nts::{NONCE_MIN_PADDED_LEN, NtsAuthenticator};

/// Unique Identifier (RFC 8915 §5.3).
pub const UNIQUE_IDENTIFIER: u16 = 0x0104;
/// NTS Cookie (RFC 8915 §5.4).
pub const NTS_COOKIE: u16 = 0x0204;
/// NTS Cookie Placeholder (RFC 8915 §5.5).
pub const NTS_COOKIE_PLACEHOLDER: u16 = 0x0304;
/// NTS Authenticator and Encrypted Extension Fields (RFC 8915 §5.6).
pub const NTS_AUTHENTICATOR: u16 = 0x0404;

/// Octets of the plaintext an authenticator may carry: the cookies.
const PLAIN_MAX: usize = MAX_COOKIES * (MAX_COOKIE_LEN + 4);
/// Octets of an authenticator's body: lengths, nonce, tag, plaintext.
const AUTH_BODY_MAX: usize = 4 + NONCE_MIN_PADDED_LEN + TAG_LEN + PLAIN_MAX;

/// Whether `field_type` is one of the four NTS field types.
pub fn is_nts_type(field_type: u16) -> bool {
    matches!(
        field_type,
        UNIQUE_IDENTIFIER | NTS_COOKIE | NTS_COOKIE_PLACEHOLDER | NTS_AUTHENTICATOR
    )
}

/// Whether an NTPv5 message carries NTS fields: a server must then answer
/// it protected, with an NTS NAK, or not at all.
pub fn is_nts(packet: &Packet<'_>) -> bool {
    packet.iter().any(|(_, f)| is_nts_type(f.field_type))
}

/// The NTS fields of a message, up to its authenticator.
#[derive(Debug, Default)]
struct Scan<'a> {
    uid: Option<&'a [u8]>,
    cookie: Option<&'a [u8]>,
    /// Lengths of the first placeholders.
    placeholder_lens: [usize; MAX_COOKIES],
    placeholders: usize,
    duplicate: bool,
    /// The authenticator and its offset in the message.
    auth: Option<(usize, NtsAuthenticator<'a>)>,
}

/// Reads the NTS fields of `packet` up to the first authenticator (RFC
/// 8915 §5.7: later fields are not authenticated and are ignored). A
/// second Unique Identifier or NTS Cookie is [`NtsError::MissingField`].
fn scan<'a>(packet: &Packet<'a>) -> Result<Scan<'a>, NtsError> {
    let mut s = Scan::default();
    for (offset, field) in packet.iter() {
        match field.field_type {
            NTS_AUTHENTICATOR => {
                let auth = NtsAuthenticator::decode(field.data).map_err(|_| NtsError::Malformed)?;
                s.auth = Some((offset, auth));
                break;
            }
            UNIQUE_IDENTIFIER => s.duplicate |= s.uid.replace(field.data).is_some(),
            NTS_COOKIE => s.duplicate |= s.cookie.replace(field.data).is_some(),
            NTS_COOKIE_PLACEHOLDER => {
                if let Some(l) = s.placeholder_lens.get_mut(s.placeholders) {
                    *l = field.data.len();
                }
                s.placeholders = s.placeholders.saturating_add(1);
            }
            _ => {}
        }
    }
    if s.duplicate {
        return Err(NtsError::MissingField);
    }
    Ok(s)
}

/// Appends a field, mapping the codec's errors.
fn push(b: &mut Builder<'_>, field_type: u16, data: &[u8]) -> Result<(), NtsError> {
    b.push_field(&Field::new(field_type, data))
        .map(drop)
        .map_err(|_| NtsError::BufferTooSmall)
}

/// Appends the authenticator over everything written so far, with
/// `plaintext` (NTPv5-framed extension fields) encrypted in it.
fn push_authenticator(
    b: &mut Builder<'_>,
    key: &Key,
    nonce: &[u8],
    plaintext: &[u8],
) -> Result<(), NtsError> {
    let mut sealed = [0u8; TAG_LEN + PLAIN_MAX];
    let n = TAG_LEN.saturating_add(plaintext.len());
    let sealed = sealed.get_mut(..n).ok_or(NtsError::BufferTooSmall)?;
    sealed[TAG_LEN..].copy_from_slice(plaintext);
    key.seal(b.as_bytes(), nonce, sealed)?;
    let mut body = [0u8; AUTH_BODY_MAX];
    let len = NtsAuthenticator::new(nonce, sealed)
        .encode_body(&mut body)
        .map_err(|_| NtsError::BufferTooSmall)?;
    push(b, NTS_AUTHENTICATOR, &body[..len])
}

/// Appends the client's NTS fields (RFC 8915 §5.7): the Unique Identifier
/// `uid`, the `cookie`, `placeholders` placeholders as long as the cookie
/// (at most 7), and the authenticator under the C2S key with `nonce`.
pub fn push_request(
    b: &mut Builder<'_>,
    uid: &[u8],
    cookie: &[u8],
    placeholders: usize,
    c2s: &Key,
    nonce: &[u8],
) -> Result<(), NtsError> {
    static ZEROS: [u8; MAX_COOKIE_LEN] = [0; MAX_COOKIE_LEN];
    let zeros = ZEROS.get(..cookie.len()).ok_or(NtsError::Malformed)?;
    push(b, UNIQUE_IDENTIFIER, uid)?;
    push(b, NTS_COOKIE, cookie)?;
    for _ in 0..placeholders.min(MAX_COOKIES - 1) {
        push(b, NTS_COOKIE_PLACEHOLDER, zeros)?;
    }
    push_authenticator(b, c2s, nonce, &[])
}

/// Appends the server's NTS fields (RFC 8915 §5.7): the request's Unique
/// Identifier and the authenticator under the S2C key with `nonce`,
/// encrypting one NTS Cookie field per cookie in `cookies` (at most 8).
pub fn push_response(
    b: &mut Builder<'_>,
    uid: &[u8],
    s2c: &Key,
    nonce: &[u8],
    cookies: &[&[u8]],
) -> Result<(), NtsError> {
    let mut plain = [0u8; PLAIN_MAX];
    let mut len = 0usize;
    for c in cookies.iter().take(MAX_COOKIES) {
        let rest = plain.get_mut(len..).ok_or(NtsError::BufferTooSmall)?;
        len += Field::new(NTS_COOKIE, c)
            .encode(rest)
            .map_err(|_| NtsError::BufferTooSmall)?;
    }
    push(b, UNIQUE_IDENTIFIER, uid)?;
    push_authenticator(b, s2c, nonce, &plain[..len])
}

/// An NTPv5 NTS request the server has checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedV5Request<'a> {
    /// Its unique identifier, to echo.
    pub uid: &'a [u8],
    /// The keys from its cookie.
    pub keys: Keys,
    /// Cookies to send back: one for the cookie spent, one per placeholder.
    pub cookies_wanted: usize,
    /// The message up to its authenticator: what was authenticated, and
    /// the only fields the server answers.
    pub authenticated: &'a [u8],
}

/// The server's check of an NTPv5 NTS request (RFC 8915 §5.7), as for
/// NTPv4: exactly one unique identifier and one cookie, placeholders as
/// long as the cookie, a nonce padded to at least 16 octets, the cookie
/// opened with `master`, the authenticator verified under its C2S key.
/// [`NtsError::BadCookie`] and [`NtsError::BadAuthenticator`] call for an
/// NTS NAK; other errors for no answer at all.
pub fn open_request<'a, M: Borrow<MasterKey>>(
    data: &'a [u8],
    packet: &Packet<'a>,
    master: impl FnOnce(u32) -> Option<M>,
) -> Result<CheckedV5Request<'a>, NtsError> {
    let s = scan(packet)?;
    let (Some(uid), Some(cookie), Some((offset, auth))) = (s.uid, s.cookie, s.auth) else {
        return Err(NtsError::MissingField);
    };
    let counted = s.placeholders.min(MAX_COOKIES);
    if s.placeholder_lens[..counted]
        .iter()
        .any(|l| *l != cookie.len())
    {
        return Err(NtsError::Malformed);
    }
    let padded_nonce = auth.nonce.len() + auth.nonce_padding.len() + auth.additional_padding.len();
    if padded_nonce < NONCE_MIN_PADDED_LEN {
        return Err(NtsError::Malformed);
    }
    let keys = open_cookie_with(cookie, master)?;
    let authenticated = data.get(..offset).ok_or(NtsError::Malformed)?;
    let mut plain = [0u8; 1024];
    keys.c2s
        .open(authenticated, auth.nonce, auth.ciphertext, &mut plain)?;
    Ok(CheckedV5Request {
        uid,
        keys,
        cookies_wanted: (1 + s.placeholders).min(MAX_COOKIES),
        authenticated,
    })
}

/// The unique identifier of an NTPv5 NTS request, for a NAK.
pub fn request_uid<'a>(packet: &Packet<'a>) -> Option<&'a [u8]> {
    scan(packet).ok()?.uid
}

/// Why an NTS-protected NTPv5 reply was refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NtsV5Error {
    /// The NTS check failed (a NAK is [`NtsError::Nak`]).
    Nts(NtsError),
    /// The authenticated reply failed the NTPv5 checks.
    Reply(ReplyError),
}

/// An NTS-protected NTPv5 request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtsV5Request {
    /// The NTPv5 request inside.
    pub request: V5Request,
    /// The unique identifier the reply must echo.
    pub uid: [u8; UID_LEN],
}

/// The NTPv5 part of a request: what [`V5Request::new`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V5Params {
    /// 64 random bits for the client cookie.
    pub cookie: u64,
    /// The draft spoken.
    pub draft: Draft,
    /// The timescale asked for.
    pub timescale: Timescale,
    /// The Bloom filter chunk asked for: (offset, length).
    pub chunk: Option<(u16, u16)>,
}

/// The NTS part of a request.
#[derive(Debug, Clone, Copy)]
pub struct NtsParams<'k> {
    /// A fresh random unique identifier.
    pub uid: [u8; UID_LEN],
    /// The cookie spent.
    pub cookie: &'k [u8],
    /// Placeholders asking for more cookies.
    pub placeholders: usize,
    /// The C2S key.
    pub c2s: &'k Key,
    /// A fresh random nonce.
    pub nonce: [u8; NONCE_LEN],
}

impl NtsV5Request {
    /// Writes the NTPv5 request of `v5` protected by `nts` into `out`;
    /// returns it and its length.
    pub fn new(
        v5: V5Params,
        nts: &NtsParams<'_>,
        out: &mut [u8],
    ) -> Result<(NtsV5Request, usize), NtsError> {
        let (request, len) = V5Request::new(v5.cookie, v5.draft, v5.timescale, v5.chunk, out)
            .map_err(|_| NtsError::BufferTooSmall)?;
        let mut b = Builder::resume(out, len).map_err(|_| NtsError::BufferTooSmall)?;
        push_request(
            &mut b,
            &nts.uid,
            nts.cookie,
            nts.placeholders,
            nts.c2s,
            &nts.nonce,
        )?;
        let request = NtsV5Request {
            request,
            uid: nts.uid,
        };
        Ok((request, b.finish()))
    }

    /// Checks the NTS protection of `reply` (RFC 8915 §5.7): our unique
    /// identifier, the authenticator under `s2c`; gives each new cookie to
    /// `cookie` (decrypted into `plain`) and returns the reply up to its
    /// authenticator. A stratum-0 reply with the auth-NAK flag, our cookie
    /// and our identifier is [`NtsError::Nak`].
    pub fn open<'a>(
        &self,
        reply: &'a [u8],
        s2c: &Key,
        plain: &mut [u8],
        mut cookie: impl FnMut(&[u8]),
    ) -> Result<&'a [u8], NtsError> {
        let packet = Packet::decode(reply).map_err(|_| NtsError::Malformed)?;
        if packet.header.client_cookie != self.request.cookie {
            return Err(NtsError::UidMismatch);
        }
        let s = scan(&packet)?;
        match s.uid {
            None => return Err(NtsError::MissingField),
            Some(uid) if uid != self.uid => return Err(NtsError::UidMismatch),
            Some(_) => {}
        }
        let Some((offset, auth)) = s.auth else {
            let h = packet.header;
            if h.stratum == 0 && h.flags.auth_nak() {
                return Err(NtsError::Nak);
            }
            return Err(NtsError::MissingField);
        };
        let authenticated = reply.get(..offset).ok_or(NtsError::Malformed)?;
        let n = s2c.open(authenticated, auth.nonce, auth.ciphertext, plain)?;
        let fields = Fields::new(&plain[..n], 0).map_err(|_| NtsError::Malformed)?;
        for (_, f) in fields.iter() {
            if f.field_type == NTS_COOKIE && f.data.len() <= MAX_COOKIE_LEN {
                cookie(f.data);
            }
        }
        Ok(authenticated)
    }

    /// [`NtsV5Request::open`], then the NTPv5 checks and the sample of
    /// [`V5Request::complete`] over the authenticated part only.
    pub fn complete<'a>(
        &self,
        reply: &'a [u8],
        t1: tempora_clock::Time,
        t4: tempora_clock::Time,
        s2c: &Key,
        plain: &mut [u8],
        cookie: impl FnMut(&[u8]),
    ) -> Result<V5Reply<'a>, NtsV5Error> {
        let authenticated = self
            .open(reply, s2c, plain, cookie)
            .map_err(NtsV5Error::Nts)?;
        self.request
            .complete(authenticated, t1, t4)
            .map_err(NtsV5Error::Reply)
    }
}

#[cfg(test)]
mod tests;
