//! One line of a key file in chrony's format (chrony.conf(5), `keyfile`):
//! `ID [TYPE] KEY`, the key as ASCII (optionally `ASCII:`) or `HEX:`
//! digits; a line whose first non-blank character is `#`, `;`, `!` or `%`
//! is a comment. The caller reads the file and counts the lines.

use zeroize::Zeroizing;

use super::key::{KeyType, MAX_SECRET_LEN, SymmetricKey};

/// The longest line accepted (chrony's limit).
pub const MAX_LINE_LEN: usize = 2047;

/// Keys shorter than this many octets (80 bits) are weak: the caller warns
/// (as chronyd does).
pub const SHORT_KEY_LEN: usize = 10;

/// Which key types are accepted beyond AES-CMAC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyPolicy {
    /// Accept `SHA1` keys (deprecated by RFC 8573; for peers that have
    /// nothing better).
    pub legacy_sha1: bool,
}

/// Why a line of a key file is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFileError {
    /// Longer than [`MAX_LINE_LEN`].
    LineTooLong,
    /// Not two or three words (`ID [TYPE] KEY`).
    Syntax,
    /// The identifier is not an integer from 1 to 2^32-1.
    BadId,
    /// An MD5 key (named, or by default when the type is left out):
    /// refused (RFC 8573 §3).
    Md5Refused,
    /// A SHA1 key without the legacy policy.
    Sha1NeedsLegacy,
    /// A type that is not AES128, AES256 or SHA1.
    UnsupportedType,
    /// `HEX:` with something other than an even number of hex digits.
    BadHex,
    /// An empty key.
    EmptyKey,
    /// A key longer than [`MAX_SECRET_LEN`] octets.
    KeyTooLong,
    /// A key whose length does not match its cipher (16 octets for AES128,
    /// 32 for AES256).
    WrongKeyLength {
        /// The length the type needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
}

impl core::fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            KeyFileError::LineTooLong => write!(f, "line longer than {MAX_LINE_LEN} characters"),
            KeyFileError::Syntax => f.write_str("expected `ID [TYPE] KEY`"),
            KeyFileError::BadId => f.write_str("key id must be an integer from 1 to 4294967295"),
            KeyFileError::Md5Refused => f.write_str(
                "MD5 keys are refused (RFC 8573; MD5 is also the type when none is given): use AES128",
            ),
            KeyFileError::Sha1NeedsLegacy => {
                f.write_str("SHA1 keys need `legacy-sha1 = true` (RFC 8573 recommends AES128)")
            }
            KeyFileError::UnsupportedType => {
                f.write_str("unsupported key type: expected AES128, AES256 or SHA1")
            }
            KeyFileError::BadHex => f.write_str("HEX: key is not an even number of hex digits"),
            KeyFileError::EmptyKey => f.write_str("empty key"),
            KeyFileError::KeyTooLong => write!(f, "key longer than {MAX_SECRET_LEN} octets"),
            KeyFileError::WrongKeyLength { expected, got } => {
                write!(f, "key is {got} octets; its type needs {expected}")
            }
        }
    }
}

impl core::error::Error for KeyFileError {}

/// Reads one line of a key file: `Ok(None)` for a blank line or a
/// comment, the key, or why the line is refused.
pub fn parse_line(line: &str, policy: KeyPolicy) -> Result<Option<SymmetricKey>, KeyFileError> {
    if line.len() > MAX_LINE_LEN {
        return Err(KeyFileError::LineTooLong);
    }
    let line = line.trim();
    if line.is_empty() || line.starts_with(['#', ';', '!', '%']) {
        return Ok(None);
    }
    let mut words = line.split_ascii_whitespace();
    let (id, first, second) = (words.next(), words.next(), words.next());
    let (Some(id), Some(first), None) = (id, first, words.next()) else {
        return Err(KeyFileError::Syntax);
    };
    let id = parse_id(id)?;
    let (kind, key) = match second {
        Some(key) => (parse_type(first, policy)?, key),
        // chrony's default type.
        None => return Err(KeyFileError::Md5Refused),
    };
    let mut secret = Zeroizing::new([0u8; MAX_SECRET_LEN]);
    let len = decode_key(key, &mut secret)?;
    if let Some(expected) = kind.secret_len().filter(|n| *n != len) {
        return Err(KeyFileError::WrongKeyLength { expected, got: len });
    }
    let secret = secret.get(..len).ok_or(KeyFileError::KeyTooLong)?;
    SymmetricKey::new(id, kind, secret)
        .map(Some)
        .ok_or(KeyFileError::EmptyKey)
}

/// An identifier: decimal digits only, 1 to 2^32-1.
fn parse_id(word: &str) -> Result<u32, KeyFileError> {
    if !word.bytes().all(|b| b.is_ascii_digit()) {
        return Err(KeyFileError::BadId);
    }
    match word.parse::<u32>() {
        Ok(id) if id != 0 => Ok(id),
        _ => Err(KeyFileError::BadId),
    }
}

/// A type name, in any case.
fn parse_type(word: &str, policy: KeyPolicy) -> Result<KeyType, KeyFileError> {
    if word.eq_ignore_ascii_case("AES128") {
        Ok(KeyType::Aes128)
    } else if word.eq_ignore_ascii_case("AES256") {
        Ok(KeyType::Aes256)
    } else if word.eq_ignore_ascii_case("SHA1") {
        if policy.legacy_sha1 {
            Ok(KeyType::Sha1)
        } else {
            Err(KeyFileError::Sha1NeedsLegacy)
        }
    } else if word.eq_ignore_ascii_case("MD5") {
        Err(KeyFileError::Md5Refused)
    } else {
        Err(KeyFileError::UnsupportedType)
    }
}

/// The key's octets into `out`: `HEX:` digits, or ASCII (with or without
/// `ASCII:`). Returns the length.
fn decode_key(word: &str, out: &mut [u8; MAX_SECRET_LEN]) -> Result<usize, KeyFileError> {
    let len = if let Some(hex) = word.strip_prefix("HEX:") {
        decode_hex(hex, out)?
    } else {
        let ascii = word.strip_prefix("ASCII:").unwrap_or(word).as_bytes();
        out.get_mut(..ascii.len())
            .ok_or(KeyFileError::KeyTooLong)?
            .copy_from_slice(ascii);
        ascii.len()
    };
    if len == 0 {
        return Err(KeyFileError::EmptyKey);
    }
    Ok(len)
}

/// Hex digits (either case) into `out`.
fn decode_hex(hex: &str, out: &mut [u8]) -> Result<usize, KeyFileError> {
    let digits = hex.as_bytes();
    if digits.len() % 2 != 0 {
        return Err(KeyFileError::BadHex);
    }
    let len = digits.len() / 2;
    let out = out.get_mut(..len).ok_or(KeyFileError::KeyTooLong)?;
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (Some(hi), Some(lo)) = (nibble(pair.first()), nibble(pair.get(1))) else {
            return Err(KeyFileError::BadHex);
        };
        *o = (hi << 4) | lo;
    }
    Ok(len)
}

fn nibble(c: Option<&u8>) -> Option<u8> {
    let c = char::from(*c?);
    c.to_digit(16).and_then(|d| u8::try_from(d).ok())
}
