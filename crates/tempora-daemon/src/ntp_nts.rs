//! NTS for the daemon's NTP client (RFC 8915): key establishment on an
//! auxiliary thread (TLS and DNS block, the timing loop must not), and the
//! glue to the sans-IO NTS state of each source
//! ([`tempora_ntp::nts::client`]: the keys, the cookie stash, the
//! protection of each request, the check of each reply, and when key
//! establishment must run again), whose timers run on [`nts_now`].

use std::io;
use std::net::SocketAddr;
use std::sync::{OnceLock, mpsc};
use std::time::Instant;

use tempora_clock::Time;
use tempora_config::NtpVersionSetting;
pub use tempora_ntp::nts::client::Checked;
use tempora_ntp::nts::client::NtsClient;
use tempora_ntp::wire::ntske::NextProtocol;
use tempora_nts::client::{Association, KeOptions, key_exchange_for};

use crate::dns::server_addresses;

/// What the key-establishment thread answers: the association and the NTP
/// server's address, or why not.
pub type KeAnswer = (usize, Result<(Association, SocketAddr), String>);

/// A request to the key-establishment thread: the source's index, the
/// NTS-KE host and port, and the protocols offered.
type KeRequest = (usize, String, u16, Vec<NextProtocol>);

/// Key establishment on its own thread, started only when a source has
/// `nts = true`.
pub struct KeWorker {
    requests: mpsc::Sender<KeRequest>,
    answers: mpsc::Receiver<KeAnswer>,
}

impl KeWorker {
    /// Starts the thread; `opts` says which CAs to trust.
    pub fn start(opts: KeOptions) -> io::Result<KeWorker> {
        let (requests, rx) = mpsc::channel::<KeRequest>();
        let (tx, answers) = mpsc::channel();
        std::thread::Builder::new()
            .name("nts-ke-client".into())
            .spawn(move || {
                for (origin, host, port, protocols) in rx {
                    let answer = key_exchange_for(&host, port, &opts, &protocols)
                        .map_err(|e| e.to_string())
                        .and_then(|a| {
                            let ntp = a.ntp_server();
                            let addr = server_addresses(&ntp)
                                .map_err(|e| format!("{ntp}: {e}"))?
                                .into_iter()
                                .next()
                                .ok_or_else(|| format!("{ntp}: no address"))?;
                            Ok((a, addr))
                        });
                    if tx.send((origin, answer)).is_err() {
                        return;
                    }
                }
            })?;
        Ok(KeWorker { requests, answers })
    }

    /// Asks for key establishment with `host:port` for source `origin`,
    /// offering `protocols`.
    pub fn request(&self, origin: usize, host: &str, port: u16, protocols: &[NextProtocol]) {
        let _ = self
            .requests
            .send((origin, host.to_string(), port, protocols.to_vec()));
    }

    /// The answers that came in.
    pub fn answers(&self) -> Vec<KeAnswer> {
        std::iter::from_fn(|| self.answers.try_recv().ok()).collect()
    }
}

/// The NTS state of one source: where its key establishment goes, and
/// the sans-IO state (keys, cookie stash, timers, counters).
#[derive(Debug)]
pub struct NtsSource {
    /// The NTS-KE server and port.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The protocols offered to NTS-KE, preferred first.
    pub protocols: Vec<NextProtocol>,
    /// Keys, cookies, the request in flight, when to ask for key
    /// establishment; its timers run on [`nts_now`].
    pub client: NtsClient,
}

impl NtsSource {
    /// A source with key establishment at `host:port` still to do, for
    /// NTPv4.
    pub fn new(host: String, port: u16) -> Self {
        NtsSource::for_version(host, port, NtpVersionSetting::V4)
    }

