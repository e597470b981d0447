//! NTS-KE over loopback, Tempora's client against Tempora's server, with a
//! test CA made by openssl (skipped without openssl, except under CI=true).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tempora_ntp::nts::open_cookie;
use tempora_ntp::wire::ntske::NextProtocol;
use tempora_nts::client::{KeOptions, key_exchange, key_exchange_for};
use tempora_nts::keys::CookieKeys;
use tempora_nts::limits::KeLimits;
use tempora_nts::server::{KeServer, KeServerSettings};

/// CA, certificate and key for 127.0.0.1 in `dir`.
fn pki(dir: &Path) -> Option<(PathBuf, PathBuf, PathBuf)> {
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var("CI").ok().as_deref() != Some("true"),
            "openssl is missing"
        );
        return None;
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let script = "set -e; \
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
          -keyout ca.key -out ca.pem -days 2 -subj '/CN=Tempora Test CA' 2>/dev/null; \
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
          -keyout server.key -out server.csr -subj '/CN=127.0.0.1' 2>/dev/null; \
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
          -out server.pem -days 2 -extfile ext 2>/dev/null";
    let out = Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some((
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    ))
}

/// Waits up to 5 s for `counter` to reach `value` (the server's
/// connection thread counts after the client has its answer); returns what
/// it reads last.
fn settle(counter: &std::sync::atomic::AtomicU64, value: u64) -> u64 {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let v = counter.load(Ordering::Relaxed);
        if v >= value || std::time::Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn server(dir: &Path, max: usize) -> Option<(KeServer, Arc<RwLock<CookieKeys>>, PathBuf)> {
    let (ca, cert, key) = pki(dir)?;
    let keys = Arc::new(RwLock::new(CookieKeys::new(None, 3600, 0).unwrap()));
    let settings = KeServerSettings {
        listen: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
        certificate_chain: cert,
        private_key: key,
        max_connections: max,
        timeout: Duration::from_millis(500),
        ntp_server: None,
        ntp_port: Some(11123),
        protocols: vec![NextProtocol::Ntpv4, NextProtocol::DraftNtpv5],
    };
    let s = KeServer::start(settings, Arc::clone(&keys)).unwrap();
    Some((s, keys, ca))
}

#[test]
fn client_and_server_agree_on_keys_and_cookies() {
    let dir = std::env::temp_dir().join(format!("tempora-ke-{}", std::process::id()));
    let Some((server, keys, ca)) = server(&dir, 8) else {
        return;
    };
    let port = server.local_addrs()[0].port();
    let opts = KeOptions {
        ca_file: Some(ca),
        system_roots: false,
        timeout: Duration::from_secs(2),
    };
    let a = key_exchange("127.0.0.1", port, &opts).unwrap();
    assert_eq!(a.cookies.len(), 8);
    assert_eq!(a.ntp_port, 11123);
    assert_eq!(a.ntp_host, "127.0.0.1");
    eprintln!("key exchange group: {}", a.kx_group);
    assert!(a.kx_group.contains("MLKEM"), "{}", a.kx_group);
    // Every cookie holds exactly the keys the client exported.
    let guard = keys.read().unwrap();
    for c in &a.cookies {
        let inside = open_cookie(c, |id| guard.find(id)).unwrap();
        assert_eq!(inside, a.keys);
    }
    assert_eq!(settle(&server.counters.completed, 1), 1);
    assert_eq!(a.protocol, NextProtocol::Ntpv4);
    // Draft NTPv5 first (a source of version "auto"): the server offers it
    // and picks it; its keys are exported under protocol 0x8001, so they
    // differ from NTPv4's, and its cookies hold them.
    let v5 = key_exchange_for(
        "127.0.0.1",
        port,
        &opts,
        &[NextProtocol::DraftNtpv5, NextProtocol::Ntpv4],
    )
    .unwrap();
    assert_eq!(v5.protocol, NextProtocol::DraftNtpv5);
    assert_ne!(v5.keys, a.keys);
    for c in &v5.cookies {
        assert_eq!(open_cookie(c, |id| guard.find(id)).unwrap(), v5.keys);
    }
    assert_eq!(settle(&server.counters.completed, 2), 2);
    // Without the CA the client refuses the server.
    let e = key_exchange(
        "127.0.0.1",
        port,
        &KeOptions {
            ca_file: None,
            system_roots: false,
            timeout: Duration::from_secs(2),
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("UnknownIssuer"), "{e}");
    drop(guard);
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 13: at its bound the server closes the oldest idle connection
/// (its request not yet arrived) for a newcomer, rather than refusing it
/// (until issue 13 the newcomer was refused while the idle one lasted).
#[test]
fn busy_server_closes_an_idle_connection_for_a_client() {
    use std::io::Read;
    let dir = std::env::temp_dir().join(format!("tempora-ke-busy-{}", std::process::id()));
    let Some((server, _keys, ca)) = server(&dir, 1) else {
        return;
    };
    let addr = server.local_addrs()[0];
    // A silent connection holds the only slot.
    let mut idle = std::net::TcpStream::connect(addr).unwrap();
    let opts = KeOptions {
        ca_file: Some(ca),
        system_roots: false,
        timeout: Duration::from_secs(2),
    };
    key_exchange("127.0.0.1", addr.port(), &opts).unwrap();
    assert_eq!(server.counters.evicted.load(Ordering::Relaxed), 1);
    assert_eq!(server.counters.refused.load(Ordering::Relaxed), 0);
    // The idle one was closed.
    idle.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    assert_eq!(idle.read(&mut [0u8; 16]).unwrap_or(0), 0);
    assert_eq!(settle(&server.counters.completed, 1), 1);
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `count` connections to `addr` that send nothing; `None` (the test is
/// skipped) where IPv6 loopback is missing, except under CI=true.
fn idle_connections(addr: SocketAddr, count: usize) -> Option<Vec<std::net::TcpStream>> {
    let mut v = Vec::new();
    for _ in 0..count {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(s) => v.push(s),
            Err(e) if v.is_empty() => {
                assert!(
                    std::env::var("CI").ok().as_deref() != Some("true"),
                    "{addr}: {e}"
                );
                eprintln!("skipped: no IPv6 loopback ({e})");
                return None;
            }
            Err(e) => panic!("{addr}: {e}"),
        }
    }
    Some(v)
}

/// A server on a dual-stack socket (`[::]`: one acceptor, so that it
/// takes connections in the order they came, whether from ::1 or
/// 127.0.0.1) with the default bound of 64 and a 5 s timeout (the idle
/// connections outlast the test), with `limits` (none: the defaults).
fn slow_server(dir: &Path, limits: Option<KeLimits>) -> Option<(KeServer, PathBuf)> {
    let (ca, cert, key) = pki(dir)?;
    let keys = Arc::new(RwLock::new(CookieKeys::new(None, 3600, 0).unwrap()));
    let settings = KeServerSettings {
        listen: vec!["[::]:0".parse().unwrap()],
        certificate_chain: cert,
        private_key: key,
        max_connections: 64,
        timeout: Duration::from_secs(5),
        ntp_server: None,
        ntp_port: None,
        protocols: vec![NextProtocol::Ntpv4],
    };
    let s = match limits {
        None => KeServer::start(settings, keys),
        Some(l) => KeServer::start_with_limits(settings, l, keys),
    };
    Some((s.unwrap(), ca))
}

/// Issue 13 (slowloris): 70 idle connections from one address (::1) to a
/// server whose bound is 64; Tempora's client (from 127.0.0.1) still
/// completes key establishment at once (until issue 13 it was refused
/// while the idle ones lasted).
#[test]
fn idle_connections_from_one_address_do_not_lock_clients_out() {
    let dir = std::env::temp_dir().join(format!("tempora-ke-slow-{}", std::process::id()));
    let Some((server, ca)) = slow_server(&dir, None) else {
        return;
    };
    let port = server.local_addrs()[0].port();
    let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port));
    let Some(idle) = idle_connections(v6, 70) else {
        return;
    };
    let opts = KeOptions {
        ca_file: Some(ca),
        system_roots: false,
        timeout: Duration::from_secs(2),
    };
    let a = key_exchange("127.0.0.1", port, &opts).unwrap();
    assert_eq!(a.cookies.len(), 8);
    // Past its 8 at once, each of the other 62 was refused by the rate
    // limit or let in closing one of its own idle ones.
    let c = &server.counters;
    let (limited, evicted) = (
        c.rate_limited.load(Ordering::Relaxed),
        c.evicted.load(Ordering::Relaxed),
    );
    assert_eq!(
        limited + evicted,
        62,
        "{limited} rate-limited, {evicted} closed"
    );
    assert_eq!(c.refused.load(Ordering::Relaxed), 0);
    drop(idle);
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 13: without per-address limits (one address may hold every
/// slot, no rate limit), 70 idle connections fill the server; at its bound
/// the oldest idle ones are closed, and a client is served.
#[test]
fn a_full_server_closes_the_oldest_idle_connections() {
    let dir = std::env::temp_dir().join(format!("tempora-ke-full-{}", std::process::id()));
    let limits = KeLimits {
        max_per_address: 1000,
        rate_limit: None,
        ..KeLimits::default()
    };
    let Some((server, ca)) = slow_server(&dir, Some(limits)) else {
        return;
    };
    let port = server.local_addrs()[0].port();
    let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port));
    let Some(mut idle) = idle_connections(v6, 70) else {
        return;
    };
    let opts = KeOptions {
        ca_file: Some(ca),
        system_roots: false,
        timeout: Duration::from_secs(2),
    };
    key_exchange("127.0.0.1", port, &opts).unwrap();
    // 6 closed for the 65th to 70th, one for the client: the 7 oldest.
    assert_eq!(server.counters.evicted.load(Ordering::Relaxed), 7);
    assert_eq!(server.counters.refused.load(Ordering::Relaxed), 0);
    use std::io::Read;
    idle[0]
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    assert_eq!(idle[0].read(&mut [0u8; 16]).unwrap_or(0), 0, "closed");
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// RFC 8915 §4: a client that offers no ALPN gets no cookies.
#[test]
fn client_without_alpn_is_refused() {
    use std::io::{Read, Write};
    let dir = std::env::temp_dir().join(format!("tempora-ke-alpn-{}", std::process::id()));
    let Some((server, _keys, ca)) = server(&dir, 8) else {
        return;
    };
    let addr = server.local_addrs()[0];
    let mut config = tempora_nts::client::tls_config(&KeOptions {
        ca_file: Some(ca),
        system_roots: false,
        timeout: Duration::from_secs(2),
    })
    .unwrap();
    config.alpn_protocols.clear();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1".to_string()).unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(&tempora_nts::records::client_request())
        .unwrap();
    let mut got = Vec::new();
    let _ = tls.read_to_end(&mut got);
    assert!(
        got.is_empty(),
        "answered without ALPN: {} octets",
        got.len()
    );
    assert_eq!(settle(&server.counters.failed, 1), 1);
    assert_eq!(server.counters.completed.load(Ordering::Relaxed), 0);
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
