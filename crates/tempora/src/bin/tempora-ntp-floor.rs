//! `tempora-ntp-floor`: the floor of the NTP server benchmark
//! (`tools/ntp-bench.sh`). A bare responder on the same socket as Tempora's
//! NTP server — `tempora_linux::udp_server::UdpServer`, with its options,
//! receive buffer and kernel receive timestamps — and the same loop: wait in
//! `poll(2)`, read one batch of up to 64 datagrams with `recvmmsg(2)`, send
//! the replies with one `sendmmsg(2)`. What it does in between is the least
//! a reply needs: a 48-byte header turned around (mode 4, the request's
//! version and poll, origin = the request's transmit timestamp, receive =
//! the kernel's receive timestamp, transmit = one clock read per batch),
//! with no decoding, access lists, rate limit or counters. Its CPU per
//! reply is what the kernel costs for that socket and loop, which no server
//! on it can go below. Not part of the timing path; a benchmark tool.

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use tempora_clock::{BaseClock, Duration};
use tempora_linux::clock::RealtimeBase;
use tempora_linux::poll::Poller;
use tempora_linux::udp_server::UdpServer;
use tempora_ntp::time::ntp_from_time;
use tempora_ntp::wire::NtpTimestamp;

#[derive(Parser)]
#[command(about = "Bare NTP responder: the floor of the server benchmark")]
struct Args {
    /// The address to answer on, ADDRESS:PORT.
    listen: SocketAddr,
    /// 0: one loop on one socket, as Tempora's server in its timing loop
    /// (`workers = 0`); N: N threads, each with its own SO_REUSEPORT socket,
    /// as `workers = N`.
    #[arg(long, default_value_t = 0)]
    workers: usize,
}

/// An NTP header without extension fields (RFC 5905 §7.3, Figure 8).
const HEADER: usize = 48;

/// The reply's fixed fields (RFC 5905 §7.3): stratum 1, precision 2^-20 s,
/// root delay and root dispersion 0, reference ID "LOCL" — what Tempora's
/// server announces in the benchmark (`local-stratum = 1`). The first byte,
/// the poll and the four timestamps are filled in per reply.
const TEMPLATE: [u8; HEADER] = {
    let mut t = [0u8; HEADER];
    t[1] = 1; // stratum
    t[3] = (-20i8) as u8; // precision, log2 s
    t[12] = b'L'; // reference ID (RFC 5905 §7.3: ASCII for stratum 1)
    t[13] = b'O';
    t[14] = b'C';
    t[15] = b'L';
    t
};

/// Turns `request` around into `reply` (RFC 5905 §7.3, §8): LI 0, the
/// request's version, mode 4 (server), the request's poll, origin = the
/// request's transmit timestamp, receive = `rx`, reference and transmit =
/// `tx`. `false` (no reply) for a datagram shorter than a header or not in
/// client mode (3), so that replies are never answered; nothing else of
/// the request is read.
fn turn_around(
    request: &[u8],
    rx: NtpTimestamp,
    tx: NtpTimestamp,
    reply: &mut [u8; HEADER],
) -> bool {
    let (Some(&first), Some(&poll), Some(transmit)) =
        (request.first(), request.get(2), request.get(40..HEADER))
    else {
        return false;
    };
    if first & 0x07 != 3 {
        return false;
    }
    let (rx, tx) = (rx.to_bits().to_be_bytes(), tx.to_bits().to_be_bytes());
    let mut out = TEMPLATE;
    let [li_vn_mode, _, out_poll, ..] = &mut out;
    *li_vn_mode = (first & 0x38) | 4;
    *out_poll = poll;
    for (field, value) in out[16..]
        .chunks_exact_mut(8)
        .zip([&tx[..], transmit, &rx, &tx])
    {
        field.copy_from_slice(value);
    }
    *reply = out;
    true
}

/// Answers what `socket` has queued: one `recvmmsg(2)` batch, the replies
/// queued and sent with one `sendmmsg(2)` — the calls Tempora's server
/// makes per readiness (`serve_ready` in tempora-daemon). The clock is read
/// once per batch, after the batch is in (so every receive time precedes
/// it); the kernel's receive timestamp is the receive time.
fn answer_batch(socket: &mut UdpServer, reply: &mut [u8; HEADER]) -> io::Result<()> {
    let mut now = None;
    socket.recv_batch(|socket, request, d| {
        let Some(to) = d.source.filter(|_| !d.truncated) else {
            return;
        };
        let tx = *now.get_or_insert_with(|| ntp_from_time(RealtimeBase.now()));
        let rx = d.rx.map_or(tx, ntp_from_time);
        if turn_around(request, rx, tx, reply) && !socket.queue(&reply[..], to) {
            let _ = socket.send_to(&reply[..], to);
        }
    })?;
    socket.flush();
    Ok(())
}

