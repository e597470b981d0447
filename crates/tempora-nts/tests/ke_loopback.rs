//! NTS-KE over loopback, Tempora's client against Tempora's server, with a
//! test CA made by openssl (skipped without openssl, except under CI=true).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tempora_ntp::nts::open_cookie;
use tempora_nts::client::{KeOptions, key_exchange};
use tempora_nts::keys::CookieKeys;
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

#[test]
fn busy_server_refuses_beyond_its_bound() {
    let dir = std::env::temp_dir().join(format!("tempora-ke-busy-{}", std::process::id()));
    let Some((server, _keys, ca)) = server(&dir, 1) else {
        return;
    };
    let addr = server.local_addrs()[0];
    // A silent connection holds the only slot until its 500 ms timeout.
    let idle = std::net::TcpStream::connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let opts = KeOptions {
        ca_file: Some(ca),
        system_roots: false,
        timeout: Duration::from_secs(2),
    };
    assert!(key_exchange("127.0.0.1", addr.port(), &opts).is_err());
    assert_eq!(server.counters.refused.load(Ordering::Relaxed), 1);
    drop(idle);
    // The idle connection ends (closed), freeing the slot.
    assert_eq!(settle(&server.counters.failed, 1), 1, "the idle one ended");
    std::thread::sleep(Duration::from_millis(50));
    assert!(key_exchange("127.0.0.1", addr.port(), &opts).is_ok());
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
