//! The daemon's reply to a control request: one JSON datagram.

use serde::{Deserialize, Serialize};

/// What became of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Not a valid request (malformed, wrong version, out of range).
    Malformed,
    /// Refused: the socket is the read-only status socket.
    Refused,
    /// Valid, but could not be carried out (no such source, ...).
    Failed,
}

/// A reply: the outcome and what was done, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The request format version of the daemon.
    pub version: u32,
    /// The outcome.
    pub outcome: Outcome,
    /// What was done, or why not, for a person.
    pub message: String,
}

impl Reply {
    /// A reply of `outcome` saying `message`.
    pub fn new(outcome: Outcome, message: impl Into<String>) -> Reply {
        Reply {
            version: crate::request::VERSION,
            outcome,
            message: message.into(),
        }
    }

    /// Its datagram.
    pub fn encode(&self) -> Vec<u8> {
        // A struct of strings and numbers always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a reply (the client's side).
    pub fn decode(data: &[u8]) -> Result<Reply, serde_json::Error> {
        serde_json::from_slice(data)
    }
}
