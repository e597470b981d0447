//! The HTTP/1.1 (RFC 9112) server side of the dashboard and the
//! Prometheus endpoint, as small as they need and bounded everywhere: one
//! request per connection (`Connection: close`), GET and HEAD only, the
//! request head read into a buffer of [`MAX_HEAD`] bytes (a longer request
//! line is 414 URI Too Long, longer header fields 431, RFC 6585 §5), the
//! whole head within [`HEAD_DEADLINE`], the request target at most
//! [`MAX_TARGET`] bytes, a bounded number of connections at once
//! ([`accept_bounded`]).
//!
//! tiny_http, which served the metrics before, read request lines and
//! headers of any length into memory and started a thread per waiting
//! connection; see docs/dashboard.md.
//!
//! For the dashboard, a request whose `Host` is a name other than
//! `localhost` gets 421 ([`host_allowed`]): a web page cannot read it
//! through DNS rebinding. (Prometheus scrapes by name, so the metrics
//! endpoint does not check.)
//!
//! The parsing ([`head_end`], [`parse_request_line`], [`overflow`],
//! [`host_allowed`]) and the rendering ([`render`]) are pure; [`handle`]
//! does the I/O of one connection.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The longest request head (request line and header fields) read.
pub const MAX_HEAD: usize = 8192;
/// The longest request target (path and query) accepted.
pub const MAX_TARGET: usize = 2048;
/// How long a client has to send its request head.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// How long writing a response may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// After an error answer: what of the request is read and dropped (so the
/// kernel does not reset the connection before the client reads it).
const DRAIN_BYTES: usize = 1 << 20;
/// How long that may take.
const DRAIN_TIME: Duration = Duration::from_millis(500);

/// A response to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the response may be cached (the page's assets) or not (the
    /// API's answers).
    pub cacheable: bool,
}

impl Response {
    /// A plain-text answer (an error).
    pub fn text(status: u16, text: &str) -> Self {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{text}\n").into_bytes(),
            cacheable: false,
        }
    }

    /// A JSON answer.
    pub fn json(status: u16, body: Vec<u8>) -> Self {
        Response {
            status,
            content_type: "application/json",
            body,
            cacheable: false,
        }
    }
}

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

/// The reason phrase of a status code the dashboard sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        421 => "Misdirected Request",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// The bytes of `response` (without its body for a HEAD request). The page
/// may load only its own scripts, styles and data (`Content-Security-Policy`)
/// and may not be framed.
pub fn render(response: &Response, head_only: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
         Cache-Control: {}\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; frame-ancestors 'none'\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len(),
        if response.cacheable {
            "max-age=300"
        } else {
            "no-store"
        },
    )
    .into_bytes();
    if response.status == 405 {
        out.extend_from_slice(b"Allow: GET, HEAD\r\n");
    }
    if response.status == 503 {
        out.extend_from_slice(b"Retry-After: 1\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&response.body);
    }
    out
}

/// Reads the request head from `stream` within [`HEAD_DEADLINE`] into
/// `buf` (at most [`MAX_HEAD`] bytes); returns its length, or the error
/// to answer with (`None`: the client went away or was too slow, no
/// answer).
fn read_head(stream: &mut TcpStream, buf: &mut [u8; MAX_HEAD]) -> Result<usize, Option<HeadError>> {
    let deadline = Instant::now() + HEAD_DEADLINE;
    let mut filled = 0;
    loop {
        if let Some(end) = head_end(&buf[..filled]) {
            return Ok(end);
        }
        if filled == buf.len() {
            return Err(Some(overflow(buf)));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(None);
        }
        match stream.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => return Err(None),
            Ok(n) => filled += n,
        }
    }
}

/// A route: the response to (method, target).
pub type Route = Arc<dyn Fn(&str, &str) -> Response + Send + Sync>;

