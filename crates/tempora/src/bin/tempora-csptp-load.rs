//! `tempora-csptp-load`: a closed-loop load generator for client-server PTP
//! servers (IEEE P1588.1 draft; `tempora_ptp::csptp`), for tests and
//! benchmarks. Each thread keeps `--sockets` client sockets, each with up to
//! `--window` requests in flight; with `--sources` every socket moves to the
//! next address of that range after `--per-source` requests, so that the
//! server sees many distinct client addresses (on loopback every address of
//! 127.0.0.0/8 binds without configuration). The requests are built by the
//! same code as the client's (`tempora_ptp::csptp::message`). It prints one
//! JSON line: what it sent, the Sync responses and Follow_Ups that came
//! back, how many addresses it used and the reply rate. Not part of the
//! timing path.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use tempora_linux::poll::Poller;
use tempora_linux::udp_server::UdpServer;
use tempora_ptp::csptp::message::{self, CsptpMessage};
use tempora_ptp::wire::tlv::CsptpRequestTlv;

#[derive(Parser, Debug)]
#[command(about = "CSPTP (client-server PTP) load generator")]
struct Args {
    /// The server's event port, ADDRESS:PORT (usually 319).
    target: SocketAddr,
    /// How many requests to send.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Requests in flight per socket.
    #[arg(long, default_value_t = 8)]
    window: u64,
    /// Client sockets per thread.
    #[arg(long, default_value_t = 16)]
    sockets: usize,
    /// Sending threads, each with its own sockets.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Source addresses, ADDRESS/PREFIX (e.g. 127.16.0.0/12): each socket
    /// binds the next one (default: the wildcard).
    #[arg(long, value_parser = parse_range)]
    sources: Option<SourceRange>,
    /// With --sources: requests a socket sends from one address before it
    /// moves to the next.
    #[arg(long, default_value_t = 1)]
    per_source: u64,
    /// The requests' domainNumber (ntpd-rs's default: 128).
    #[arg(long, default_value_t = tempora_ptp::csptp::client::DEFAULT_DOMAIN)]
    domain: u8,
    /// Do not ask for the status TLV.
    #[arg(long)]
    no_status: bool,
    /// Milliseconds after which a socket's unanswered requests count as lost.
    #[arg(long, default_value_t = 50)]
    timeout_ms: u64,
}

/// A range of source addresses: `size` addresses from `base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SourceRange {
    base: IpAddr,
    size: u128,
}

impl SourceRange {
    /// The `i`-th address of the range (wrapping).
    fn nth(&self, i: u64) -> IpAddr {
        let i = u128::from(i) % self.size.max(1);
        match self.base {
            IpAddr::V4(a) => {
                let v = u32::from(a).wrapping_add(u32::try_from(i).unwrap_or(0));
                IpAddr::from(v.to_be_bytes())
            }
            IpAddr::V6(a) => IpAddr::from(u128::from(a).wrapping_add(i).to_be_bytes()),
        }
    }
}

/// Parses `ADDRESS/PREFIX`; the host bits of ADDRESS are kept as the start.
fn parse_range(s: &str) -> Result<SourceRange, String> {
    let (addr, prefix) = s.split_once('/').unwrap_or((s, ""));
    let base: IpAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let bits: u32 = if base.is_ipv4() { 32 } else { 128 };
    let prefix: u32 = if prefix.is_empty() {
        bits
    } else {
        prefix.parse().map_err(|e| format!("{prefix}: {e}"))?
    };
    if prefix > bits {
        return Err(format!("prefix /{prefix} longer than {bits} bits"));
    }
    let host_bits = bits - prefix;
    let size = 1u128.checked_shl(host_bits).unwrap_or(u128::MAX);
    Ok(SourceRange { base, size })
}

/// What one thread counted.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    sent: u64,
    send_errors: u64,
    replies: u64,
    follow_ups: u64,
    invalid: u64,
    lost: u64,
    addresses: u64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.sent += o.sent;
        self.send_errors += o.send_errors;
        self.replies += o.replies;
        self.follow_ups += o.follow_ups;
        self.invalid += o.invalid;
        self.lost += o.lost;
        self.addresses += o.addresses;
    }
}

/// Writes request `sequence_id` into `buf`: the bytes a
/// `tempora_ptp::csptp::CsptpClient` sends.
fn request(args: &Args, sequence_id: u16, buf: &mut [u8]) -> Option<usize> {
    let tlv = CsptpRequestTlv::new(!args.no_status, false);
    message::encode_request(args.domain, sequence_id, tlv, buf).ok()
}

/// One client socket and its closed-loop state.
struct Client {
    socket: UdpServer,
    in_flight: u64,
    sent_here: u64,
    last_progress: Instant,
    sequence: u16,
}

fn bind(args: &Args, address: Option<IpAddr>) -> std::io::Result<UdpServer> {
    let ip = match address {
        Some(ip) => ip,
        None if args.target.is_ipv4() => IpAddr::from([0u8; 4]),
        None => IpAddr::from([0u16; 8]),
    };
    UdpServer::bind(SocketAddr::new(ip, 0))
}

