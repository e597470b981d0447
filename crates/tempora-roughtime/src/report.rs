//! The malfeasance report (RFC 10049 §8.4.1), media type
//! application/roughtime-malfeasance+json: {"responses": [{"rand",
//! "publicKey", "request", "response"}, ...]} in the order received, every
//! value base64; "rand" omitted for a first link with a random nonce.

use alloc::string::String;
use core::fmt::Write;

use crate::base64;
use crate::chain::Chain;

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
