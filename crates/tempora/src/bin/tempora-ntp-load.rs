//! `tempora-ntp-load`: an NTP load generator for tests and benchmarks. It
//! sends client requests (or malformed datagrams) to a server as fast as it
//! can, or at a given rate, reads the replies as they come, and prints one
//! JSON line: what it sent, what came back (replies, kisses), and how long
//! it took. Not part of the timing path; plain std sockets.

use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use tempora_ntp::wire::{Mode, Packet};

#[derive(Parser)]
#[command(about = "NTP load generator")]
struct Args {
    /// The server, ADDRESS:PORT.
    target: SocketAddr,
    /// How many datagrams to send.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Datagrams per second (0: as fast as possible).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Send 20 random bytes instead of valid requests.
    #[arg(long)]
    malformed: bool,
    /// The local address to send from (default: the wildcard, any port).
    #[arg(long)]
    bind: Option<std::net::IpAddr>,
    /// Seconds to wait for late replies after the last send.
    #[arg(long, default_value_t = 1.0)]
    wait: f64,
    /// Closed loop: keep at most this many requests unanswered per socket,
    /// sent and read in batches (sendmmsg/recvmmsg). 0: open loop, one
    /// socket sending as fast as it can (or at `--rate`).
    #[arg(long, default_value_t = 0)]
    window: usize,
    /// Closed loop: client sockets (source ports) per thread, which
    /// SO_REUSEPORT spreads over a server's worker sockets.
    #[arg(long, default_value_t = 4)]
    sockets: usize,
    /// Closed loop: sending threads, each with its own sockets.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// NTS: key establishment with this NTS-KE server (`HOST[:PORT]`) first,
    /// then NTS-protected requests (closed loop), each with a fresh unique
    /// identifier and one cookie, asking for no more.
    #[arg(long, value_name = "HOST[:PORT]")]
    nts_ke: Option<String>,
    /// With --nts-ke: CA certificates (PEM) to trust.
    #[arg(long)]
    ca_file: Option<std::path::PathBuf>,
    /// With --nts-ke: run `--count` key establishments (over `--threads`
    /// threads) instead of sending NTP requests, and report their rate.
    #[arg(long)]
    handshakes: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.handshakes {
        return handshakes(&args);
    }
    if args.window > 0 || args.nts_ke.is_some() {
        return closed_loop(&args);
    }
    let bind = match args.bind {
        Some(ip) => SocketAddr::new(ip, 0),
        None if args.target.is_ipv4() => SocketAddr::from(([0u8; 4], 0)),
        None => SocketAddr::from(([0u16; 8], 0)),
    };
    let socket = match UdpSocket::bind(bind).and_then(|s| s.set_nonblocking(true).map(|_| s)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tempora-ntp-load: {e}");
            return ExitCode::from(2);
        }
    };
    let mut request = [0u8; 48];
    let mut packet = Packet::new(Mode::Client);
    let mut buf = [0u8; 1024];
    let (mut sent, mut replies, mut kisses, mut send_errors) = (0u64, 0u64, 0u64, 0u64);
    let start = Instant::now();
    let mut drain = |replies: &mut u64, kisses: &mut u64| {
        while let Ok((n, _)) = socket.recv_from(&mut buf) {
            match Packet::decode(buf.get(..n).unwrap_or_default()) {
                Ok(p) if p.stratum == 0 => *kisses += 1,
                Ok(_) => *replies += 1,
                Err(_) => {}
            }
        }
    };
    for i in 0..args.count {
        if args.rate > 0.0 {
            let due = start + Duration::from_secs_f64(i as f64 / args.rate);
            while Instant::now() < due {
                drain(&mut replies, &mut kisses);
                std::thread::sleep(Duration::from_micros(50));
            }
        }
        let data: &[u8] = if args.malformed {
            let r: [u8; 20] = rand::random();
            request[..20].copy_from_slice(&r);
            &request[..20]
        } else {
            packet.transmit_timestamp = tempora_ntp::wire::NtpTimestamp::from_bits(rand::random());
            let _ = packet.encode(&mut request);
            &request
        };
        match socket.send_to(data, args.target) {
            Ok(_) => sent += 1,
            Err(_) => send_errors += 1,
        }
        if i % 16 == 0 {
            drain(&mut replies, &mut kisses);
        }
    }
    let sending = start.elapsed();
    let until = Instant::now() + Duration::from_secs_f64(args.wait.max(0.0));
    while Instant::now() < until {
        drain(&mut replies, &mut kisses);
        std::thread::sleep(Duration::from_millis(1));
    }
    println!(
        "{{\"sent\":{sent},\"send_errors\":{send_errors},\"replies\":{replies},\"kisses\":{kisses},\"sending_s\":{:.6},\"send_rate\":{:.0}}}",
        sending.as_secs_f64(),
        sent as f64 / sending.as_secs_f64().max(1e-9)
    );
    ExitCode::SUCCESS
}

