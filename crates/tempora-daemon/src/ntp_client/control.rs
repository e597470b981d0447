//! What `tempora ctl` asks of the NTP client (docs/control.md): a burst,
//! offline and online, a source added or removed at runtime, a step to
//! the system peer now. Each goes to the sans-IO cores (the sources of
//! `tempora_ntp::client`, the system process); only the sockets of added
//! and removed sources are opened and closed here.

use std::io;
use std::os::fd::RawFd;

use tempora_clock::{Duration, Time};
use tempora_config::{NtpSourceKind, NtpSourceSettings};
use tempora_control::AddSource;
use tempora_nts::client::KeOptions;

use super::{ClientSource, NtpClient};
use crate::dns::{Resolver, resolve};
use crate::ntp_nts::{KeWorker, NtsSource};
use crate::runtime::{DisciplinedClock, PortIo, Runtime};

/// Requests of a burst after the first (chronyc's `burst` sends a few;
/// RFC 5905 §13's BURST eight in all).
pub const BURST_REQUESTS: u8 = 7;

/// Why a control request to the NTP client was not carried out.
#[derive(Debug)]
pub enum ControlError {
    /// No NTP source is named so.
    UnknownSource(String),
    /// The name is taken by a source already.
    AlreadyThere(String),
    /// Nothing is selected to step to.
    NoSystemPeer,
    /// The address cannot be used.
    BadAddress(String),
    /// A socket or thread could not be opened.
    Io(io::Error),
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlError::UnknownSource(s) => write!(f, "no NTP source {s}"),
            ControlError::AlreadyThere(s) => write!(f, "{s} is a source already"),
            ControlError::NoSystemPeer => {
                write!(f, "no source is selected: nothing to step to")
            }
            ControlError::BadAddress(e) => write!(f, "cannot use the address: {e}"),
            ControlError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for ControlError {
    fn from(e: io::Error) -> Self {
        ControlError::Io(e)
    }
}

/// Whether `name` names `s`: its configured address, its socket address
/// (with or without `ntp:`, as `tempora sources` shows it) or its IP.
fn names(s: &ClientSource, name: &str) -> bool {
    crate::sources::names_source(name, "ntp:", &s.name, &s.addr)
}

impl NtpClient {
    /// The indices of the sources `name` names (all without a name); an
    /// error if it names none.
    fn matching(&self, name: Option<&str>) -> Result<Vec<usize>, ControlError> {
        let found: Vec<usize> = (0..self.sources.len())
            .filter(|&i| name.is_none_or(|n| names(&self.sources[i], n)))
            .collect();
        match (name, found.is_empty()) {
            (Some(n), true) => Err(ControlError::UnknownSource(n.into())),
            _ => Ok(found),
        }
    }

    /// Polls the sources `name` names (all without one) now and then
    /// [`BURST_REQUESTS`] more times 2 s apart. Returns how many sources
    /// burst (an offline or demobilized source does not).
    pub fn burst(&mut self, now: Time, name: Option<&str>) -> Result<usize, ControlError> {
        let found = self.matching(name)?;
        Ok(found
            .into_iter()
            .filter(|&i| self.sources[i].source.burst(now, BURST_REQUESTS))
            .count())
    }

    /// Takes the sources `name` names (all without one) offline, or back
    /// online (polled at once). Returns how many changed.
    pub fn set_online(
        &mut self,
        now: Time,
        name: Option<&str>,
        online: bool,
    ) -> Result<usize, ControlError> {
        let found = self.matching(name)?;
        let mut changed = 0;
        for i in found {
            let s = &mut self.sources[i];
            if s.source.set_online(now, online) {
                changed += 1;
                if !online {
                    // Its estimate no longer ages into the selection.
                    self.system.handle_source_reset(s.id);
                }
            }
        }
        Ok(changed)
    }

    /// Steps the clock to the system peer now (chronyc's `makestep`),
    /// through the system process and the runtime. Returns the step.
    pub fn makestep<P: PortIo, C: DisciplinedClock>(
        &mut self,
        runtime: &mut Runtime<P, C>,
    ) -> Result<Duration, ControlError> {
        self.follow_steps(runtime);
        let now = runtime.clock.ntp_time(None);
        let step = self
            .system
            .request_step(now)
            .map_err(|_| ControlError::NoSystemPeer)?;
        self.act(runtime)?;
        Ok(step)
    }