/// The state of one thread: its sockets and where its addresses go on.
struct Thread<'a> {
    args: &'a Args,
    clients: Vec<Client>,
    poller: Poller,
    next_address: u64,
    stride: u64,
    tally: Tally,
}

impl<'a> Thread<'a> {
    fn new(args: &'a Args, index: usize) -> std::io::Result<Self> {
        let mut t = Thread {
            args,
            clients: Vec::new(),
            poller: Poller::new(),
            next_address: index as u64,
            stride: args.threads.max(1) as u64,
            tally: Tally::default(),
        };
        for _ in 0..args.sockets.max(1) {
            let socket = t.open()?;
            t.poller.register_raw(socket.fd());
            t.clients.push(Client {
                socket,
                in_flight: 0,
                sent_here: 0,
                last_progress: Instant::now(),
                sequence: 0,
            });
        }
        Ok(t)
    }

    /// A socket on the next source address.
    fn open(&mut self) -> std::io::Result<UdpServer> {
        let address = self.args.sources.map(|r| r.nth(self.next_address));
        self.next_address += self.stride;
        self.tally.addresses += 1;
        bind(self.args, address)
    }

    /// Moves client `i` to the next source address once it has sent its
    /// share from this one and nothing is in flight.
    fn rotate(&mut self, i: usize) -> std::io::Result<()> {
        let per = self.args.per_source.max(1);
        let due = self.args.sources.is_some()
            && self.clients[i].in_flight == 0
            && self.clients[i].sent_here >= per;
        if !due {
            return Ok(());
        }
        let socket = self.open()?;
        let c = &mut self.clients[i];
        self.poller.deregister(c.socket.fd());
        self.poller.register_raw(socket.fd());
        c.socket = socket;
        c.sent_here = 0;
        Ok(())
    }

    /// Sends what client `i`'s window allows; returns how many it queued.
    fn send(&mut self, i: usize, remaining: u64) -> u64 {
        let per = if self.args.sources.is_some() {
            self.args.per_source.max(1)
        } else {
            u64::MAX
        };
        let c = &mut self.clients[i];
        let room = self
            .args
            .window
            .max(1)
            .saturating_sub(c.in_flight)
            .min(remaining)
            .min(per.saturating_sub(c.sent_here))
            .min(64);
        if c.in_flight == 0 && room > 0 {
            c.last_progress = Instant::now();
        }
        let mut buf = [0u8; message::MAX_LEN];
        for _ in 0..room {
            if let Some(n) = request(self.args, c.sequence, &mut buf) {
                c.socket
                    .queue(buf.get(..n).unwrap_or_default(), self.args.target);
            }
            c.sequence = c.sequence.wrapping_add(1);
        }
        let (sent, failed) = c.socket.flush();
        self.tally.sent += sent as u64;
        self.tally.send_errors += failed as u64;
        c.in_flight += sent as u64;
        c.sent_here += room;
        room
    }

    /// Reads what arrived on the ready sockets.
    fn receive(&mut self, timeout: Duration) -> std::io::Result<()> {
        let ready = self.poller.wait(tempora_clock::Duration::from_millis(
            timeout.as_millis() as i64
        ))?;
        let now = Instant::now();
        for r in ready {
            let Some(c) = self.clients.iter_mut().find(|c| c.socket.fd() == r.fd) else {
                continue;
            };
            let (mut replies, mut follow_ups, mut invalid) = (0u64, 0u64, 0u64);
            c.socket
                .recv_batch(|_, data, _| match CsptpMessage::parse(data) {
                    Ok(CsptpMessage::Response(_)) => replies += 1,
                    Ok(CsptpMessage::FollowUp(_)) => follow_ups += 1,
                    _ => invalid += 1,
                })?;
            self.tally.replies += replies;
            self.tally.follow_ups += follow_ups;
            self.tally.invalid += invalid;
            c.in_flight = c.in_flight.saturating_sub(replies);
            if replies > 0 {
                c.last_progress = now;
            }
        }
        let limit = Duration::from_millis(self.args.timeout_ms);
        for c in &mut self.clients {
            if c.in_flight > 0 && now - c.last_progress > limit {
                self.tally.lost += c.in_flight;
                c.in_flight = 0;
                c.last_progress = now;
            }
        }
        Ok(())
    }

    /// Runs `count` requests through the sockets.
    fn run(mut self, count: u64) -> std::io::Result<Tally> {
        let mut remaining = count;
        while remaining > 0 || self.clients.iter().any(|c| c.in_flight > 0) {
            for i in 0..self.clients.len() {
                if remaining > 0 {
                    self.rotate(i)?;
                }
                remaining -= self.send(i, remaining);
            }
            self.receive(Duration::from_millis(10))?;
        }
        Ok(self.tally)
    }
}

