//! Carries out `tempora ctl` requests (docs/control.md): the timing loop
//! hands each parsed request here with the socket it came on, and this
//! routes it to the sans-IO cores (the NTP client's sources and system
//! process, the servo, the PTP engine's data sets) and puts the sockets
//! of added or removed sources in or out of the token table. The read-only
//! status socket gets a refusal; a malformed request an error reply, a
//! count and a rate-limited log line. Only the Unix sockets lead here:
//! nothing from the network does.

use std::time::{Duration, Instant};

use tempora_control::{Command, Outcome, ParseError, Reply};

use crate::assembly::Daemon;
use crate::control_status::ControlCounters;
use crate::ntp_client::control::ControlError;
use crate::runtime::DisciplinedClock;
use crate::tokens::{Token, Tokens};

/// At most one log line about malformed requests this often.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// The control requests' counters and the malformed requests' log limit.
#[derive(Debug, Default)]
pub struct ControlService {
    counters: ControlCounters,
    last_log: Option<Instant>,
    /// Malformed requests not logged since the last line.
    unlogged: u64,
}

/// Why a valid request was not carried out.
#[derive(Debug)]
enum ApplyError {
    /// The daemon has no selection of sources (no `[[ntp-source]]`,
    /// `[[csptp-source]]` or `[[refclock]]`).
    NoSelection,
    /// The NTP client refused.
    Ntp(ControlError),
    /// The clock or a port could not be driven.
    Io(std::io::Error),
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::NoSelection => write!(
                f,
                "the configuration has no [[ntp-source]], [[csptp-source]] or [[refclock]]: no selection of sources to control"
            ),
            ApplyError::Ntp(e) => write!(f, "{e}"),
            ApplyError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<ControlError> for ApplyError {
    fn from(e: ControlError) -> Self {
        ApplyError::Ntp(e)
    }
}

impl From<std::io::Error> for ApplyError {
    fn from(e: std::io::Error) -> Self {
        ApplyError::Io(e)
    }
}

impl ControlService {
    /// The counters, for the status.
    pub fn counters(&self) -> ControlCounters {
        self.counters.clone()
    }

    /// The reply to `parsed`, which came on the read-only status socket if
    /// `read_only`; carried out on `d` if valid and allowed.
    pub fn handle(
        &mut self,
        d: &mut Daemon,
        tokens: &mut Tokens,
        read_only: bool,
        parsed: Result<Command, ParseError>,
    ) -> Reply {
        let command = match parsed {
            Ok(c) => c,
            Err(e) => {
                self.counters.malformed += 1;
                self.log_malformed(&e);
                return Reply::new(Outcome::Malformed, e.to_string());
            }
        };
        if read_only {
            self.counters.refused += 1;
            tracing::debug!(
                command = command.name(),
                "control request refused on the status socket"
            );
            return Reply::new(
                Outcome::Refused,
                "the status socket is read-only: control requests go to the control socket",
            );
        }
        match apply(d, tokens, &command) {
            Ok(done) => {
                self.counters.applied += 1;
                tracing::info!(command = command.name(), %done, "control request");
                Reply::new(Outcome::Ok, done)
            }
            Err(e) => {
                self.counters.failed += 1;
                tracing::info!(command = command.name(), error = %e, "control request not carried out");
                Reply::new(Outcome::Failed, e.to_string())
            }
        }
    }

    /// A warning at most every [`LOG_EVERY`], with the count since.
    fn log_malformed(&mut self, e: &ParseError) {
        self.unlogged += 1;
        if self.last_log.is_some_and(|t| t.elapsed() < LOG_EVERY) {
            return;
        }
        tracing::warn!(error = %e, requests = self.unlogged, total = self.counters.malformed, "malformed control requests");
        self.last_log = Some(Instant::now());
        self.unlogged = 0;
    }
}

/// What a request on NTP and CSPTP sources did: `N NTP sources WHAT`
/// (and `M CSPTP sources` when it named any), from the NTP client's count
/// and the CSPTP sources' (`None`: the name is not one of theirs). A name
/// neither kind has is an error.
fn counted(
    ntp: Result<usize, ControlError>,
    csptp: Option<usize>,
    what: &str,
) -> Result<String, ApplyError> {
    let n = match (ntp, csptp) {
        (Ok(n), _) => n,
        (Err(ControlError::UnknownSource(_)), Some(_)) => 0,
        (Err(e), _) => return Err(e.into()),
    };
    Ok(match csptp {
        Some(m) if m > 0 || n == 0 => format!("{n} NTP and {m} CSPTP sources {what}"),
        _ => format!("{n} NTP sources {what}"),
    })
}

/// Carries out `command`: what was done, or why not.
fn apply(d: &mut Daemon, tokens: &mut Tokens, command: &Command) -> Result<String, ApplyError> {
    let now = d.runtime.clock.ntp_time(None);
    let client = d.ntp_client.as_mut().ok_or(ApplyError::NoSelection);
    Ok(match command {
        Command::ServoReset => {
            d.runtime.reset_servo();
            "servo reset".into()
        }
        Command::SetPriority1 { value } => {
            d.runtime.set_priority1(*value)?;
            format!("priority1 set to {value}")
        }
        Command::Burst { source } => {
            let name = source.as_deref();
            let ntp = client?.burst(now, name);
            let csptp = d.csptp_sources.as_mut().and_then(|c| c.burst(name));
            counted(ntp, csptp, "polled in a burst")?
        }
        Command::Offline { source } | Command::Online { source } => {
            let online = matches!(command, Command::Online { .. });
            let name = source.as_deref();
            let client = client?;
            let ntp = client.set_online(now, name, online);
            let csptp = d
                .csptp_sources
                .as_mut()
                .and_then(|c| c.set_online(name, online, client));
            let what = if online {
                "back online"
            } else {
                "taken offline"
            };
            counted(ntp, csptp, what)?
        }
        Command::Makestep => {
            let step = client?.makestep(&mut d.runtime)?;
            format!("clock stepped by {:+.9} s", step.as_secs_f64())
        }
        Command::AddSource(add) => {
            if let Some(fd) = client?.add_at_runtime(add, now)? {
                tokens.add(fd, Token::NtpClient);
            }
            format!(
                "NTP source {} added (until the daemon stops: not written to the configuration)",
                add.address
            )
        }
        Command::RemoveSource { source } => {
            let closed = client?.remove_at_runtime(source)?;
            let n = closed.len();
            for fd in closed {
                tokens.remove(fd);
            }
            format!("NTP source {source} removed ({n} associations)")
        }
    })
}
