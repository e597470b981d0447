//! PTP integrity protection with the AUTHENTICATION TLV (IEEE 1588-2019
//! §16.14, Annex P), as linuxptp 4.x implements it: immediate processing
//! (§16.14.2.2; no delayed disclosure), no sequenceNo or RES fields, the
//! TLV last in the message, its ICV over every octet before the ICV.
//!
//! * [`sa`]: security associations and linuxptp's `sa_file` format.
//! * [`verify`]: checks every AUTHENTICATION TLV of a received message.
//! * [`append`]: adds one to a message to send.
//! * [`update`]: recomputes the ICVs of a message whose correctionField a
//!   transparent clock changed.
//! * [`seqid_in_window`]: the sequenceId replay window for Sync and
//!   Follow_Up.
//!
//! All of it works on octets, without I/O; the engine calls it for ports
//! that have an SPP, and `tempora inspect --sa-file` for captures.

mod icv;
pub mod sa;

use alloc::vec::Vec;
use core::fmt;

pub use icv::MAX_ICV_LEN;
pub use sa::{Algorithm, SaDatabase, SaErrorKind, SaFileError, SaKey, SecurityAssociation};

use crate::wire::tlv::{AuthenticationTlv, RawTlvs, sec_param, tlv_type};
use crate::wire::{Body, Header, Message};

/// Why a message fails authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The message does not decode.
    Malformed,
    /// It has no AUTHENTICATION TLV.
    Missing,
    /// Another TLV follows the last AUTHENTICATION TLV.
    NotLast,
    /// Its SPP is not the port's, or not in the database.
    UnknownSpp(u8),
    /// Its secParamIndicator asks for delayed processing, sequenceNo or RES.
    UnsupportedSecParam(u8),
    /// Its keyID is not in the association.
    UnknownKey(u32),
    /// Its length does not match the key's ICV.
    WrongLength,
    /// The ICV does not check out.
    BadIcv,
    /// A Sync or Follow_Up whose sequenceId is outside the replay window.
    Replay {
        /// The last sequenceId used.
        last: u16,
        /// The one received.
        received: u16,
    },
    /// The message would grow beyond 65535 octets.
    TooLong,
    /// [`append`]: the message already carries an AUTHENTICATION TLV.
    AlreadySigned,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Malformed => write!(f, "message does not decode"),
            AuthError::Missing => write!(f, "no AUTHENTICATION TLV"),
            AuthError::NotLast => write!(f, "a TLV follows the AUTHENTICATION TLV"),
            AuthError::UnknownSpp(s) => write!(f, "unknown spp {s}"),
            AuthError::UnsupportedSecParam(p) => {
                write!(f, "secParamIndicator {p:#04x} (only immediate, no options)")
            }
            AuthError::UnknownKey(k) => write!(f, "unknown key id {k}"),
            AuthError::WrongLength => write!(f, "TLV length does not match the key's ICV"),
            AuthError::BadIcv => write!(f, "ICV does not match"),
            AuthError::Replay { last, received } => {
                write!(
                    f,
                    "sequenceId {received} outside the replay window after {last}"
                )
            }
            AuthError::TooLong => write!(f, "message too long for an AUTHENTICATION TLV"),
            AuthError::AlreadySigned => write!(f, "message already has an AUTHENTICATION TLV"),
        }
    }
}

impl core::error::Error for AuthError {}

/// What a message that passed [`verify`] was authenticated with: the last
/// AUTHENTICATION TLV's SPP and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Its SPP.
    pub spp: u8,
    /// Its keyID.
    pub key_id: u32,
    /// How many AUTHENTICATION TLVs the message carried (all checked).
    pub count: usize,
}

/// An AUTHENTICATION TLV located in a message.
#[derive(Debug, Clone, Copy)]
struct Located<'a> {
    tlv: AuthenticationTlv<'a>,
    /// Offset of the ICV field from the start of the message.
    icv_offset: usize,
}

/// The AUTHENTICATION TLVs of one message (`messageLength` octets; a
/// trailer after it is ignored), with the type of its last TLV.
fn locate(data: &[u8]) -> Result<(Vec<Located<'_>>, Option<u16>), AuthError> {
    let msg = Message::decode(data).map_err(|_| AuthError::Malformed)?;
    let start = Header::LEN + msg.body.encoded_len();
    let end = msg.message_length();
    let suffix = data.get(start..end).ok_or(AuthError::Malformed)?;
    let mut found = Vec::new();
    let mut last = None;
    let mut offset = start;
    for tlv in RawTlvs::new(suffix) {
        let tlv = tlv.map_err(|_| AuthError::Malformed)?;
        last = Some(tlv.tlv_type);
        if tlv.tlv_type == tlv_type::AUTHENTICATION {
            let auth =
                AuthenticationTlv::decode_value(tlv.value).map_err(|_| AuthError::WrongLength)?;
            found.push(Located {
                tlv: auth,
                icv_offset: offset + 4 + AuthenticationTlv::FIXED_LEN,
            });
        }
        offset += tlv.encoded_len();
    }
    Ok((found, last))
}

/// The association and key a TLV names, checked against them.
fn resolve<'d>(
    db: &'d SaDatabase,
    port_spp: Option<u8>,
    tlv: &AuthenticationTlv<'_>,
) -> Result<(&'d SecurityAssociation, &'d SaKey), AuthError> {
    if port_spp.is_some_and(|s| s != tlv.spp) {
        return Err(AuthError::UnknownSpp(tlv.spp));
    }
    let sa = db.get(tlv.spp).ok_or(AuthError::UnknownSpp(tlv.spp))?;
    let options = sec_param::RES_PRESENT | sec_param::SEQUENCE_NO_PRESENT | sec_param::DELAYED;
    if tlv.sec_param_indicator & options != 0 {
        return Err(AuthError::UnsupportedSecParam(tlv.sec_param_indicator));
    }
    let key = sa
        .key(tlv.key_id)
        .ok_or(AuthError::UnknownKey(tlv.key_id))?;
    if tlv.rest.len() != key.algorithm.icv_len() {
        return Err(AuthError::WrongLength);
    }
    Ok((sa, key))
}