    /// Adds the NTP server of `add` as a source from `now` (not written to
    /// the configuration). An IP address is polled at once (its socket
    /// returned); a name is resolved on the resolver thread, an NTS server
    /// found by key establishment, and their socket comes with
    /// [`NtpClient::maintain`].
    pub fn add_at_runtime(
        &mut self,
        add: &AddSource,
        now: Time,
    ) -> Result<Option<RawFd>, ControlError> {
        let settings = settings_of(add)?;
        let taken = self
            .settings
            .iter()
            .zip(&self.retired)
            .any(|(s, retired)| !retired && s.address == settings.address);
        if taken || self.sources.iter().any(|s| names(s, &add.address)) {
            return Err(ControlError::AlreadyThere(add.address.clone()));
        }
        let origin = self.settings.len();
        self.push_origin(settings.clone())?;
        tracing::info!(source = %settings.address, nts = settings.nts, "NTP source added by tempora ctl");
        if settings.nts {
            return Ok(None);
        }
        if is_literal(&settings.address) {
            let addr = resolve(&settings)?
                .into_iter()
                .next()
                .ok_or_else(|| ControlError::BadAddress(settings.address.clone()))?;
            return Ok(Some(self.add(origin, addr, now)?));
        }
        if self.resolver.is_none() {
            self.resolver = Some(Resolver::start()?);
        }
        if let Some(r) = &self.resolver {
            r.request(origin, &settings);
        }
        Ok(None)
    }

    /// A new `[[ntp-source]]` at the end of the per-origin tables.
    fn push_origin(&mut self, settings: NtpSourceSettings) -> Result<(), ControlError> {
        let nts = if settings.nts {
            if self.ke.is_none() {
                self.ke = Some(KeWorker::start(KeOptions {
                    ca_file: self.nts_ca_file.clone(),
                    system_roots: true,
                    timeout: std::time::Duration::from_secs(5),
                })?);
            }
            let (host, port) =
                tempora_nts::split_host_port(&settings.address, tempora_nts::KE_PORT);
            Some(NtsSource::for_version(host, port, settings.version))
        } else {
            None
        };
        self.nts.push(nts);
        self.last_resolve.push(None);
        self.retired.push(false);
        self.settings.push(settings);
        Ok(())
    }

