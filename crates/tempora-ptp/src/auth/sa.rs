//! Security associations (IEEE 1588-2019 §16.14.2, Annex P.2) and linuxptp's
//! `sa_file` format that holds them.
//!
//! The format (ptp4l(8), "SECURITY ASSOCIATION OPTIONS"): `#` starts a
//! comment line; `[security_association]` opens a section; in it `spp N`
//! (0–255) comes first, then any of `seqid_window N` (0–32767, default 3),
//! `allow_mutable 0|1`, `seqnum_length 0`, `res_length 0`, and key lines
//! `ID TYPE [LENGTH] VALUE`: ID 1–2^32−1, TYPE one of `SHA256-128`,
//! `SHA256`, `AES128`, `AES256`, an optional LENGTH in octets the key must
//! have, and VALUE as `HEX:…`, `B64:…`, `ASCII:…` or plain ASCII.
//!
//! Where linuxptp logs a bad line and drops the association, Tempora refuses
//! the whole file with the line number: a key that silently goes missing
//! would leave a port unable to authenticate.

use alloc::vec::Vec;
use core::fmt;

/// An integrity algorithm of a key (IEEE 1588-2019 §P.3.2; the four
/// linuxptp 4.x offers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `SHA256-128`: HMAC-SHA256 (RFC 2104, FIPS 180-4) truncated to 16 octets.
    HmacSha256_128,
    /// `SHA256`: HMAC-SHA256, all 32 octets.
    HmacSha256,
    /// `AES128`: AES-CMAC (RFC 4493) with a 16-octet key; 16-octet ICV.
    CmacAes128,
    /// `AES256`: AES-CMAC with a 32-octet key; 16-octet ICV.
    CmacAes256,
}

impl Algorithm {
    /// The algorithm of a `sa_file` type name (case-insensitive, as linuxptp).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Algorithm::HmacSha256_128,
            Algorithm::HmacSha256,
            Algorithm::CmacAes128,
            Algorithm::CmacAes256,
        ]
        .into_iter()
        .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The `sa_file` name.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256_128 => "SHA256-128",
            Algorithm::HmacSha256 => "SHA256",
            Algorithm::CmacAes128 => "AES128",
            Algorithm::CmacAes256 => "AES256",
        }
    }

    /// Length of the ICV in octets.
    pub fn icv_len(self) -> usize {
        match self {
            Algorithm::HmacSha256 => 32,
            _ => 16,
        }
    }

    /// The key length the algorithm requires, if fixed (the ciphers).
    pub fn key_len(self) -> Option<usize> {
        match self {
            Algorithm::CmacAes128 => Some(16),
            Algorithm::CmacAes256 => Some(32),
            _ => None,
        }
    }
}

/// A key of a security association (IEEE 1588-2019 §P.2.1).
#[derive(Clone, PartialEq, Eq)]
pub struct SaKey {
    /// `keyID` (§16.14.3.4), 1–2^32−1.
    pub id: u32,
    /// The integrity algorithm.
    pub algorithm: Algorithm,
    secret: Vec<u8>,
}

impl SaKey {
    /// A key; `None` if the secret is empty or has the wrong length for
    /// the algorithm, or the id is 0.
    pub fn new(id: u32, algorithm: Algorithm, secret: Vec<u8>) -> Option<Self> {
        let length_ok = algorithm.key_len().is_none_or(|n| n == secret.len());
        (id != 0 && !secret.is_empty() && length_ok).then_some(SaKey {
            id,
            algorithm,
            secret,
        })
    }