/// One loop: `poll(2)` on `socket`, a batch per readiness, for ever.
fn serve(mut socket: UdpServer) -> io::Result<()> {
    let mut poller = Poller::new();
    poller.register_raw(socket.fd());
    let mut reply = [0u8; HEADER];
    loop {
        match poller.wait(Duration::from_secs(1)) {
            Ok(ready) if !ready.is_empty() => answer_batch(&mut socket, &mut reply)?,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = if args.workers == 0 {
        UdpServer::bind_with(args.listen, false).and_then(serve)
    } else {
        (0..args.workers)
            .map(|_| UdpServer::bind_reuseport(args.listen, false))
            .collect::<io::Result<Vec<_>>>()
            .and_then(|sockets| {
                std::thread::scope(|scope| {
                    let loops: Vec<_> = sockets
                        .into_iter()
                        .map(|s| scope.spawn(move || serve(s)))
                        .collect();
                    loops
                        .into_iter()
                        .map(|l| l.join().unwrap_or_else(|_| Err(io::Error::other("thread"))))
                        .collect::<io::Result<Vec<()>>>()
                        .map(drop)
                })
            })
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tempora-ntp-floor: {}: {e}", args.listen);
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempora_ntp::wire::{LeapIndicator, Mode, Packet, ReferenceId};

    fn request(version: u8, mode: Mode, transmit: u64) -> [u8; HEADER] {
        let mut p = Packet::new(mode);
        p.version = version;
        p.poll = 6;
        p.transmit_timestamp = NtpTimestamp::from_bits(transmit);
        p.origin_timestamp = NtpTimestamp::from_bits(0x1111);
        let mut buf = [0u8; HEADER];
        assert_eq!(p.encode(&mut buf), Ok(HEADER));
        buf
    }

    #[test]
    fn a_request_is_turned_around() {
        let (rx, tx) = (NtpTimestamp::new(10, 20), NtpTimestamp::new(10, 30));
        for version in [3, 4] {
            let req = request(version, Mode::Client, 0xdead_beef_0123_4567);
            let mut out = [0xaa; HEADER];
            assert!(turn_around(&req, rx, tx, &mut out));
            let p = Packet::decode(&out).unwrap();
            assert_eq!(p.mode, Mode::Server);
            assert_eq!(p.version, version);
            assert_eq!(p.leap, LeapIndicator::NoWarning);
            assert_eq!((p.stratum, p.poll, p.precision), (1, 6, -20));
            assert_eq!(p.reference_id, ReferenceId(*b"LOCL"));
            assert_eq!(p.origin_timestamp.to_bits(), 0xdead_beef_0123_4567);
            assert_eq!(p.receive_timestamp, rx);
            assert_eq!((p.transmit_timestamp, p.reference_timestamp), (tx, tx));
            assert_eq!(
                (p.root_delay.to_bits(), p.root_dispersion.to_bits()),
                (0, 0)
            );
        }
    }

    #[test]
    fn short_datagrams_and_non_requests_get_nothing() {
        let ts = NtpTimestamp::new(1, 2);
        let mut out = [0u8; HEADER];
        let req = request(4, Mode::Client, 5);
        assert!(!turn_around(&req[..HEADER - 1], ts, ts, &mut out));
        assert!(!turn_around(&[], ts, ts, &mut out));
        for mode in [Mode::Server, Mode::Broadcast, Mode::SymmetricActive] {
            assert!(!turn_around(&request(4, mode, 5), ts, ts, &mut out));
        }
        assert_eq!(out, [0u8; HEADER]);
        // Extension fields after the header are not read.
        let mut long = req.to_vec();
        long.extend_from_slice(&[0xff; 20]);
        assert!(turn_around(&long, ts, ts, &mut out));
        assert_eq!(Packet::decode(&out).unwrap().origin_timestamp.to_bits(), 5);
    }
}