    /// Removes the sources `name` names and what they came from (a pool
    /// is not topped up again, an NTS server not asked for keys). Returns
    /// the sockets closed.
    pub fn remove_at_runtime(&mut self, name: &str) -> Result<Vec<RawFd>, ControlError> {
        let origins: Vec<usize> = self
            .matching(Some(name))
            .unwrap_or_default()
            .into_iter()
            .map(|i| self.sources[i].origin)
            .chain((0..self.settings.len()).filter(|&o| {
                self.settings[o].address == name && self.retired.get(o) == Some(&false)
            }))
            .collect();
        if origins.is_empty() {
            return Err(ControlError::UnknownSource(name.into()));
        }
        for &o in &origins {
            if let Some(r) = self.retired.get_mut(o) {
                *r = true;
            }
            if let Some(n) = self.nts.get_mut(o) {
                *n = None;
            }
        }
        let mut closed = Vec::new();
        let system = &mut self.system;
        self.sources.retain(|s| {
            let keep = !origins.contains(&s.origin);
            if !keep {
                tracing::info!(source = %s.name, addr = %s.addr, "NTP source removed by tempora ctl");
                closed.push(s.socket.fd());
                system.remove_source(s.id);
            }
            keep
        });
        Ok(closed)
    }
}

/// Whether `address` is an IP address (with or without a port): resolving
/// it does not ask DNS.
fn is_literal(address: &str) -> bool {
    address.parse::<std::net::IpAddr>().is_ok() || address.parse::<std::net::SocketAddr>().is_ok()
}

/// The `[[ntp-source]]` of `add`: the configuration's defaults but for
/// what it sets.
fn settings_of(add: &AddSource) -> Result<NtpSourceSettings, ControlError> {
    let mut fields = serde_json::json!({ "address": add.address });
    let map = fields
        .as_object_mut()
        .ok_or_else(|| ControlError::BadAddress(add.address.clone()))?;
    map.insert("nts".into(), add.nts.into());
    map.insert("prefer".into(), add.prefer.into());
    map.insert("noselect".into(), add.noselect.into());
    map.insert("iburst".into(), (!add.no_iburst).into());
    if let Some(p) = add.minpoll {
        map.insert("minpoll".into(), p.into());
    }
    if let Some(p) = add.maxpoll {
        map.insert("maxpoll".into(), p.into());
    }
    let settings: NtpSourceSettings =
        serde_json::from_value(fields).map_err(|e| ControlError::BadAddress(e.to_string()))?;
    debug_assert_eq!(settings.kind, NtpSourceKind::Server);
    if settings.minpoll > settings.maxpoll {
        return Err(ControlError::BadAddress(format!(
            "minpoll {} is above maxpoll {}",
            settings.minpoll, settings.maxpoll
        )));
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ntp_keys::KeyTable;
    use tempora_system::SystemConfig;

    fn add(address: &str) -> AddSource {
        AddSource {
            address: address.into(),
            nts: false,
            minpoll: Some(2),
            maxpoll: None,
            prefer: true,
            noselect: false,
            no_iburst: true,
        }
    }

    #[test]
    fn a_source_added_at_runtime_can_burst_go_offline_and_be_removed() {
        let t0 = Time::from_secs_nanos(1_800_000_000, 0);
        let mut c = NtpClient::new(
            &[],
            SystemConfig::default(),
            None,
            KeyTable::default(),
            t0,
            0.0,
        )
        .unwrap();
        assert!(matches!(
            c.burst(t0, Some("127.0.0.1")),
            Err(ControlError::UnknownSource(_))
        ));
        assert_eq!(c.burst(t0, None).unwrap(), 0, "no sources: nothing to do");
        // Port 9 (discard): the socket is opened, nothing is sent here.
        let fd = c.add_at_runtime(&add("127.0.0.1:9"), t0).unwrap();
        assert!(fd.is_some());
        assert_eq!(c.fds(), vec![fd.unwrap()]);
        let s = &c.settings[0];
        assert_eq!((s.minpoll, s.prefer, s.iburst), (2, true, false));
        assert!(matches!(
            c.add_at_runtime(&add("127.0.0.1:9"), t0),
            Err(ControlError::AlreadyThere(_))
        ));
        let status = c.status();
        assert_eq!(status[0].address, "127.0.0.1:9");
        assert_eq!(status[0].poll, 2);
        // Every name `tempora sources` and the user may give.
        for name in ["127.0.0.1", "127.0.0.1:9", "ntp:127.0.0.1:9"] {
            assert_eq!(c.burst(t0, Some(name)).unwrap(), 1, "{name}");
        }
        assert_eq!(c.next_deadline(), Some(t0));
        assert_eq!(c.set_online(t0, None, false).unwrap(), 1);
        assert_eq!(c.status()[0].state, "offline");
        // Only the system process's start-up timeout is left to wait for.
        assert_eq!(
            c.next_deadline(),
            c.system.poll_timeout(),
            "offline: not polled"
        );
        assert!(c.next_deadline() > Some(t0));
        assert_eq!(c.burst(t0, None).unwrap(), 0, "offline: no burst");
        assert_eq!(c.set_online(t0, Some("127.0.0.1"), true).unwrap(), 1);
        assert_eq!(c.status()[0].state, "active");
        let closed = c.remove_at_runtime("ntp:127.0.0.1:9").unwrap();
        assert_eq!(closed, fd.into_iter().collect::<Vec<_>>());
        assert!(c.status().is_empty());
        assert!(c.fds().is_empty());
        assert!(matches!(
            c.remove_at_runtime("127.0.0.1:9"),
            Err(ControlError::UnknownSource(_))
        ));
        // The address may be added again once removed.
        assert!(c.add_at_runtime(&add("127.0.0.1:9"), t0).unwrap().is_some());
    }

    #[test]
    fn addresses_and_settings() {
        assert!(is_literal("192.0.2.1"));
        assert!(is_literal("[2001:db8::1]:123"));
        assert!(is_literal("2001:db8::1"));
        assert!(!is_literal("time.example.com"));
        assert!(!is_literal("time.example.com:123"));
        let mut a = add("192.0.2.1");
        a.minpoll = Some(12);
        assert!(
            matches!(settings_of(&a), Err(ControlError::BadAddress(_))),
            "above maxpoll 10"
        );
        a.maxpoll = Some(12);
        let s = settings_of(&a).unwrap();
        assert_eq!((s.minpoll, s.maxpoll, s.nts), (12, 12, false));
    }
}