    /// The secret octets.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl fmt::Debug for SaKey {
    /// Never prints the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaKey")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A security association (IEEE 1588-2019 §P.2.1): what a port with this
/// SPP sends and accepts. Only immediate processing without the optional
/// sequenceNo and RES fields is supported, as in linuxptp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityAssociation {
    /// `SPP` (§16.14.3.2).
    pub spp: u8,
    /// How far a Sync or Follow_Up's sequenceId may advance past the last
    /// one used before it counts as a replay; 0 turns the check off.
    pub seqid_window: u16,
    /// Compute ICVs with correctionField zeroed, so that transparent
    /// clocks without the key may change it (linuxptp's `allow_mutable`).
    pub allow_mutable: bool,
    /// The keys, by id.
    pub keys: Vec<SaKey>,
}

impl SecurityAssociation {
    /// An association with linuxptp's defaults (window 3, correction
    /// protected) and no keys.
    pub fn new(spp: u8) -> Self {
        SecurityAssociation {
            spp,
            seqid_window: 3,
            allow_mutable: false,
            keys: Vec::new(),
        }
    }

    /// The key with id `id`.
    pub fn key(&self, id: u32) -> Option<&SaKey> {
        self.keys.iter().find(|k| k.id == id)
    }
}

/// The security association database (IEEE 1588-2019 §P.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SaDatabase {
    /// The associations, by SPP.
    pub associations: Vec<SecurityAssociation>,
}

impl SaDatabase {
    /// The association with SPP `spp`.
    pub fn get(&self, spp: u8) -> Option<&SecurityAssociation> {
        self.associations.iter().find(|a| a.spp == spp)
    }

    /// Parses a `sa_file`; see the module docs for the format.
    pub fn parse(text: &str) -> Result<Self, SaFileError> {
        let mut db = SaDatabase::default();
        let mut in_section = false;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let err = |kind| SaFileError { line, kind };
            let content = raw.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if content.eq_ignore_ascii_case("[security_association]") {
                in_section = true;
                continue;
            }
            if !in_section {
                return Err(err(SaErrorKind::OutsideSection));
            }
            db.parse_line(content).map_err(err)?;
        }
        Ok(db)
    }

    fn parse_line(&mut self, content: &str) -> Result<(), SaErrorKind> {
        let tokens: Vec<&str> = content.split_ascii_whitespace().collect();
        let number = |max: u64| -> Result<u64, SaErrorKind> {
            match tokens.as_slice() {
                [_, v] => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or(SaErrorKind::OutOfRange),
                _ => Err(SaErrorKind::Syntax),
            }
        };
        let keyword = tokens.first().copied().unwrap_or("");
        if keyword == "spp" {
            let spp = u8::try_from(number(255)?).map_err(|_| SaErrorKind::OutOfRange)?;
            if self.get(spp).is_some() {
                return Err(SaErrorKind::DuplicateSpp(spp));
            }
            self.associations.push(SecurityAssociation::new(spp));
            return Ok(());
        }
        // Every other line belongs to the association the last `spp` opened.
        let Some(sa) = self.associations.last_mut() else {
            return Err(SaErrorKind::MissingSpp);
        };
        match keyword {
            "seqid_window" => sa.seqid_window = number(32767)? as u16,
            "allow_mutable" => sa.allow_mutable = number(1)? == 1,
            "seqnum_length" | "res_length" => {
                if number(u64::from(u16::MAX))? != 0 {
                    return Err(SaErrorKind::Unsupported);
                }
            }
            _ => parse_key(sa, &tokens)?,
        }
        Ok(())
    }
}

/// A key line: `ID TYPE [LENGTH] VALUE`.
fn parse_key(sa: &mut SecurityAssociation, tokens: &[&str]) -> Result<(), SaErrorKind> {
    let (id, name, length, value) = match tokens {
        [id, name, value] => (*id, *name, None, *value),
        [id, name, length, value] => (*id, *name, Some(*length), *value),
        _ => return Err(SaErrorKind::Syntax),
    };
    let id = id
        .parse::<u32>()
        .ok()
        .filter(|&n| n != 0)
        .ok_or(SaErrorKind::BadKeyId)?;
    let algorithm = Algorithm::from_name(name).ok_or(SaErrorKind::UnknownAlgorithm)?;
    let secret = decode_secret(value).ok_or(SaErrorKind::BadKeyValue)?;
    if let Some(length) = length {
        let length = length.parse::<usize>().map_err(|_| SaErrorKind::Syntax)?;
        if length != secret.len() {
            return Err(SaErrorKind::KeyLength(secret.len()));
        }
    }
    if sa.key(id).is_some() {
        return Err(SaErrorKind::DuplicateKeyId(id));
    }
    let length = secret.len();
    let key = SaKey::new(id, algorithm, secret).ok_or(SaErrorKind::KeyLength(length))?;
    sa.keys.push(key);
    Ok(())
}

