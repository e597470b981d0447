//! `tempora-ntp-floor`, the bare responder of the server benchmark, on a
//! loopback socket (no root, no namespace): what its replies hold.

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tempora_ntp::wire::{Mode, NtpTimestamp, Packet, ReferenceId};

/// The responder, killed when dropped.
struct Floor(Child);

impl Drop for Floor {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port nobody holds now (bound and let go).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(args: &[&str]) -> (Floor, SocketAddr) {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_tempora-ntp-floor"))
        .arg(addr.to_string())
        .args(args)
        .spawn()
        .unwrap();
    (Floor(child), addr)
}

fn ntp_now() -> NtpTimestamp {
    let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    NtpTimestamp::from_unix_nanos(unix.as_nanos() as i128)
}

/// Sends `request` from `socket` until its reply comes (the responder may
/// still be starting): the reply's bytes, and the origin timestamps of the
/// other replies read on the way (late ones to earlier requests).
fn exchange(socket: &UdpSocket, to: SocketAddr, request: &[u8]) -> (Vec<u8>, Vec<u64>) {
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let transmit = &request[40..48];
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 1024];
    let mut others = Vec::new();
    while Instant::now() < deadline {
        socket.send_to(request, to).unwrap();
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            assert_eq!(from, to);
            let origin = buf.get(24..32).expect("a header");
            if origin == transmit {
                return (buf[..n].to_vec(), others);
            }
            others.push(u64::from_be_bytes(origin.try_into().unwrap()));
        }
    }
    panic!("no reply from {to}");
}

fn request(version: u8, transmit: u64) -> [u8; 48] {
    let mut p = Packet::new(Mode::Client);
    p.version = version;
    p.poll = 4;
    p.transmit_timestamp = NtpTimestamp::from_bits(transmit);
    let mut buf = [0u8; 48];
    p.encode(&mut buf).unwrap();
    buf
}

fn check_reply(reply: &[u8], version: u8, origin: u64, before: NtpTimestamp) {
    assert_eq!(reply.len(), 48);
    let p = Packet::decode(reply).unwrap();
    let after = ntp_now();
    assert_eq!(
        (p.mode, p.version, p.stratum, p.poll),
        (Mode::Server, version, 1, 4)
    );
    assert_eq!(p.reference_id, ReferenceId(*b"LOCL"));
    assert_eq!(p.origin_timestamp.to_bits(), origin);
    // The kernel's receive time, then the clock read for the batch.
    let (rx, tx) = (p.receive_timestamp, p.transmit_timestamp);
    assert!(before.to_bits() <= rx.to_bits(), "{before} {rx}");
    assert!(rx.to_bits() <= tx.to_bits(), "{rx} {tx}");
    assert!(tx.to_bits() <= after.to_bits(), "{tx} {after}");
    assert_eq!(p.reference_timestamp, tx);
}

#[test]
fn the_floor_turns_requests_around_on_loopback() {
    let (_floor, addr) = start(&[]);
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (version, origin) in [(4, 0x0123_4567_89ab_cdef_u64), (3, 42)] {
        let before = ntp_now();
        let (reply, _) = exchange(&client, addr, &request(version, origin));
        check_reply(&reply, version, origin, before);
    }
    // A reply (mode 4) or a short datagram gets nothing back; the next
    // request is answered.
    let mut not_a_request = request(4, 7);
    not_a_request[0] = (not_a_request[0] & !7) | 4;
    client.send_to(&not_a_request, addr).unwrap();
    client.send_to(&request(4, 8)[..47], addr).unwrap();
    let before = ntp_now();
    let (reply, others) = exchange(&client, addr, &request(4, 9));
    check_reply(&reply, 4, 9, before);
    assert!(!others.contains(&7) && !others.contains(&8), "{others:?}");
}

#[test]
fn the_floor_with_workers_answers_every_client() {
    let (_floor, addr) = start(&["--workers", "2"]);
    // Several source ports, which SO_REUSEPORT spreads over the sockets.
    for i in 0..8u64 {
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        let before = ntp_now();
        let (reply, _) = exchange(&client, addr, &request(4, 1000 + i));
        check_reply(&reply, 4, 1000 + i, before);
    }
}
