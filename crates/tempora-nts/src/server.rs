//! The NTS-KE server (RFC 8915 §4): TLS 1.3 only with ALPN `ntske/1`, one
//! thread per listen address accepting connections, one short-lived thread
//! per handshake up to a bound, a timeout on every read and write. Each
//! client gets the negotiated algorithm, eight cookies made under the
//! current master key, and optionally the NTP server and port to use.
//!
//! Against floods of connections ([`crate::limits`]): at most
//! `max_connections` at once and [`KeLimits::max_per_address`] from one
//! address block; a bound reached closes the oldest idle connection (its
//! request not yet arrived) rather than refusing the newcomer; new
//! connections per block are rate-limited, with a leak.
//!
//! This is an auxiliary service, started only when `[nts-ke-server]` is
//! configured; the timing loop only shares the master keys with it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use tempora_ntp::access::{RateLimiter, Verdict};
use tempora_ntp::nts::{Keys, MAX_COOKIES, NONCE_LEN, make_cookie};
use tempora_ntp::wire::ntske::{AeadAlgorithm, NextProtocol};

use crate::client::export_keys_for;
use crate::keys::CookieKeys;
use crate::limits::{Connections, KeLimits, address_block, limiter_time};
use crate::records::{error_response, parse_request, server_response_for};
use crate::{ALPN, EXPORTER_LABEL};

/// The server's settings.
#[derive(Debug, Clone)]
pub struct KeServerSettings {
    /// Where to listen (TCP).
    pub listen: Vec<SocketAddr>,
    /// PEM file of the certificate chain, leaf first.
    pub certificate_chain: PathBuf,
    /// PEM file of the private key.
    pub private_key: PathBuf,
    /// Connections served at once; at the bound the oldest idle one is
    /// closed for a newcomer, which is refused (closed at once) only when
    /// none is idle.
    pub max_connections: usize,
    /// Bound on each read and write of a connection.
    pub timeout: Duration,
    /// The NTP server to name (RFC 8915 §4.1.7), if not this host.
    pub ntp_server: Option<String>,
    /// The NTP port to name (RFC 8915 §4.1.8), if not 123.
    pub ntp_port: Option<u16>,
    /// The NTP versions offered (RFC 8915 §4.1.2): NTPv4 and/or draft
    /// NTPv5, as the NTP server answers them. The client's first that is
    /// among them is chosen.
    pub protocols: Vec<NextProtocol>,
}

/// Counters of the server.
#[derive(Debug, Default)]
pub struct KeCounters {
    /// Key exchanges completed (cookies sent).
    pub completed: AtomicU64,
    /// Connections that failed (TLS, timeout, bad request).
    pub failed: AtomicU64,
    /// Connections refused because `max_connections` (or the per-address
    /// bound) were busy with requests, none idle.
    pub refused: AtomicU64,
    /// Connections refused by the per-address rate limit.
    pub rate_limited: AtomicU64,
    /// Idle connections closed early to make room for a newcomer.
    pub evicted: AtomicU64,
}

/// The running server.
pub struct KeServer {
    stop: Arc<AtomicBool>,
    local: Vec<SocketAddr>,
    threads: Vec<JoinHandle<()>>,
    /// Its counters.
    pub counters: Arc<KeCounters>,
}

/// The TLS configuration: TLS 1.3 only, ALPN `ntske/1` (a client offering
/// other protocols is refused by the handshake; one offering none is
/// refused after the handshake, when the request is served).
pub fn tls_config(s: &KeServerSettings) -> Result<ServerConfig, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&s.certificate_chain)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", s.certificate_chain.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", s.certificate_chain.display()));
    }
    let key = PrivateKeyDer::from_pem_file(&s.private_key)
        .map_err(|e| format!("{}: {e}", s.private_key.display()))?;
    let mut config = ServerConfig::builder_with_protocol_versions(&[&rustls::version::TLS13])
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            // The key does not parse, or is not the certificate's.
            format!(
                "{} with {}: {e}",
                s.private_key.display(),
                s.certificate_chain.display()
            )
        })?;
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(config)
}

/// Algorithms this server accepts, in no particular order: it takes the
/// client's first that is among them.
const SUPPORTED: [AeadAlgorithm; 2] = [AeadAlgorithm::AesSivCmac256, AeadAlgorithm::AesSivCmac512];

