//! End-to-end tests over a veth pair between two network namespaces made
//! for each test (`ip netns add`; needs root). The test thread enters a
//! namespace with `setns(2)` just long enough to open a transport there: a
//! socket stays in the namespace it was made in.
//!
//! Without the privileges for namespaces the tests are skipped with a
//! message, unless `CI=true`, where they fail.

use std::fs::File;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd};
use std::process::Command;
use std::time::{Duration, Instant};

use tempora_linux::interface::{self, Interface, MacAddr};
use tempora_linux::timestamping::{TimestampingRequest, TsInfo, choose_mode};
use tempora_linux::{
    Destination, IpVersion, MessageClass, Poller, RawConfig, RawDestination, RawTransport,
    TimestampingMode, TxId, UdpConfig, UdpTransport,
};

const A4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const B4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
const A6: Ipv6Addr = Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 1);
const B6: Ipv6Addr = Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 2);

/// Two namespaces joined by a veth pair: `va` (10.77.0.1, fd77::1) in the
/// first, `vb` (10.77.0.2, fd77::2) in the second. Deleted on drop.
struct Pair {
    a: String,
    b: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Pair {
    fn create(tag: &str) -> Result<Pair, String> {
        let pid = std::process::id();
        let pair = Pair {
            a: format!("tl{pid}{tag}a"),
            b: format!("tl{pid}{tag}b"),
        };
        ip(&["netns", "add", &pair.a])?;
        ip(&["netns", "add", &pair.b])?;
        for ns in [&pair.a, &pair.b] {
            // No duplicate address detection: addresses usable at once.
            for conf in ["all", "default"] {
                let key = format!("net.ipv6.conf.{conf}.accept_dad=0");
                let _ = Command::new("ip")
                    .args(["netns", "exec", ns, "sysctl", "-qw", &key])
                    .status();
            }
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        ip(&[
            "-n", &pair.a, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns",
            &pair.b,
        ])?;
        for (ns, dev, v4, v6) in [(&pair.a, "va", A4, A6), (&pair.b, "vb", B4, B6)] {
            ip(&["-n", ns, "addr", "add", &format!("{v4}/24"), "dev", dev])?;
            ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("{v6}/64"),
                "dev",
                dev,
                "nodad",
            ])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
        }
        // IPv6 brings up the link-local address (and its routes) a moment
        // after the link: wait for it.
        for (ns, dev) in [(&pair.a, "va"), (&pair.b, "vb")] {
            let start = Instant::now();
            loop {
                let out = Command::new("ip")
                    .args(["-n", ns, "-6", "addr", "show", "dev", dev, "scope", "link"])
                    .output()
                    .map_err(|e| e.to_string())?;
                let text = String::from_utf8_lossy(&out.stdout);
                if text.contains("fe80") && !text.contains("tentative") {
                    break;
                }
                if start.elapsed() > Duration::from_secs(5) {
                    return Err(format!("{dev}: no IPv6 link-local address"));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(pair)
    }

    /// Runs `f` with this thread in namespace `ns`, then returns.
    fn in_ns<T>(&self, ns: &str, f: impl FnOnce() -> T) -> T {
        let here = File::open("/proc/thread-self/ns/net").expect("own netns");
        let there = File::open(format!("/var/run/netns/{ns}")).expect("netns handle");
        // SAFETY: setns with a namespace fd only changes this thread's
        // network namespace.
        let r = unsafe { libc::setns(there.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(r, 0, "setns: {}", io::Error::last_os_error());
        let out = f();
        // SAFETY: as above, back to where the thread was.
        let r = unsafe { libc::setns(here.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(r, 0, "setns back: {}", io::Error::last_os_error());
        out
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

/// The pair, or `None` (test skipped) when namespaces cannot be made here
/// and this is not CI.
fn pair(tag: &str) -> Option<Pair> {
    match Pair::create(tag) {
        Ok(p) => Some(p),
        Err(e) => {
            // Clean up whatever half got made.
            let pid = std::process::id();
            for s in ["a", "b"] {
                let _ = ip(&["netns", "del", &format!("tl{pid}{tag}{s}")]);
            }
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("cannot create network namespaces under CI: {e}");
            }
            eprintln!("skipping: cannot create network namespaces ({e})");
            None
        }
    }
}

/// Polls `fd` until readable (or, with `errqueue`, until its error queue
/// has an entry), at most 2 s.
fn wait_fd(fd: &impl AsRawFd, errqueue: bool) {
    let mut p = Poller::new();
    p.register(fd);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        let ready = p.wait(Duration::from_millis(100)).unwrap();
        if ready
            .iter()
            .any(|r| if errqueue { r.error_queue } else { r.readable })
        {
            return;
        }
    }
    panic!("timed out waiting for fd (errqueue {errqueue})");
}

/// Retries `f` until it yields, at most 2 s.
fn wait_for<T>(mut f: impl FnMut() -> io::Result<Option<T>>) -> T {
    let start = Instant::now();
    loop {
        if let Some(t) = f().unwrap() {
            return t;
        }
        assert!(start.elapsed() < Duration::from_secs(2), "timed out");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn udp_pair(p: &Pair, ipv: IpVersion) -> (UdpTransport, UdpTransport) {
    let mut a = p.in_ns(&p.a, || {
        UdpTransport::open(UdpConfig::new("va", ipv, TimestampingMode::Software)).unwrap()
    });
    let mut b = p.in_ns(&p.b, || {
        UdpTransport::open(UdpConfig::new("vb", ipv, TimestampingMode::Software)).unwrap()
    });
    // The kernel switches receive timestamping on with deferred work, so
    // the very first packets after the first timestamping socket opens may
    // come without one (callers must cope with `rx: None`): warm up until
    // a timestamped packet arrives.
    let mut buf = [0u8; 64];
    let mut warm = false;
    for _ in 0..50 {
        a.send(MessageClass::Event, Destination::Primary, b"warm-up")
            .unwrap();
        let got = wait_for(|| b.recv(MessageClass::Event, &mut buf));
        if got.rx.is_some() {
            warm = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(warm, "no receive timestamps at all");
    std::thread::sleep(Duration::from_millis(20));
    while a.recv_tx_timestamp().unwrap().is_some() {}
    (a, b)
}

/// Multicast and unicast both ways on one IP version.
fn udp_exchange(ipv: IpVersion, tag: &str, unicast_to_a: SocketAddr) {
    let Some(p) = pair(tag) else { return };
    let (mut a, mut b) = udp_pair(&p, ipv);
    let mut buf = [0u8; 256];

    // Event, primary multicast: rx timestamp on B, tx timestamp on A.
    let id = a
        .send(MessageClass::Event, Destination::Primary, b"sync-1")
        .unwrap()
        .expect("event sends get an id");
    wait_fd(&b.event_fd(), false);
    let got = b.recv(MessageClass::Event, &mut buf).unwrap().unwrap();
    assert_eq!(&buf[..got.len], b"sync-1");
    assert!(!got.truncated);
    let rx = got.rx.expect("software rx timestamp");
    assert_eq!(got.source.port(), 319);
    match (ipv, got.source.ip()) {
        (IpVersion::V4, IpAddr::V4(ip)) => assert_eq!(ip, A4),
        (IpVersion::V6, IpAddr::V6(_)) => {}
        other => panic!("unexpected source {other:?}"),
    }
    wait_fd(&a.event_fd(), true);
    let tx = a.recv_tx_timestamp().unwrap().expect("tx timestamp");
    assert_eq!(tx.id, id);
    assert!(tx.time <= rx, "tx {} after rx {}", tx.time, rx);
    assert!(rx - tx.time < tempora_clock::Duration::from_millis(100));
    // No multicast loopback: A does not hear itself.
    assert!(a.recv(MessageClass::Event, &mut buf).unwrap().is_none());

    // General, peer-delay multicast: no timestamps either side.
    assert_eq!(
        a.send(MessageClass::General, Destination::PeerDelay, b"follow-up")
            .unwrap(),
        None
    );
    wait_fd(&b.general_fd(), false);
    let got = b.recv(MessageClass::General, &mut buf).unwrap().unwrap();
    assert_eq!(&buf[..got.len], b"follow-up");
    assert_eq!(got.rx, None);
    assert_eq!(got.source.port(), 320);

    // Peer-delay event multicast.
    let id2 = a
        .send(MessageClass::Event, Destination::PeerDelay, b"pdelay-req")
        .unwrap()
        .unwrap();
    assert_ne!(id2, id);
    let got = wait_for(|| b.recv(MessageClass::Event, &mut buf));
    assert_eq!(&buf[..got.len], b"pdelay-req");
    assert_eq!(wait_for(|| a.recv_tx_timestamp()).id, id2);

    // Unicast back from B to A.
    let idb = b
        .send(
            MessageClass::Event,
            Destination::Unicast(unicast_to_a),
            b"delay-req",
        )
        .unwrap()
        .unwrap();
    let got = wait_for(|| a.recv(MessageClass::Event, &mut buf));
    assert_eq!(&buf[..got.len], b"delay-req");
    assert!(got.rx.is_some());
    let txb = wait_for(|| b.recv_tx_timestamp());
    assert_eq!(txb.id, idb);
    assert!(txb.time <= got.rx.unwrap());

    // Several sends before reading: each timestamp keeps its own id.
    let ids: Vec<TxId> = (0..5u8)
        .map(|i| {
            a.send(MessageClass::Event, Destination::Primary, &[b's', i])
                .unwrap()
                .unwrap()
        })
        .collect();
    let mut seen = Vec::new();
    while seen.len() < ids.len() {
        seen.push(wait_for(|| a.recv_tx_timestamp()));
    }
    let mut seen_ids: Vec<TxId> = seen.iter().map(|t| t.id).collect();
    seen_ids.sort();
    assert_eq!(seen_ids, ids);
    assert!(ids.windows(2).all(|w| w[1].0 == w[0].0.wrapping_add(1)));
    for i in 0..5u8 {
        let got = wait_for(|| b.recv(MessageClass::Event, &mut buf));
        assert_eq!(&buf[..got.len], &[b's', i]);
    }
    // Wrong address family is refused, not sent.
    let wrong = match ipv {
        IpVersion::V4 => SocketAddr::new(IpAddr::V6(A6), 319),
        IpVersion::V6 => SocketAddr::new(IpAddr::V4(A4), 319),
    };
    let e = a
        .send(MessageClass::Event, Destination::Unicast(wrong), b"x")
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn udp_ipv4_multicast_unicast_and_timestamps() {
    udp_exchange(IpVersion::V4, "u4", SocketAddr::new(IpAddr::V4(A4), 319));
}

#[test]
fn udp_ipv6_multicast_unicast_and_timestamps() {
    udp_exchange(IpVersion::V6, "u6", SocketAddr::new(IpAddr::V6(A6), 319));
}

#[test]
fn udp_ipv6_link_local_unicast_without_scope() {
    let Some(p) = pair("ll") else { return };
    let (mut a, mut b) = udp_pair(&p, IpVersion::V6);
    let a_ll = p.in_ns(&p.a, || {
        interface::addresses("va")
            .unwrap()
            .into_iter()
            .find_map(|x| match x {
                interface::IfAddr::V6(ip, _) if ip.is_unicast_link_local() => Some(ip),
                _ => None,
            })
            .expect("link-local address")
    });
    let to = SocketAddr::V6(SocketAddrV6::new(a_ll, 320, 0, 0));
    b.send(MessageClass::General, Destination::Unicast(to), b"mgmt")
        .unwrap();
    let mut buf = [0u8; 16];
    let got = wait_for(|| a.recv(MessageClass::General, &mut buf));
    assert_eq!(&buf[..got.len], b"mgmt");
    match got.source {
        SocketAddr::V6(s) => assert!(s.ip().is_unicast_link_local(), "{s}"),
        s => panic!("{s}"),
    }
}

#[test]
fn ethernet_multicast_unicast_and_timestamps() {
    let Some(p) = pair("l2") else { return };
    let open = |dev: &str| {
        RawTransport::open(RawConfig {
            interface: dev.into(),
            timestamping: TimestampingMode::Software,
        })
        .unwrap()
    };
    let mut a = p.in_ns(&p.a, || open("va"));
    let mut b = p.in_ns(&p.b, || open("vb"));
    assert!(!a.mac().is_zero() && a.mac() != b.mac());
    let mut buf = [0u8; 64];
    // Warm up receive timestamping (see `udp_pair`).
    let mut warm = false;
    for _ in 0..50 {
        a.send(MessageClass::Event, RawDestination::Primary, b"warm-up")
            .unwrap();
        if wait_for(|| b.recv(&mut buf)).rx.is_some() {
            warm = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(warm, "no receive timestamps at all");
    std::thread::sleep(Duration::from_millis(20));
    while a.recv_tx_timestamp().unwrap().is_some() {}

    for (dest, payload) in [
        (RawDestination::Primary, &b"l2-sync"[..]),
        (RawDestination::PeerDelay, &b"l2-pdelay"[..]),
        (RawDestination::Unicast(b.mac()), &b"l2-unicast"[..]),
    ] {
        let id = a.send(MessageClass::Event, dest, payload).unwrap().unwrap();
        wait_fd(&b.fd(), false);
        let got = b.recv(&mut buf).unwrap().unwrap();
        assert_eq!(&buf[..got.len], payload);
        assert_eq!(got.source, a.mac());
        assert_eq!(got.destination, dest.mac());
        assert_eq!(got.vlan, None);
        let rx = got.rx.expect("software rx timestamp");
        wait_fd(&a.fd(), true);
        let tx = a.recv_tx_timestamp().unwrap().unwrap();
        assert_eq!(tx.id, id);
        assert!(tx.time <= rx);
        // A does not see its own frame.
        assert!(a.recv(&mut buf).unwrap().is_none());
    }

    // A general message: received, its tx timestamp is not reported.
    assert_eq!(
        b.send(MessageClass::General, RawDestination::Primary, b"announce")
            .unwrap(),
        None
    );
    let got = wait_for(|| a.recv(&mut buf));
    assert_eq!(&buf[..got.len], b"announce");
    assert_eq!(got.source, b.mac());
    std::thread::sleep(Duration::from_millis(20));
    assert!(b.recv_tx_timestamp().unwrap().is_none());
    // A payload longer than the caller's buffer is cut and flagged.
    b.send(MessageClass::Event, RawDestination::Primary, &[7u8; 40])
        .unwrap();
    let mut small = [0u8; 10];
    let got = wait_for(|| a.recv(&mut small));
    assert!(got.truncated);
    assert_eq!(got.len, 10);
}

#[test]
fn interface_lookups_and_capabilities_on_veth() {
    let Some(p) = pair("if") else { return };
    p.in_ns(&p.a, || {
        let ifc = Interface::lookup("va").unwrap();
        assert_eq!(ifc.ipv4, Some(A4));
        assert_eq!(ifc.ipv6, Some(A6));
        assert_eq!(ifc.index, interface::interface_index("va").unwrap());
        assert!(!ifc.mac.is_zero() && !ifc.mac.is_multicast());
        let id = ifc.clock_identity();
        assert_eq!(&id[3..5], &[0xff, 0xfe]);
        assert_eq!(MacAddr([id[0], id[1], id[2], id[5], id[6], id[7]]), ifc.mac);
        let info = TsInfo::query("va").unwrap();
        assert!(info.software_capable(), "{info:?}");
        assert_eq!(info.phc_index, None);
        let (mode, _) = choose_mode("va", TimestampingRequest::Auto).unwrap();
        assert_eq!(mode, TimestampingMode::Software);
        assert!(choose_mode("va", TimestampingRequest::Hardware).is_err());
        // Hardware mode on a veth fails with an error, not a panic.
        let e = UdpTransport::open(UdpConfig::new(
            "va",
            IpVersion::V4,
            TimestampingMode::Hardware,
        ))
        .unwrap_err();
        assert!(e.to_string().contains("SIOCSHWTSTAMP"), "{e}");
    });
    // The fd of a transport can be polled from the root namespace thread.
    let a = p.in_ns(&p.a, || {
        UdpTransport::open(UdpConfig::new(
            "va",
            IpVersion::V4,
            TimestampingMode::Software,
        ))
        .unwrap()
    });
    let mut poller = Poller::new();
    poller.register(&a.event_fd().as_fd());
    assert!(poller.wait(Duration::ZERO).unwrap().is_empty());
}
