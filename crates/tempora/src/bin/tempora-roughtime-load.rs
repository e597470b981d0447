//! `tempora-roughtime-load`: a closed-loop load generator for Roughtime
//! servers (RFC 10049; draft 14; Google), for benchmarks. It keeps
//! `--sockets` client sockets, each with up to `--window` requests in
//! flight; the requests are built by the client core
//! (`tempora_roughtime::ClientRequest`) with fresh nonces, and every
//! `--verify-every`-th reply is verified against `--public-key`
//! (signatures and Merkle path), so that a server cannot pass by answering
//! garbage. It prints one JSON line: requests sent, replies, replies
//! verified (and failed), lost, and the reply rate. Not part of the timing
//! path.

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use tempora_linux::poll::Poller;
use tempora_roughtime::{ClientRequest, Version};

#[derive(Parser, Debug)]
#[command(about = "Roughtime load generator")]
struct Args {
    /// The server, ADDRESS:PORT.
    target: SocketAddr,
    /// The server's long-term public key (base64 or hex).
    #[arg(long)]
    public_key: String,
    /// rfc, draft-14 or google.
    #[arg(long, default_value = "rfc")]
    version: String,
    /// How many requests to send.
    #[arg(long, default_value_t = 20_000)]
    count: u64,
    /// Requests in flight per socket.
    #[arg(long, default_value_t = 16)]
    window: u64,
    /// Client sockets.
    #[arg(long, default_value_t = 8)]
    sockets: usize,
    /// Verify one reply in this many (0: none).
    #[arg(long, default_value_t = 100)]
    verify_every: u64,
    /// Milliseconds after which an unanswered request counts as lost
    /// (and leaves the window).
    #[arg(long, default_value_t = 500)]
    timeout_ms: u64,
}

/// One client socket: its requests in flight, oldest first, each with
/// when it was sent.
struct Client {
    socket: UdpSocket,
    in_flight: std::collections::VecDeque<(Instant, ClientRequest)>,
}

#[derive(Default)]
struct Totals {
    sent: u64,
    replies: u64,
    verified: u64,
    failed: u64,
    lost: u64,
}

fn version_of(name: &str) -> Option<Version> {
    match name {
        "rfc" => Some(Version::Rfc),
        "draft-14" => Some(Version::Draft14),
        "google" => Some(Version::Google),
        _ => None,
    }
}

fn request(version: Version, key: &[u8; 32]) -> Option<ClientRequest> {
    let nonce: Vec<u8> = (0..version.params().nonce_len)
        .map(|_| rand::random::<u8>())
        .collect();
    ClientRequest::new(version, &nonce, Some(key)).ok()
}

/// Sends until `c` has `window` in flight or `left` runs out.
fn fill(c: &mut Client, a: &Args, v: Version, key: &[u8; 32], t: &mut Totals) {
    while (c.in_flight.len() as u64) < a.window && t.sent < a.count {
        let Some(r) = request(v, key) else { return };
        if c.socket.send(r.packet()).is_err() {
            return;
        }
        t.sent += 1;
        c.in_flight.push_back((Instant::now(), r));
    }
}

/// Reads what `c` has; a reply answers its oldest request (replies are
/// matched by order), or when verified the request it proves to be for
/// (the client core refuses another request's reply by nonce or Merkle
/// path before checking signatures).
fn drain(c: &mut Client, a: &Args, key: &[u8; 32], t: &mut Totals) {
    let mut buf = [0u8; 2048];
    while let Ok(n) = c.socket.recv(&mut buf) {
        t.replies += 1;
        let reply = buf.get(..n).unwrap_or_default();
        let check = a.verify_every > 0 && t.replies % a.verify_every == 0;
        let mut answered = 0;
        if check {
            match c
                .in_flight
                .iter()
                .position(|(_, r)| r.verify(reply, key).is_ok())
            {
                Some(i) => {
                    t.verified += 1;
                    answered = i;
                }
                None => t.failed += 1,
            }
        }
        c.in_flight.remove(answered);
    }
}

/// Counts `c`'s requests older than `timeout` as lost: they leave the
/// window, so that a lost datagram does not shrink it for good.
fn expire(c: &mut Client, timeout: Duration, t: &mut Totals) {
    while c
        .in_flight
        .front()
        .is_some_and(|(at, _)| at.elapsed() > timeout)
    {
        c.in_flight.pop_front();
        t.lost += 1;
    }
}

fn main() -> ExitCode {
    let a = Args::parse();
    let Some(v) = version_of(&a.version) else {
        eprintln!("--version: rfc, draft-14 or google");
        return ExitCode::from(2);
    };
    let key = match tempora_config::decode_public_key(&a.public_key) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("--public-key {e}");
            return ExitCode::from(2);
        }
    };
    let mut clients = Vec::new();
    let mut poller = Poller::new();
    for _ in 0..a.sockets {
        let socket = UdpSocket::bind("0.0.0.0:0").and_then(|s| {
            s.connect(a.target)?;
            s.set_nonblocking(true)?;
            Ok(s)
        });
        let Ok(socket) = socket else {
            eprintln!("cannot open a socket to {}", a.target);
            return ExitCode::from(2);
        };
        poller.register_raw(socket.as_raw_fd());
        clients.push(Client {
            socket,
            in_flight: Default::default(),
        });
    }
    let mut t = Totals::default();
    let start = Instant::now();
    let timeout = Duration::from_millis(a.timeout_ms);
    for c in &mut clients {
        fill(c, &a, v, &key, &mut t);
    }
    while clients.iter().any(|c| !c.in_flight.is_empty()) {
        let Ok(ready) = poller.wait(tempora_clock::Duration::from_millis(20)) else {
            break;
        };
        for r in ready {
            if let Some(c) = clients.iter_mut().find(|c| c.socket.as_raw_fd() == r.fd) {
                drain(c, &a, &key, &mut t);
            }
        }
        for c in &mut clients {
            expire(c, timeout, &mut t);
            fill(c, &a, v, &key, &mut t);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"sent\":{},\"replies\":{},\"verified\":{},\"failed\":{},\"lost\":{},\"elapsed_s\":{:.3},\"replies_per_s\":{:.0}}}",
        t.sent,
        t.replies,
        t.verified,
        t.failed,
        t.lost,
        secs,
        t.replies as f64 / secs
    );
    if t.failed > 0 || t.replies == 0 {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