/// Answers the connections of `listener`, each on a thread named `name`
/// of its own, at most `max` at once (one more gets 503), with `route`;
/// with `check_host`, a head naming the server by another host than an IP
/// address or `localhost` gets 421 ([`host_allowed`]). Runs until the
/// listener fails for good (never, in practice: the daemon's lifetime).
pub fn accept_bounded(
    listener: &TcpListener,
    name: &str,
    max: usize,
    check_host: bool,
    route: &Route,
) {
    let connections = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // Out of descriptors or a connection reset before it was
            // accepted: try the next, without spinning.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        if connections.fetch_add(1, Ordering::AcqRel) >= max {
            connections.fetch_sub(1, Ordering::AcqRel);
            let _ = refuse(stream);
            continue;
        }
        let (count, route) = (Arc::clone(&connections), Arc::clone(route));
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                handle(stream, check_host, |method, target| route(method, target));
                count.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            connections.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Serves one connection: reads the head, answers with `route(method,
/// target)` or the error, and closes; with `check_host`, refuses another
/// host's name (421).
pub fn handle(mut stream: TcpStream, check_host: bool, route: impl FnOnce(&str, &str) -> Response) {
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut buf = [0u8; MAX_HEAD];
    let (response, head_only) = match read_head(&mut stream, &mut buf) {
        Ok(len) => match parse_request_line(&buf[..len]) {
            Ok(_) if check_host && !host_allowed(&buf[..len]) => {
                (HeadError::Host.response(), false)
            }
            Ok(line) => (route(line.method, line.target), line.method == "HEAD"),
            Err(e) => (e.response(), false),
        },
        Err(Some(e)) => (e.response(), false),
        Err(None) => return,
    };
    // A client that hung up is no concern of ours.
    if stream.write_all(&render(&response, head_only)).is_ok() {
        let _ = stream.flush();
        let _ = stream.shutdown(std::net::Shutdown::Write);
        if response.status >= 400 {
            drain(&mut stream);
        }
    }
}

/// Reads and drops what the client still sends, a bounded amount for a
/// bounded time, so that closing does not reset the connection under the
/// answer.
fn drain(stream: &mut TcpStream) {
    let deadline = Instant::now() + DRAIN_TIME;
    let mut sink = [0u8; 4096];
    let mut total = 0;
    while total < DRAIN_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(n) => total += n,
        }
    }
}

/// Answers a connection over the bound with 503 and closes it.
pub fn refuse(mut stream: TcpStream) -> io::Result<()> {
    stream.set_write_timeout(Some(Duration::from_secs(1)))?;
    stream.write_all(&render(
        &Response::text(503, "too many connections; try again"),
        false,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        let ok = parse_request_line(b"GET /api/v1/status?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(
            ok,
            Ok(RequestLine {
                method: "GET",
                target: "/api/v1/status?x=1"
            })
        );
        assert_eq!(
            parse_request_line(b"HEAD / HTTP/1.0\n\n").map(|l| l.method),
            Ok("HEAD")
        );
        for bad in [
            &b"GET / HTTP/2\r\n\r\n"[..],
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET http://x/ HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1",
            b"",
        ] {
            assert_eq!(
                parse_request_line(bad),
                Err(HeadError::Malformed),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_request_line(b"POST / HTTP/1.1\r\n\r\n"),
            Err(HeadError::Method)
        );
        let long = format!("GET /?q={} HTTP/1.1\r\n\r\n", "a".repeat(MAX_TARGET));
        assert_eq!(
            parse_request_line(long.as_bytes()),
            Err(HeadError::UriTooLong)
        );
    }

    #[test]
    fn hosts() {
        let head = |host: &str| format!("GET / HTTP/1.1\r\nAccept: */*\r\n{host}\r\n\r\n");
        for ok in [
            "Host: 127.0.0.1:9912",
            "host: 127.0.0.1",
            "Host: [::1]:9912",
            "HOST: [fe80::1]",
            "Host: localhost:9912",
            "Host: LocalHost.",
            "Host: app.localhost",
            "X-Other: 1",
        ] {
            assert!(host_allowed(head(ok).as_bytes()), "{ok}");
        }
        for bad in [
            "Host: evil.example:9912",
            "Host: evil.example",
            "Host: 127.0.0.1.evil.example",
            "Host: localhost.evil.example",
            "Host: [::1",
            "Host: [evil]:80",
            "Host: ",
        ] {
            assert!(!host_allowed(head(bad).as_bytes()), "{bad}");
        }
    }

    #[test]
    fn heads_and_overflows() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest"), Some(27));
        assert_eq!(head_end(b"GET / HTTP/1.1\nHost: a\n\n"), Some(24));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n"), None);
        assert_eq!(overflow(&[b'a'; MAX_HEAD]), HeadError::UriTooLong);
        let mut headers = b"GET / HTTP/1.1\r\n".to_vec();
        headers.resize(MAX_HEAD, b'x');
        assert_eq!(overflow(&headers), HeadError::HeadersTooLarge);
    }

    #[test]
    fn rendering() {
        let r = Response::json(200, b"{}".to_vec());
        let text = String::from_utf8(render(&r, false)).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("Content-Length: 2\r\n"));
        assert!(text.contains("Cache-Control: no-store\r\n"));
        assert!(text.ends_with("\r\n\r\n{}"));
        let head = String::from_utf8(render(&r, true)).unwrap();
        assert!(head.ends_with("\r\n\r\n") && head.contains("Content-Length: 2\r\n"));
        let text = String::from_utf8(render(&HeadError::Method.response(), false)).unwrap();
        assert!(text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(text.contains("Allow: GET, HEAD\r\n"));
    }
}