fn run(args: &Args) -> std::io::Result<(Tally, Duration)> {
    let threads = args.threads.max(1);
    let start = Instant::now();
    let results: Vec<std::io::Result<Tally>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let count = args.count / threads as u64
                    + u64::from((t as u64) < args.count % threads as u64);
                scope.spawn(move || Thread::new(args, t)?.run(count))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("thread")))
            })
            .collect()
    });
    let mut total = Tally::default();
    for r in results {
        total.add(&r?);
    }
    Ok((total, start.elapsed()))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (t, elapsed) = match run(&args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tempora-csptp-load: {e}");
            return ExitCode::from(2);
        }
    };
    let secs = elapsed.as_secs_f64().max(1e-9);
    println!(
        "{{\"sent\":{},\"send_errors\":{},\"replies\":{},\"follow_ups\":{},\"invalid\":{},\"lost\":{},\"source_addresses\":{},\"elapsed_s\":{secs:.6},\"send_rate\":{:.0},\"reply_rate\":{:.0}}}",
        t.sent,
        t.send_errors,
        t.replies,
        t.follow_ups,
        t.invalid,
        t.lost,
        t.addresses,
        t.sent as f64 / secs,
        t.replies as f64 / secs,
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::net::UdpSocket;

    use tempora_clock::Time;
    use tempora_ptp::csptp::{CsptpServer, ServerDataSet, ServerOutcome};

    use super::*;

    #[test]
    fn parses_its_arguments() {
        let a = Args::try_parse_from([
            "tempora-csptp-load",
            "127.0.0.1:319",
            "--count",
            "1000",
            "--sources",
            "127.16.0.0/12",
            "--per-source",
            "2",
            "--domain",
            "128",
            "--no-status",
        ])
        .unwrap();
        assert_eq!(a.target, "127.0.0.1:319".parse().unwrap());
        assert_eq!((a.count, a.per_source, a.domain), (1000, 2, 128));
        let r = a.sources.unwrap();
        assert_eq!(r.size, 1 << 20);
        assert_eq!(r.nth(0), "127.16.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(r.nth(257), "127.16.1.1".parse::<IpAddr>().unwrap());
        assert_eq!(r.nth(1 << 20), r.nth(0));
        let v6 = parse_range("fd00::1/120").unwrap();
        assert_eq!(v6.size, 256);
        assert_eq!(v6.nth(2), "fd00::3".parse::<IpAddr>().unwrap());
        assert!(parse_range("10.0.0.0/33").is_err());
        assert!(parse_range("nonsense/8").is_err());
        assert!(Args::try_parse_from(["tempora-csptp-load"]).is_err());
        assert!(
            Args::try_parse_from(["tempora-csptp-load", "127.0.0.1:319", "--sources", "x"])
                .is_err()
        );
    }

    #[test]
    fn produces_valid_requests() {
        for (no_status, seq) in [(false, 0u16), (true, 65535)] {
            let a = Args::try_parse_from(["tempora-csptp-load", "127.0.0.1:319"]).unwrap();
            let a = Args {
                no_status,
                domain: 7,
                ..a
            };
            let mut buf = [0u8; message::MAX_LEN];
            let n = request(&a, seq, &mut buf).unwrap();
            assert_eq!(n, message::REQUEST_LEN);
            let Ok(CsptpMessage::Request(r)) = CsptpMessage::parse(&buf[..n]) else {
                panic!("not a CSPTP request")
            };
            assert_eq!((r.header.sequence_id, r.header.domain_number), (seq, 7));
            assert_eq!(r.tlv.status_requested(), !no_status);
            // The core server answers it.
            let out = CsptpServer::default().handle(
                Time::from_secs_nanos(1, 0),
                &buf[..n],
                &ServerDataSet::default(),
                &mut [0u8; message::MAX_LEN],
            );
            assert!(matches!(out, ServerOutcome::Reply { .. }), "{out:?}");
        }
    }

    /// Against a loopback responder built on the core server: every request
    /// answered, each from its own source address.
    #[test]
    fn closed_loop_from_distinct_addresses() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        server
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let target = server.local_addr().unwrap();
        let responder = std::thread::spawn(move || {
            let mut seen = HashSet::new();
            let (mut buf, mut out) = ([0u8; 256], [0u8; message::MAX_LEN]);
            let core = CsptpServer::default();
            while let Ok((n, from)) = server.recv_from(&mut buf) {
                let rx = Time::from_secs_nanos(1, 0);
                if let ServerOutcome::Reply { len, .. } =
                    core.handle(rx, &buf[..n], &ServerDataSet::default(), &mut out)
                {
                    server.send_to(&out[..len], from).unwrap();
                    seen.insert(from.ip());
                }
            }
            seen.len()
        });
        let args = Args::try_parse_from([
            "tempora-csptp-load",
            &target.to_string(),
            "--count",
            "300",
            "--sockets",
            "4",
            "--sources",
            "127.77.0.0/16",
        ])
        .unwrap();
        let (t, _) = run(&args).unwrap();
        assert_eq!((t.sent, t.replies, t.lost, t.invalid), (300, 300, 0, 0));
        // Four sockets to start with, then one more per request.
        assert_eq!(t.addresses, 4 + 300 - 4);
        assert_eq!(responder.join().unwrap(), 300);
    }
}