    /// A source of `version`: NTS-KE is offered draft NTPv5 (protocol
    /// 0x8001) for 5, draft NTPv5 then NTPv4 for "auto", NTPv4 for 4.
    pub fn for_version(host: String, port: u16, version: NtpVersionSetting) -> Self {
        let protocols = match version {
            NtpVersionSetting::V4 => vec![NextProtocol::Ntpv4],
            NtpVersionSetting::V5 => vec![NextProtocol::DraftNtpv5],
            NtpVersionSetting::Auto => vec![NextProtocol::DraftNtpv5, NextProtocol::Ntpv4],
        };
        NtsSource {
            host,
            port,
            protocols,
            client: NtsClient::new(),
        }
    }

    /// Key establishment succeeded at `now` (on [`nts_now`]): the keys and
    /// cookies of `a` go to the core; `false` when none of its cookies can
    /// be used (the core counts that as a failure).
    pub fn associate(&mut self, now: Time, a: &Association) -> bool {
        self.client
            .associate(now, a.keys.clone(), a.cookies.iter().map(Vec::as_slice))
    }

    /// Protects the request `header` into `out` (the core's
    /// [`NtsClient::protect`], with the thread's random number generator
    /// for the unique identifier and the nonce).
    pub fn protect(&mut self, header: &[u8; 48], out: &mut [u8]) -> Option<usize> {
        self.client.protect(header, &mut rand::thread_rng(), out)
    }
}

/// Checks a reply `data` with the source's NTS state: the reply to an
/// NTPv5 request by [`NtsClient::check_v5`] (which refuses anything but an
/// NTPv5 reply), to an NTPv4 request as NTPv4. Returns the verdict and
/// the octets to read on (an NTPv5 reply's authenticated part; an NTPv4
/// reply whole).
pub fn check(n: &mut NtsSource, data: &[u8]) -> (Checked, usize) {
    if n.client.v5_in_flight() {
        return n.client.check_v5(data);
    }
    (n.client.check(data), data.len())
}

/// The time the NTS timers run on (the re-key after a NAK, the back-off
/// after failed key establishment): a monotonic clock (the time since the
/// first call), not the disciplined clock, so that a step of the clock
/// neither stretches nor cuts them.
pub fn nts_now() -> Time {
    static START: OnceLock<Instant> = OnceLock::new();
    let since = START.get_or_init(Instant::now).elapsed();
    Time::from_nanos(i128::from(
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempora_ntp::nts::{Key, Keys};
    use tempora_ntp::wire::ntske::AeadAlgorithm;

    fn association(cookies: Vec<Vec<u8>>) -> Association {
        let key = |b| Key::new(AeadAlgorithm::AesSivCmac256, &[b; 32]).unwrap();
        Association {
            protocol: tempora_ntp::wire::ntske::NextProtocol::Ntpv4,
            keys: Keys {
                c2s: key(1),
                s2c: key(2),
            },
            cookies,
            ntp_host: "localhost".into(),
            ntp_port: 123,
            kx_group: "X25519".into(),
        }
    }

    #[test]
    fn an_association_hands_its_keys_and_first_eight_cookies_to_the_core() {
        let mut n = NtsSource::new("localhost".into(), 4460);
        let now = nts_now();
        assert!(n.client.start_key_exchange(now));
        assert!(n.associate(now, &association(vec![vec![7; 100]; 10])));
        assert_eq!(n.client.cookies(), 8);
        assert_eq!(n.client.counters().key_exchanges, 1);
        let mut out = [0u8; 2048];
        let len = n.protect(&[0x23; 48], &mut out).unwrap();
        assert_eq!(n.client.cookies(), 7);
        // Header, unique identifier, the cookie and the authenticator (its
        // nonce and tag): a full stash asks for no more.
        assert_eq!(len, 48 + 36 + 104 + 8 + 32);
        // Cookies the core cannot keep: a failure, retried later.
        let mut n = NtsSource::new("localhost".into(), 4460);
        assert!(!n.associate(now, &association(vec![vec![7; 300]])));
        assert!(!n.client.ready());
        assert!(!n.client.needs_key_exchange(now));
    }

    #[test]
    fn the_nts_time_does_not_go_back() {
        let a = nts_now();
        let b = nts_now();
        assert!(b >= a);
    }
}