/// What one closed-loop thread counted.
#[derive(Default)]
struct Tally {
    sent: u64,
    replies: u64,
    kisses: u64,
    send_errors: u64,
    lost: u64,
}

/// The closed-loop mode: every socket keeps up to `--window` requests in
/// flight, so that the server is kept busy without its queue overflowing;
/// requests unanswered for 50 ms count as lost and free their place.
fn ke_options(args: &Args) -> tempora_nts::client::KeOptions {
    tempora_nts::client::KeOptions {
        ca_file: args.ca_file.clone(),
        system_roots: false,
        timeout: Duration::from_secs(5),
    }
}

/// `--handshakes`: key establishments as fast as `--threads` threads go.
fn handshakes(args: &Args) -> ExitCode {
    let Some(server) = &args.nts_ke else {
        eprintln!("tempora-ntp-load: --handshakes needs --nts-ke");
        return ExitCode::from(2);
    };
    let (host, port) = tempora_nts::split_host_port(server, tempora_nts::KE_PORT);
    let opts = ke_options(args);
    let threads = args.threads.max(1);
    let start = Instant::now();
    let results: Vec<(u64, u64, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let count = args.count / threads as u64
                    + u64::from((t as u64) < args.count % threads as u64);
                let (host, opts) = (&host, &opts);
                scope.spawn(move || {
                    let (mut ok, mut failed, mut group) = (0, 0, String::new());
                    for _ in 0..count {
                        match tempora_nts::client::key_exchange(host, port, opts) {
                            Ok(a) => {
                                ok += 1;
                                group = a.kx_group;
                            }
                            Err(_) => failed += 1,
                        }
                    }
                    (ok, failed, group)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((0, 0, String::new())))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let ok: u64 = results.iter().map(|r| r.0).sum();
    let failed: u64 = results.iter().map(|r| r.1).sum();
    let group = results
        .iter()
        .map(|r| r.2.clone())
        .find(|g| !g.is_empty())
        .unwrap_or_default();
    println!(
        "{{\"handshakes\":{ok},\"failed\":{failed},\"elapsed_s\":{elapsed:.6},\"handshakes_per_s\":{:.1},\"group\":\"{group}\"}}",
        ok as f64 / elapsed.max(1e-9)
    );
    ExitCode::SUCCESS
}

fn closed_loop(args: &Args) -> ExitCode {
    let threads = args.threads.max(1);
    let association = match &args.nts_ke {
        Some(server) => {
            let (host, port) = tempora_nts::split_host_port(server, tempora_nts::KE_PORT);
            match tempora_nts::client::key_exchange(&host, port, &ke_options(args)) {
                Ok(a) => Some(a),
                Err(e) => {
                    eprintln!("tempora-ntp-load: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        None => None,
    };
    let association = association.as_ref();
    let start = Instant::now();
    let results: Vec<std::io::Result<Tally>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let count = args.count / threads as u64
                    + u64::from((t as u64) < args.count % threads as u64);
                scope.spawn(move || closed_loop_thread(args, count, association))
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
    let elapsed = start.elapsed();
    let mut total = Tally::default();
    for r in results {
        match r {
            Ok(t) => {
                total.sent += t.sent;
                total.replies += t.replies;
                total.kisses += t.kisses;
                total.send_errors += t.send_errors;
                total.lost += t.lost;
            }
            Err(e) => {
                eprintln!("tempora-ntp-load: {e}");
                return ExitCode::from(2);
            }
        }
    }
    println!(
        "{{\"sent\":{},\"send_errors\":{},\"replies\":{},\"kisses\":{},\"lost\":{},\"sending_s\":{:.6},\"send_rate\":{:.0},\"reply_rate\":{:.0}}}",
        total.sent,
        total.send_errors,
        total.replies,
        total.kisses,
        total.lost,
        elapsed.as_secs_f64(),
        total.sent as f64 / elapsed.as_secs_f64().max(1e-9),
        total.replies as f64 / elapsed.as_secs_f64().max(1e-9),
    );
    ExitCode::SUCCESS
}

fn closed_loop_thread(
    args: &Args,
    count: u64,
    nts: Option<&tempora_nts::client::Association>,
) -> std::io::Result<Tally> {
    use tempora_linux::poll::Poller;
    use tempora_linux::udp_server::UdpServer;
    let bind = match args.bind {
        Some(ip) => SocketAddr::new(ip, 0),
        None if args.target.is_ipv4() => SocketAddr::from(([0u8; 4], 0)),
        None => SocketAddr::from(([0u16; 8], 0)),
    };
    let n = args.sockets.max(1);
    let mut sockets = (0..n)
        .map(|_| UdpServer::bind(bind))
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut poller = Poller::new();
    for s in &sockets {
        poller.register_raw(s.fd());
    }
    let window = (args.window as u64).max(1);
    let mut tally = Tally::default();
    let mut in_flight = vec![0u64; n];
    let mut last_progress = vec![Instant::now(); n];
    let mut packet = Packet::new(Mode::Client);
    let mut request = [0u8; 48];
    let mut protected = [0u8; 1024];
    let mut remaining = count;
    while remaining > 0 || in_flight.iter().any(|&f| f > 0) {
        for (i, s) in sockets.iter_mut().enumerate() {
            let room = window.saturating_sub(in_flight[i]).min(remaining).min(64);
            if in_flight[i] == 0 && room > 0 {
                last_progress[i] = Instant::now();
            }
            for _ in 0..room {
                packet.transmit_timestamp =
                    tempora_ntp::wire::NtpTimestamp::from_bits(rand::random());
                let _ = packet.encode(&mut request);
                match nts {
                    None => {
                        s.queue(&request, args.target);
                    }
                    Some(a) => {
                        let uid: [u8; 32] = rand::random();
                        let nonce: [u8; 16] = rand::random();
                        let cookie = a.cookies.first().map_or(&[][..], |c| c.as_slice());
                        if let Ok(n) = tempora_ntp::nts::write_request(
                            &mut protected,
                            &request,
                            &uid,
                            cookie,
                            0,
                            &a.keys.c2s,
                            &nonce,
                        ) {
                            s.queue(protected.get(..n).unwrap_or_default(), args.target);
                        }
                    }
                }
            }
            let (sent, failed) = s.flush();
            tally.sent += sent as u64;
            tally.send_errors += failed as u64;
            in_flight[i] += sent as u64;
            remaining -= room;
        }
        let ready = poller.wait(tempora_clock::Duration::from_millis(10))?;
        let now = Instant::now();
        for r in ready {
            let Some(i) = sockets.iter().position(|s| s.fd() == r.fd) else {
                continue;
            };
            let (mut replies, mut kisses) = (0u64, 0u64);
            sockets[i].recv_batch(|_, data, _| match Packet::decode(data) {
                Ok(p) if p.stratum == 0 => kisses += 1,
                Ok(_) => replies += 1,
                Err(_) => {}
            })?;
            tally.replies += replies;
            tally.kisses += kisses;
            in_flight[i] = in_flight[i].saturating_sub(replies + kisses);
            if replies + kisses > 0 {
                last_progress[i] = now;
            }
        }
        for i in 0..n {
            if in_flight[i] > 0 && now - last_progress[i] > Duration::from_millis(50) {
                tally.lost += in_flight[i];
                in_flight[i] = 0;
                last_progress[i] = now;
            }
        }
    }
    Ok(tally)
}