/// A key value: `HEX:`, `B64:`, `ASCII:` or plain ASCII.
fn decode_secret(value: &str) -> Option<Vec<u8>> {
    if let Some(hex) = value.strip_prefix("HEX:") {
        decode_hex(hex)
    } else if let Some(b64) = value.strip_prefix("B64:") {
        decode_base64(b64)
    } else {
        Some(
            value
                .strip_prefix("ASCII:")
                .unwrap_or(value)
                .as_bytes()
                .to_vec(),
        )
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let s = core::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

/// Base64 (RFC 4648 §4), with padding.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let groups = bytes.len() / 4;
    for (g, chunk) in bytes.chunks_exact(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && g + 1 != groups) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | sextet(c)?;
        }
        n <<= 6 * pad as u32;
        let octets = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&octets[..3 - pad]);
    }
    Some(out)
}

/// A `sa_file` error: the line (from 1) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaFileError {
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub kind: SaErrorKind,
}

/// What is wrong with a `sa_file` line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaErrorKind {
    /// A line before the first `[security_association]`.
    OutsideSection,
    /// A setting or key before the section's `spp` line.
    MissingSpp,
    /// A line that is not `KEYWORD VALUE` or `ID TYPE [LENGTH] VALUE`.
    Syntax,
    /// A number out of its range.
    OutOfRange,
    /// An SPP given twice.
    DuplicateSpp(u8),
    /// A key id given twice in one association.
    DuplicateKeyId(u32),
    /// A key id that is not 1–2^32−1.
    BadKeyId,
    /// A key type other than SHA256-128, SHA256, AES128, AES256.
    UnknownAlgorithm,
    /// A key value that does not decode (bad hex or Base64).
    BadKeyValue,
    /// A key of this many octets, which its LENGTH or algorithm refuses.
    KeyLength(usize),
    /// A non-zero `seqnum_length` or `res_length` (not in IEEE 1588-2019).
    Unsupported,
}

impl fmt::Display for SaErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaErrorKind::OutsideSection => write!(f, "expected [security_association] first"),
            SaErrorKind::MissingSpp => write!(f, "the association has no spp line yet"),
            SaErrorKind::Syntax => {
                write!(
                    f,
                    "expected 'KEYWORD VALUE' or a key 'ID TYPE [LENGTH] VALUE'"
                )
            }
            SaErrorKind::OutOfRange => write!(f, "value out of range"),
            SaErrorKind::DuplicateSpp(s) => write!(f, "spp {s} defined twice"),
            SaErrorKind::DuplicateKeyId(k) => write!(f, "key id {k} defined twice"),
            SaErrorKind::BadKeyId => write!(f, "key id must be 1 to 4294967295"),
            SaErrorKind::UnknownAlgorithm => {
                write!(f, "key type must be SHA256-128, SHA256, AES128 or AES256")
            }
            SaErrorKind::BadKeyValue => write!(f, "key value does not decode (HEX: or B64:)"),
            SaErrorKind::KeyLength(n) => {
                write!(f, "key of {n} octets does not match its length or cipher")
            }
            SaErrorKind::Unsupported => {
                write!(f, "seqnum_length and res_length must be 0 (as in linuxptp)")
            }
        }
    }
}

impl fmt::Display for SaFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

impl core::error::Error for SaFileError {}
