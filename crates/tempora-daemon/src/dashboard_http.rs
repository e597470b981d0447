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
//! [`host_allowed`]) and the rendering ([`render`]) are the crate
//! `tempora-http`'s, pure and fuzzed; here is the I/O: [`handle`] serves
//! one connection, [`accept_bounded`] a listener.

pub use tempora_http::{
    HeadError, MAX_HEAD, MAX_TARGET, RequestLine, Response, head_end, host_allowed, overflow,
    parse_request_line, render,
};

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a client has to send its request head.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// How long writing a response may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// After an error answer: what of the request is read and dropped (so the
/// kernel does not reset the connection before the client reads it).
const DRAIN_BYTES: usize = 1 << 20;
/// How long that may take.
const DRAIN_TIME: Duration = Duration::from_millis(500);

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
