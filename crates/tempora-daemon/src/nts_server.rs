//! The server side of NTS (RFC 8915): the cookie master keys, shared by
//! the NTS-KE server (§4, on threads of its own) and the NTP server (§5),
//! kept in the key file and rotated when due (§6), and the NTS-KE server's
//! counters for the status.

use std::io;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, RwLock};

use tempora_config::{NtpServerSettings, NtsKeServerSettings};
use tempora_ntp::access::RateLimit;
use tempora_ntp::wire::ntske::NextProtocol;
use tempora_nts::keys::CookieKeys;
use tempora_nts::limits::KeLimits;
use tempora_nts::server::{KeServer, KeServerSettings};

use crate::status::NtsKeStatus;

/// The master keys, as the NTS-KE server and the NTP server share them.
pub type SharedKeys = Arc<RwLock<CookieKeys>>;

/// Seconds since the Unix epoch, by the system clock (for the NTS key
/// file's creation times).
fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The master keys of `[nts-ke-server]`, from its key file (created if
/// missing).
pub fn open_keys(settings: &NtsKeServerSettings) -> io::Result<SharedKeys> {
    let keys = CookieKeys::new(
        settings.key_file.clone(),
        settings.key_rotation.as_secs_f64() as u64,
        unix_seconds(),
    )
    .map_err(|e| io::Error::new(e.kind(), format!("NTS key file: {e}")))?;
    Ok(Arc::new(RwLock::new(keys)))
}

/// The NTS-KE server's settings from `[nts-ke-server]`.
pub fn ke_settings(k: &NtsKeServerSettings) -> KeServerSettings {
    KeServerSettings {
        listen: k.listen.clone(),
        certificate_chain: k.certificate_chain.clone(),
        private_key: k.private_key.clone(),
        max_connections: usize::from(k.max_connections),
        timeout: std::time::Duration::from_secs_f64(k.timeout.as_secs_f64()),
        ntp_server: k.ntp_server.clone(),
        ntp_port: k.ntp_port,
        protocols: vec![NextProtocol::Ntpv4],
    }
}

/// The NTP versions the NTS-KE server offers (RFC 8915 §4.1.2): those
/// `[ntp-server] versions` answers (draft NTPv5 as protocol 0x8001), or
/// NTPv4 alone when this daemon serves no NTP (the KE server then names
/// another NTP server, whose versions it cannot know).
pub fn ke_protocols(serving: Option<&NtpServerSettings>) -> Vec<NextProtocol> {
    let Some(s) = serving else {
        return vec![NextProtocol::Ntpv4];
    };
    let mut protocols = Vec::new();
    if s.serves_v5() {
        protocols.push(NextProtocol::DraftNtpv5);
    }
    if s.serves_v4() {
        protocols.push(NextProtocol::Ntpv4);
    }
    protocols
}

/// Starts the NTS-KE server's threads.
pub fn start_ke_server(
    settings: &NtsKeServerSettings,
    serving: Option<&NtpServerSettings>,
    keys: &SharedKeys,
) -> io::Result<KeServer> {
    let ke = KeServerSettings {
        protocols: ke_protocols(serving),
        ..ke_settings(settings)
    };
    let server = KeServer::start_with_limits(ke, limits(settings), Arc::clone(keys))
        .map_err(io::Error::other)?;
    for addr in server.local_addrs() {
        tracing::info!(listen = %addr, "NTS-KE server");
    }
    Ok(server)
}

/// The NTS-KE server's limits against floods of connections, from
/// `[nts-ke-server]`.
fn limits(k: &NtsKeServerSettings) -> KeLimits {
    KeLimits {
        max_per_address: usize::from(k.max_connections_per_address),
        prefix_v4: k.address_prefix_v4,
        prefix_v6: k.address_prefix_v6,
        rate_limit: k.rate_limit.then(|| RateLimit {
            interval: tempora_clock::Duration::from_log2_secs(k.rate_limit_interval),
            burst: u32::from(k.rate_limit_burst),
        }),
        leak: k.rate_limit_leak,
    }
}

/// Rotates the NTS master keys when due (RFC 8915 §6); a failure to save
/// them is logged, and the new key is used anyway.
pub fn rotate_if_due(keys: &RwLock<CookieKeys>) {
    let now = unix_seconds();
    if !keys.read().is_ok_and(|k| k.due(now)) {
        return;
    }
    let mut k = keys.write().unwrap_or_else(|p| p.into_inner());
    match k.rotate_if_due(now) {
        Ok(true) => tracing::info!(keys = k.len(), "NTS master key rotated"),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "NTS master key rotated but not saved"),
    }
}

/// The NTS-KE server's counters.
pub fn ke_status(server: &KeServer) -> NtsKeStatus {
    NtsKeStatus {
        completed: server.counters.completed.load(Relaxed),
        failed: server.counters.failed.load(Relaxed),
        refused: server.counters.refused.load(Relaxed),
        rate_limited: server.counters.rate_limited.load(Relaxed),
        evicted: server.counters.evicted.load(Relaxed),
    }
}