/// The client's first protocol (in its order of preference) that the
/// server offers (RFC 8915 §4.1.2).
pub fn choose_protocol(asked: &[u16], offered: &[NextProtocol]) -> Option<NextProtocol> {
    asked
        .iter()
        .map(|p| NextProtocol::from_u16(*p))
        .find(|p| offered.contains(p))
}

/// Slots of the per-address rate limiter's table (bounded memory).
const RATE_SLOTS: usize = 1024;

struct Shared {
    tls: Arc<ServerConfig>,
    keys: Arc<RwLock<CookieKeys>>,
    settings: KeServerSettings,
    limits: KeLimits,
    connections: Mutex<Connections>,
    limiter: Option<Mutex<RateLimiter<RATE_SLOTS>>>,
    started: Instant,
    counters: Arc<KeCounters>,
}

impl Shared {
    fn connections(&self) -> std::sync::MutexGuard<'_, Connections> {
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a new connection from `block` is within its rate (or
    /// leaks through).
    fn within_rate(&self, block: std::net::IpAddr) -> bool {
        let Some(limiter) = &self.limiter else {
            return true;
        };
        let now = limiter_time(self.started.elapsed());
        let mut rng = rand::thread_rng();
        let mut l = limiter.lock().unwrap_or_else(|p| p.into_inner());
        l.check_or_leak(block, now, &mut rng) == Verdict::Answer
    }
}

impl KeServer {
    /// Binds every listen address and starts the acceptors, with the
    /// default limits ([`KeLimits::default`]).
    pub fn start(
        settings: KeServerSettings,
        keys: Arc<RwLock<CookieKeys>>,
    ) -> Result<KeServer, String> {
        KeServer::start_with_limits(settings, KeLimits::default(), keys)
    }

