//! The malfeasance report (RFC 10049 §8.4.1), media type
//! application/roughtime-malfeasance+json: {"responses": [{"rand",
//! "publicKey", "request", "response"}, ...]} in the order received, every
//! value base64; "rand" omitted for a first link with a random nonce.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

use crate::base64;
use crate::chain::{Chain, ChainError};

/// The report's media type (RFC 10049 §8.4.1).
pub const MEDIA_TYPE: &str = "application/roughtime-malfeasance+json";

/// The chain as a malfeasance report (compact JSON).
pub fn to_json(chain: &Chain) -> String {
    let mut out = String::from("{\"responses\":[");
    for (i, link) in chain.links().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        if let Some(rand) = &link.rand {
            let _ = write!(out, "\"rand\":\"{}\",", base64::encode(rand));
        }
        let _ = write!(
            out,
            "\"publicKey\":\"{}\",\"request\":\"{}\",\"response\":\"{}\"}}",
            base64::encode(&link.public_key),
            base64::encode(&link.request),
            base64::encode(&link.response)
        );
    }
    out.push_str("]}");
    out
}

/// Why a report does not load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportError {
    /// Not the JSON shape of RFC 10049 §8.4.1 (at byte offset).
    Syntax(usize),
    /// A value is not base64 of the right length.
    BadValue,
    /// A key is missing from a response object.
    MissingKey,
    /// Link `0` does not verify or is not chained.
    Chain(usize, ChainError),
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::Syntax(at) => write!(f, "not a malfeasance report (byte {at})"),
            ReportError::BadValue => f.write_str("a value is not base64 of the right length"),
            ReportError::MissingKey => f.write_str("a response object lacks a key"),
            ReportError::Chain(i, e) => write!(f, "response {i}: {e}"),
        }
    }
}

impl core::error::Error for ReportError {}

/// One response object, decoded.
#[derive(Default)]
struct Entry {
    rand: Option<[u8; 32]>,
    public_key: Option<[u8; 32]>,
    request: Option<Vec<u8>>,
    response: Option<Vec<u8>>,
}

/// A minimal reader for the report's JSON: objects, arrays and strings
/// without escapes (base64 needs none); whitespace allowed anywhere.
struct Reader<'a> {
    s: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), ReportError> {
        self.skip_ws();
        match self.s.get(self.at) {
            Some(&b) if b == c => {
                self.at += 1;
                Ok(())
            }
            _ => Err(ReportError::Syntax(self.at)),
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.at).copied()
    }

    fn string(&mut self) -> Result<&str, ReportError> {
        self.eat(b'"')?;
        let start = self.at;
        let len = self.s[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\')
            .ok_or(ReportError::Syntax(start))?;
        self.at = start + len;
        self.eat(b'"')?;
        core::str::from_utf8(&self.s[start..start + len]).map_err(|_| ReportError::Syntax(start))
    }

    /// `{ "k": "v", ... }` calling `field` for each pair.
    fn object(
        &mut self,
        mut field: impl FnMut(&str, &mut Self) -> Result<(), ReportError>,
    ) -> Result<(), ReportError> {
        self.eat(b'{')?;
        if self.peek() == Some(b'}') {
            return self.eat(b'}');
        }
        loop {
            let key = String::from(self.string()?);
            self.eat(b':')?;
            field(&key, self)?;
            match self.peek() {
                Some(b',') => self.eat(b',')?,
                _ => return self.eat(b'}'),
            }
        }
    }
}

fn key32(text: &str) -> Result<[u8; 32], ReportError> {
    base64::decode(text)
        .and_then(|v| v.try_into().ok())
        .ok_or(ReportError::BadValue)
}

fn entry(r: &mut Reader<'_>) -> Result<Entry, ReportError> {
    let mut e = Entry::default();
    r.object(|key, r| {
        let value = r.string()?;
        match key {
            "rand" => e.rand = Some(key32(value)?),
            "publicKey" => e.public_key = Some(key32(value)?),
            "request" => e.request = Some(base64::decode(value).ok_or(ReportError::BadValue)?),
            "response" => e.response = Some(base64::decode(value).ok_or(ReportError::BadValue)?),
            _ => {}
        }
        Ok(())
    })?;
    Ok(e)
}

fn entries(r: &mut Reader<'_>) -> Result<Vec<Entry>, ReportError> {
    let mut out = Vec::new();
    r.eat(b'[')?;
    if r.peek() == Some(b']') {
        r.eat(b']')?;
        return Ok(out);
    }
    loop {
        out.push(entry(r)?);
        match r.peek() {
            Some(b',') => r.eat(b',')?,
            _ => {
                r.eat(b']')?;
                return Ok(out);
            }
        }
    }
}

/// Reads a malfeasance report (as [`to_json`] writes it, or another
/// client's without unknown non-string members) and verifies it again:
/// every signature, every chained nonce. The chain's
/// [`Chain::malfeasance`] then says whether it proves a lie.
pub fn from_json(text: &str) -> Result<Chain, ReportError> {
    let mut r = Reader {
        s: text.as_bytes(),
        at: 0,
    };
    let mut list = None;
    r.object(|key, r| match key {
        "responses" => {
            list = Some(entries(r)?);
            Ok(())
        }
        _ => r.string().map(|_| ()),
    })?;
    r.skip_ws();
    if r.at != text.len() {
        return Err(ReportError::Syntax(r.at));
    }
    let list = list.ok_or(ReportError::MissingKey)?;
    let mut parts = Vec::with_capacity(list.len());
    for e in &list {
        match (e.public_key, &e.request, &e.response) {
            (Some(k), Some(req), Some(resp)) => parts.push((e.rand, k, &req[..], &resp[..])),
            _ => return Err(ReportError::MissingKey),
        }
    }
    Chain::from_parts(parts).map_err(|(i, e)| ReportError::Chain(i, e))
}
