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
}

fn main() -> ExitCode {
    let args = Args::parse();
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