    /// Binds every listen address and starts the acceptors, with `limits`.
    pub fn start_with_limits(
        settings: KeServerSettings,
        limits: KeLimits,
        keys: Arc<RwLock<CookieKeys>>,
    ) -> Result<KeServer, String> {
        let tls = Arc::new(tls_config(&settings)?);
        let mut listeners = Vec::new();
        for addr in &settings.listen {
            let l = TcpListener::bind(addr).map_err(|e| format!("NTS-KE listen {addr}: {e}"))?;
            listeners.push(l);
        }
        let local = listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect();
        let counters = Arc::new(KeCounters::default());
        let limiter = limits.rate_limit.map(|r| {
            let key: u64 = rand::random();
            Mutex::new(RateLimiter::new(r, key).with_leak(limits.leak))
        });
        let connections = Connections::new(settings.max_connections, limits.max_per_address);
        let shared = Arc::new(Shared {
            tls,
            keys,
            settings,
            limits,
            connections: Mutex::new(connections),
            limiter,
            started: Instant::now(),
            counters: Arc::clone(&counters),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for l in listeners {
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            let t = std::thread::Builder::new()
                .name("nts-ke".into())
                .spawn(move || accept_loop(&l, &shared, &stop))
                .map_err(|e| e.to_string())?;
            threads.push(t);
        }
        Ok(KeServer {
            stop,
            local,
            threads,
            counters,
        })
    }

    /// The addresses it listens on.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local
    }
}

impl Drop for KeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the acceptors.
        for addr in &self.local {
            let _ = TcpStream::connect_timeout(addr, Duration::from_millis(100));
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, stop: &AtomicBool) {
    loop {
        let conn = listener.accept();
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok((tcp, peer)) = conn else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let Some(id) = admit(shared, &tcp, peer) else {
            continue;
        };
        let s = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("nts-ke-conn".into())
            .spawn(move || {
                match serve(tcp, &s, id) {
                    Ok(()) => s.counters.completed.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "NTS-KE failed");
                        s.counters.failed.fetch_add(1, Ordering::Relaxed)
                    }
                };
                s.connections().remove(id);
            });
        if spawned.is_err() {
            shared.connections().remove(id);
            shared.counters.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Lets the connection from `peer` in (its id), or refuses it (closed
/// when `tcp` is dropped): over its block's rate, or a bound reached with
/// no idle connection to close.
fn admit(shared: &Shared, tcp: &TcpStream, peer: SocketAddr) -> Option<u64> {
    let l = &shared.limits;
    let block = address_block(peer.ip(), l.prefix_v4, l.prefix_v6);
    if !shared.within_rate(block) {
        shared.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%peer, "NTS-KE: over the rate limit; refused");
        return None;
    }
    let admitted = shared.connections().admit(block, tcp.try_clone().ok());
    let Some(admitted) = admitted else {
        shared.counters.refused.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%peer, "NTS-KE: too many connections, none idle; refused");
        return None;
    };
    if admitted.evicted > 0 {
        let c = &shared.counters.evicted;
        c.fetch_add(admitted.evicted, Ordering::Relaxed);
        tracing::debug!(%peer, "NTS-KE: bound reached; the oldest idle connection closed");
    }
    Some(admitted.id)
}

/// Makes `count` cookies holding `keys` under the current master key.
pub fn cookies(master: &RwLock<CookieKeys>, keys: &Keys, count: usize) -> Vec<Vec<u8>> {
    let guard = master.read().unwrap_or_else(|p| p.into_inner());
    let current = guard.current();
    (0..count)
        .filter_map(|_| {
            let mut out = [0u8; 256];
            let nonce: [u8; NONCE_LEN] = rand::random();
            let n = make_cookie(current, &nonce, keys, &mut out).ok()?;
            Some(out[..n].to_vec())
        })
        .collect()
}

/// One connection (`id` among the [`Connections`]): the whole exchange must end within twice the timeout
/// (so a client trickling bytes cannot hold a slot), each read and write
/// within the timeout.
fn serve(tcp: TcpStream, s: &Shared, id: u64) -> Result<(), String> {
    let timeout = s.settings.timeout;
    let deadline = std::time::Instant::now() + timeout * 2;
    tcp.set_read_timeout(Some(timeout))
        .and_then(|_| tcp.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let conn = ServerConnection::new(Arc::clone(&s.tls)).map_err(|e| e.to_string())?;
    let mut tls = StreamOwned::new(conn, tcp);
    let mut data = Vec::new();
    let mut buf = [0u8; 1024];
    let request = loop {
        match parse_request(&data) {
            Ok(Some(r)) => {
                // Its request is in: no longer idle.
                s.connections().busy(id);
                break r;
            }
            Ok(None) => {}
            Err(code) => {
                let _ = tls.write_all(&error_response(code));
                let _ = tls.flush();
                return Err(format!("bad request: {code:?}"));
            }
        }
        if data.len() > 16 * 1024 {
            return Err("request over 16 KiB".into());
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err("too slow: connection deadline passed".into());
        }
        tls.sock
            .set_read_timeout(Some(left.min(timeout)))
            .map_err(|e| e.to_string())?;
        match tls.read(&mut buf) {
            Ok(0) => return Err("closed before End of Message".into()),
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) => return Err(e.to_string()),
        }
    };
    // RFC 8915 §4: ALPN `ntske/1` is required.
    if tls.conn.alpn_protocol() != Some(ALPN) {
        return Err("no ALPN ntske/1".into());
    }
    let protocol = choose_protocol(&request.protocols, &s.settings.protocols);
    let algorithm = request
        .algorithms
        .iter()
        .map(|a| AeadAlgorithm::from_u16(*a))
        .find(|a| SUPPORTED.contains(a));
    let (response, result) = match (protocol, algorithm) {
        (Some(protocol), Some(alg)) => {
            let keys = export_keys_for(
                |out, context| {
                    tls.conn
                        .export_keying_material(out, EXPORTER_LABEL, Some(context))
                        .map(drop)
                },
                protocol,
                alg,
            )
            .map_err(|e| e.to_string())?;
            let cookies = cookies(&s.keys, &keys, MAX_COOKIES);
            (
                server_response_for(
                    Some(protocol),
                    Some(alg),
                    &cookies,
                    s.settings.ntp_server.as_deref(),
                    s.settings.ntp_port,
                ),
                Ok(()),
            )
        }
        _ => (
            server_response_for(protocol, None, &[], None, None),
            Err("no common protocol or algorithm".to_string()),
        ),
    };
    tls.write_all(&response).map_err(|e| e.to_string())?;
    tls.conn.send_close_notify();
    tls.flush().map_err(|e| e.to_string())?;
    result
}
