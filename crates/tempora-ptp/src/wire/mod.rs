//! The PTP wire format (IEEE 1588-2019 §13–§16 and Annexes C–E).
//!
//! Decoding follows smoltcp's Repr style: [`Message::decode`] checks every
//! length once and returns a value that borrows the input; no accessor can
//! panic afterwards. Encoding writes into a caller's buffer. For any input
//! that decodes, encoding reproduces it byte for byte: reserved fields,
//! unknown TLVs and trailing bytes are all kept.

mod cursor;
mod error;
pub mod framing;
mod header;
mod message;
pub mod tlv;
mod types;

pub use error::{Error, Result};
pub use header::{Flags, Header, MessageType, control_field_for};
pub use message::{AnnounceBody, Body, ManagementBody, Message, Suffix, TlvIter, fixed_body_len};
pub use types::{ClockIdentity, ClockQuality, PortIdentity, PtpText, TimeInterval, Timestamp};
