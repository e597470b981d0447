//! Asking Roughtime servers (RFC 10049 §5.4): one exchange per server over
//! a plain UDP socket, verified by the sans-IO client core
//! ([`tempora_roughtime::ClientRequest`]). `tempora query --roughtime` and
//! the daemon's start-up ([`crate::roughtime_startup`]) both use it; the
//! local times come from the caller's clock (the system clock for a query,
//! the disciplined clock, which may be virtual, for the daemon).

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration as StdDuration, Instant};

use tempora_clock::{Duration, Time};
use tempora_config::RoughtimeVersion;
use tempora_roughtime::backoff::request_retry_after_us;
use tempora_roughtime::{ClientRequest, Verified, Version};

/// Tries per server: a lost datagram is asked again.
pub const TRIES: u32 = 3;

/// The largest reply read (RFC 10049 §5.2: a reply never exceeds its
/// request, which is at most one datagram).
const MAX_REPLY: usize = 2048;

/// The core's version of a configured one.
pub fn version_of(v: RoughtimeVersion) -> Version {
    match v {
        RoughtimeVersion::Rfc => Version::Rfc,
        RoughtimeVersion::Draft14 => Version::Draft14,
        RoughtimeVersion::Google => Version::Google,
    }
}

/// The configuration's name of a version.
pub fn version_name(v: Version) -> &'static str {
    match v {
        Version::Rfc => RoughtimeVersion::Rfc.name(),
        Version::Draft14 => RoughtimeVersion::Draft14.name(),
        Version::Google => RoughtimeVersion::Google.name(),
    }
}

/// A server to ask.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its name as configured or typed.
    pub name: String,
    /// Its address.
    pub addr: SocketAddr,
    /// Its long-term public key.
    pub public_key: [u8; 32],
    /// The version to ask in.
    pub version: Version,
}

/// One exchange: the request and reply bytes (the links of a malfeasance
/// proof), when they were sent and received by the caller's clock, and
/// the verified time.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request sent.
    pub request: ClientRequest,
    /// The reply received.
    pub reply: Vec<u8>,
    /// The caller's clock when the request left.
    pub sent: Time,
    /// The caller's clock when the reply came.
    pub received: Time,
    /// The verified reply.
    pub verified: Verified,
}

impl Exchange {
    /// The round trip.
    pub fn rtt(&self) -> Duration {
        self.received - self.sent
    }

    /// The server's midpoint.
    pub fn midpoint(&self) -> Time {
        Time::from_nanos(i128::from(self.verified.midpoint_us) * 1000)
    }

    /// The radius.
    pub fn radius(&self) -> Duration {
        Duration::from_nanos(i64::try_from(self.verified.radius_us * 1000).unwrap_or(i64::MAX))
    }

    /// The midpoint minus our clock halfway through the round trip.
    pub fn offset(&self) -> Duration {
        let half = Duration::from_nanos(i64::try_from(self.rtt().nanos() / 2).unwrap_or(0));
        self.midpoint() - (self.sent + half)
    }
}

/// Asks `target` with `nonce` (a fresh random one, or the chain's next),
/// waiting for each of [`TRIES`] tries `timeout` or the RFC 10049 §5
/// back-off interval, whichever is longer; `now` reads the caller's
/// clock. A reply that does not verify is an error naming why.
pub fn ask(
    target: &Target,
    nonce: &[u8],
    timeout: StdDuration,
    now: &dyn Fn() -> Time,
) -> Result<Exchange, String> {
    let request = ClientRequest::new(target.version, nonce, Some(&target.public_key))
        .map_err(|e| format!("{}: cannot build the request: {e}", target.name))?;
    let local: SocketAddr = if target.addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    }
    .parse()
    .map_err(|e| format!("{e}"))?;
    let socket = UdpSocket::bind(local).map_err(|e| format!("{}: {e}", target.name))?;
    socket
        .connect(target.addr)
        .map_err(|e| format!("{}: {e}", target.name))?;
    let mut last = String::from("no reply");
    for failures in 0..TRIES {
        let sent = now();
        socket
            .send(request.packet())
            .map_err(|e| format!("{}: {e}", target.name))?;
        // RFC 10049 §5: back off exponentially before asking again (1 s,
        // 1.5 s, 2.25 s after one, two, three failures).
        let backoff = StdDuration::from_micros(request_retry_after_us(failures + 1));
        match receive(&socket, &request, target, timeout.max(backoff)) {
            Ok((reply, verified)) => {
                return Ok(Exchange {
                    request,
                    reply,
                    sent,
                    received: now(),
                    verified,
                });
            }
            Err(e) => last = e,
        }
    }
    Err(format!("{} ({}): {last}", target.name, target.addr))
}

/// Reads datagrams until one verifies or `timeout` passes; the last
/// verification error is the error.
fn receive(
    socket: &UdpSocket,
    request: &ClientRequest,
    target: &Target,
    timeout: StdDuration,
) -> Result<(Vec<u8>, Verified), String> {
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; MAX_REPLY];
    let mut last = String::from("no reply");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(last);
        }
        socket
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        let n = match socket.recv(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(last);
            }
            Err(e) => return Err(e.to_string()),
        };
        let reply = buf.get(..n).unwrap_or_default();
        match request.verify(reply, &target.public_key) {
            Ok(v) => return Ok((reply.to_vec(), v)),
            Err(e) => last = format!("reply refused: {e}"),
        }
    }
}