/// Checks every AUTHENTICATION TLV of the message in `data` (§16.14.3,
/// Annex P.3): at least one, the last TLV an AUTHENTICATION TLV, each
/// naming `port_spp` (any SPP of `db` if `None`) and a key of it, and each
/// ICV right. The sequenceId window is the caller's ([`seqid_in_window`]).
pub fn verify(db: &SaDatabase, port_spp: Option<u8>, data: &[u8]) -> Result<Verified, AuthError> {
    let (found, last) = locate(data)?;
    let Some(final_tlv) = found.last() else {
        return Err(AuthError::Missing);
    };
    if last != Some(tlv_type::AUTHENTICATION) {
        return Err(AuthError::NotLast);
    }
    for located in &found {
        let (sa, key) = resolve(db, port_spp, &located.tlv)?;
        let covered = data.get(..located.icv_offset).ok_or(AuthError::Malformed)?;
        if !icv::verify(key, covered, sa.allow_mutable, located.tlv.rest) {
            return Err(AuthError::BadIcv);
        }
    }
    Ok(Verified {
        spp: final_tlv.tlv.spp,
        key_id: final_tlv.tlv.key_id,
        count: found.len(),
    })
}

/// Appends an AUTHENTICATION TLV with key `key_id` of `sa` to `message`
/// (exactly one encoded message, no trailer, of a defined message type:
/// a reserved type has no TLV suffix to put it in; none there yet, see
/// [`update`] for those), fixing messageLength, and fills in its ICV.
pub fn append(
    sa: &SecurityAssociation,
    key_id: u32,
    message: &mut Vec<u8>,
) -> Result<(), AuthError> {
    let decoded = Message::decode(message).map_err(|_| AuthError::Malformed)?;
    if matches!(decoded.body, Body::Reserved(_)) || decoded.message_length() != message.len() {
        return Err(AuthError::Malformed);
    }
    if !locate(message)?.0.is_empty() {
        return Err(AuthError::AlreadySigned);
    }
    let key = sa.key(key_id).ok_or(AuthError::UnknownKey(key_id))?;
    let icv_len = key.algorithm.icv_len();
    let value_len = AuthenticationTlv::FIXED_LEN + icv_len;
    let total = u16::try_from(message.len() + 4 + value_len).map_err(|_| AuthError::TooLong)?;
    let length = message.get_mut(2..4).ok_or(AuthError::Malformed)?;
    length.copy_from_slice(&total.to_be_bytes());
    message.extend_from_slice(&tlv_type::AUTHENTICATION.to_be_bytes());
    message.extend_from_slice(&(value_len as u16).to_be_bytes());
    message.push(sa.spp);
    message.push(0); // secParamIndicator: immediate, no sequenceNo, no RES
    message.extend_from_slice(&key_id.to_be_bytes());
    let mut out = [0u8; MAX_ICV_LEN];
    let n = icv::compute(key, message, sa.allow_mutable, &mut out).ok_or(AuthError::BadIcv)?;
    message.extend_from_slice(out.get(..n).ok_or(AuthError::BadIcv)?);
    Ok(())
}

/// Recomputes the ICV of every AUTHENTICATION TLV in `message` whose SPP
/// and key are in `db`, after a transparent clock changed correctionField
/// (as linuxptp's `sad_update_auth_tlv`). Returns how many it updated.
pub fn update(db: &SaDatabase, message: &mut [u8]) -> Result<usize, AuthError> {
    let targets: Vec<(usize, usize, u8, u32)> = {
        let (found, _) = locate(message)?;
        found
            .iter()
            .map(|l| (l.icv_offset, l.tlv.rest.len(), l.tlv.spp, l.tlv.key_id))
            .collect()
    };
    let mut updated = 0;
    for (offset, len, spp, key_id) in targets {
        let sa = db.get(spp).ok_or(AuthError::UnknownSpp(spp))?;
        let key = sa.key(key_id).ok_or(AuthError::UnknownKey(key_id))?;
        if len != key.algorithm.icv_len() {
            return Err(AuthError::WrongLength);
        }
        let mut out = [0u8; MAX_ICV_LEN];
        let covered = message.get(..offset).ok_or(AuthError::Malformed)?;
        icv::compute(key, covered, sa.allow_mutable, &mut out).ok_or(AuthError::BadIcv)?;
        let field = message
            .get_mut(offset..offset + len)
            .ok_or(AuthError::Malformed)?;
        field.copy_from_slice(out.get(..len).ok_or(AuthError::BadIcv)?);
        updated += 1;
    }
    Ok(updated)
}

/// The sequenceId replay window for Sync and Follow_Up (linuxptp's
/// `seqid_window`): after `last` was used, `received` is accepted if it is
/// 1 to `window` ahead (modulo 2^16). A `window` of 0 or no `last` yet
/// accepts anything.
pub fn seqid_in_window(last: Option<u16>, received: u16, window: u16) -> bool {
    match last {
        None => true,
        Some(_) if window == 0 => true,
        Some(last) => (1..=window).contains(&received.wrapping_sub(last)),
    }
}

#[cfg(test)]
mod tests;
