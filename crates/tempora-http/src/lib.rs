//! The HTTP/1.1 (RFC 9112) of Tempora's dashboard and Prometheus endpoint,
//! without I/O: a request head is parsed from bytes ([`head_end`],
//! [`parse_request_line`], [`overflow`], [`host_allowed`]) and a
//! [`Response`] rendered to bytes ([`render`]). Bounded everywhere: one
//! request per connection (`Connection: close`), GET and HEAD only, a head
//! of at most [`MAX_HEAD`] bytes (a longer request line is 414 URI Too
//! Long, longer header fields 431, RFC 6585 §5), a target of at most
//! [`MAX_TARGET`] bytes. The daemon's `dashboard_http` does the socket
//! I/O; the fuzz target `http_head` feeds these functions arbitrary bytes.

#![forbid(unsafe_code)]

mod head;
mod response;

pub use head::{
    HeadError, MAX_HEAD, MAX_TARGET, RequestLine, head_end, host_allowed, overflow,
    parse_request_line,
};
pub use response::{Response, render};
