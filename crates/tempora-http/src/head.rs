//! A request head: where it ends, its request line (RFC 9112 §3), its
//! `Host` field (RFC 9110 §7.2), and what is wrong with it.

use crate::response::Response;

/// The longest request head (request line and header fields) read.
pub const MAX_HEAD: usize = 8192;
/// The longest request target (path and query) accepted.
pub const MAX_TARGET: usize = 2048;

/// What is wrong with a request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// The request line or the target is too long: 414.
    UriTooLong,
    /// The header fields are too long: 431.
    HeadersTooLarge,
    /// Not an HTTP/1.x request line: 400.
    Malformed,
    /// Not GET or HEAD: 405.
    Method,
    /// A `Host` that is a name other than `localhost`: 421.
    Host,
}

impl HeadError {
    /// The answer to send.
    pub fn response(self) -> Response {
        match self {
            HeadError::UriTooLong => Response::text(414, "URI too long"),
            HeadError::HeadersTooLarge => Response::text(431, "request header fields too large"),
            HeadError::Malformed => Response::text(400, "bad request"),
            HeadError::Method => {
                Response::text(405, "method not allowed: the dashboard is read-only")
            }
            HeadError::Host => Response::text(
                421,
                "the dashboard answers only to its address (or localhost), not to a name: \
                 open it by its IP address, or through a proxy",
            ),
        }
    }
}

/// A request line: the method and the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLine<'a> {
    /// GET or HEAD.
    pub method: &'a str,
    /// The origin-form target: the path and the query.
    pub target: &'a str,
}

/// The length of the head in `buf` (up to and with the empty line that
/// ends it), once it is all there.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Why a full buffer holds no whole head: the request line did not end
/// (414) or the header fields did not (431).
pub fn overflow(buf: &[u8]) -> HeadError {
    if buf.contains(&b'\n') {
        HeadError::HeadersTooLarge
    } else {
        HeadError::UriTooLong
    }
}

/// Parses the request line of a head (RFC 9112 §3): `METHOD SP
/// request-target SP HTTP-version`, a target in origin form.
pub fn parse_request_line(head: &[u8]) -> Result<RequestLine<'_>, HeadError> {
    let end = head
        .iter()
        .position(|b| *b == b'\n')
        .ok_or(HeadError::Malformed)?;
    let line = head[..end].strip_suffix(b"\r").unwrap_or(&head[..end]);
    let line = std::str::from_utf8(line).map_err(|_| HeadError::Malformed)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed);
    };
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") || !target.starts_with('/') {
        return Err(HeadError::Malformed);
    }
    if target.len() > MAX_TARGET {
        return Err(HeadError::UriTooLong);
    }
    if !matches!(method, "GET" | "HEAD") {
        return Err(HeadError::Method);
    }
    Ok(RequestLine { method, target })
}

/// Whether the head's `Host` field (RFC 9110 §7.2), if any, names the
/// dashboard by an IP address or as `localhost`. A page of another site
/// whose name was made to resolve to the dashboard's address (DNS
/// rebinding) sends its own name, and is refused.
pub fn host_allowed(head: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(head) else {
        return false;
    };
    let Some(value) = text.lines().skip(1).find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("host").then_some(value.trim())
    }) else {
        // HTTP/1.0 clients may send none.
        return true;
    };
    if let Some(rest) = value.strip_prefix('[') {
        return rest
            .split_once(']')
            .is_some_and(|(ip, _)| ip.parse::<std::net::Ipv6Addr>().is_ok());
    }
    let host = match value.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => value,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host.parse::<std::net::Ipv4Addr>().is_ok()
        || host == "localhost"
        || host.ends_with(".localhost")
}
