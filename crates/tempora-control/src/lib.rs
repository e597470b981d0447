//! # tempora-control
//!
//! The control protocol of `tempora ctl`: one datagram per request on the
//! daemon's Unix control socket, a line `tempora-ctl ` followed by a JSON
//! object `{"version":1,"request":{"command":...}}` ([`request`]), and a
//! JSON reply saying what was done or why not ([`reply`]). The parser is a
//! pure function over bytes with a typed error: whatever arrives on the
//! socket, it never panics (a fuzz target checks). docs/control.md
//! describes the commands and who may send them.

pub mod reply;
pub mod request;

pub use reply::{Outcome, Reply};
pub use request::{AddSource, Command, ParseError, parse};
