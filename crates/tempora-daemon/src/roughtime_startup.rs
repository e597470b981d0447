//! Start-up from Roughtime (`[[roughtime-source]]`, `[roughtime]`): before
//! anything else runs (NTS key establishment validates certificates against
//! the clock, which on a machine without a battery-backed clock may be
//! years off), the servers are asked in a chain (each nonce derived from
//! the reply before, RFC 10049 §8.2). Then:
//!
//! - two replies whose signed times contradict the chain's order prove
//!   that a server lied: the clock is not stepped and the chain is kept as
//!   the malfeasance report (RFC 10049 §8.4.1), shown by `tempora status`;
//! - otherwise, when at least `minimum-agreeing` servers agree (their
//!   intervals, each taken at the same local instant, overlap) and the
//!   clock is further than `step-window` from their consensus, the clock
//!   is stepped to it.
//!
//! The clock is the daemon's (a virtual clock in tests, never touching the
//! real one); a PHC is never stepped from Roughtime (its time is TAI and
//! the PTP engine's).

use std::time::Duration as StdDuration;

use tempora_clock::{Duration, Time};
use tempora_config::{RoughtimeSettings, RoughtimeSourceSettings};
use tempora_roughtime::Version;
use tempora_roughtime::chain::Chain;
use tempora_roughtime::consensus::{ConsensusConfig, Sample, consensus};

use crate::roughtime_client::{Exchange, Target, ask, version_name, version_of};
use crate::roughtime_status::{MalfeasanceStatus, RoughtimeSourceStatus, RoughtimeStartup};

/// How much the servers' intervals are widened before they are compared
/// (beyond the round trip, which is added per server): network and
/// processing time the radius does not cover.
const AGREEMENT_SLACK: Duration = Duration::from_millis(500);

/// One source's exchange (with its resolved target), or why there is none.
pub type Asked = Result<(Target, Exchange), String>;

/// A source resolved, or why not.
fn target_of(s: &RoughtimeSourceSettings) -> Result<Target, String> {
    let public_key = tempora_config::decode_public_key(&s.public_key)?;
    let (host, port) = tempora_config::split_roughtime_address(&s.address);
    let text = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let addr = crate::dns::server_addresses(&text)
        .map_err(|e| format!("cannot resolve {}: {e}", s.address))?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{} has no address", s.address))?;
    Ok(Target {
        name: s.address.clone(),
        addr,
        public_key,
        version: version_of(s.version),
    })
}

/// A fresh random nonce for `version`.
fn random_nonce(version: Version) -> Vec<u8> {
    (0..version.params().nonce_len)
        .map(|_| rand::random::<u8>())
        .collect()
}

/// One server's line in the status.
fn source_status(s: &RoughtimeSourceSettings, result: &Asked) -> RoughtimeSourceStatus {
    let mut status = RoughtimeSourceStatus {
        name: s.address.clone(),
        address: None,
        version: s.version.name().to_string(),
        verified: false,
        midpoint_s: None,
        radius_s: None,
        rtt_s: None,
        offset_s: None,
        error: None,
    };
    match result {
        Ok((t, x)) => {
            status.address = Some(t.addr.to_string());
            status.version = version_name(x.verified.version).to_string();
            status.verified = true;
            status.midpoint_s = Some(x.verified.midpoint_us as f64 * 1e-6);
            status.radius_s = Some(x.verified.radius_us as f64 * 1e-6);
            status.rtt_s = Some(x.rtt().as_secs_f64());
            status.offset_s = Some(x.offset().as_secs_f64());
        }
        Err(e) => status.error = Some(e.clone()),
    }
    status
}

/// Asks every target in a chain (RFC 10049 §8.2): the first with a
/// random nonce, each next with a nonce derived from the last verified
/// reply; each exchange that verifies is a link of the chain.
pub fn ask_chain(
    targets: Vec<Result<Target, String>>,
    timeout: StdDuration,
    now: &dyn Fn() -> Time,
) -> (Chain, Vec<Asked>) {
    let mut chain = Chain::new();
    let mut results = Vec::new();
    for target in targets {
        let result = target.and_then(|t| {
            let rand: [u8; 32] = rand::random();
            let (nonce, chained) = match chain.next_nonce(t.version, &rand) {
                Some(n) => (n, Some(rand)),
                None => (random_nonce(t.version), None),
            };
            let x = ask(&t, &nonce, timeout, now)?;
            chain
                .push(t.public_key, chained, x.request.packet(), &x.reply)
                .map_err(|e| format!("{}: {e}", t.name))?;
            Ok((t, x))
        });
        results.push(result);
    }
    (chain, results)
}

/// The malfeasance shown when the chain proves a lie; `sources` names
/// the chain's links.
pub fn malfeasance_of(chain: &Chain, sources: &[&str]) -> Option<MalfeasanceStatus> {
    let m = chain.malfeasance()?;
    let links = chain.links();
    let (a, b) = (links.get(m.earlier)?, links.get(m.later)?);
    let name = |i: usize| sources.get(i).copied().unwrap_or("?");
    let summary = format!(
        "{} signed {:.6} ± {} s, then {} (asked after it, its nonce chained to that reply) signed {:.6} ± {} s: at least one of them lied; not stepping",
        name(m.earlier),
        a.verified.midpoint_us as f64 * 1e-6,
        a.verified.radius_us as f64 * 1e-6,
        name(m.later),
        b.verified.midpoint_us as f64 * 1e-6,
        b.verified.radius_us as f64 * 1e-6,
    );
    let report = tempora_roughtime::report::to_json(chain);
    Some(MalfeasanceStatus {
        summary,
        report: serde_json::from_str(&report).unwrap_or(serde_json::Value::String(report)),
    })
}

/// Each verified server's interval moved to the local instant `at`: its
/// midpoint plus the time our clock ran from the middle of its exchange
/// to `at`; the radius widened by half the round trip and the slack.
fn samples_at(ok: &[&Exchange], at: Time) -> Vec<Sample> {
    ok.iter()
        .map(|x| {
            let half = Duration::from_nanos(i64::try_from(x.rtt().nanos() / 2).unwrap_or(0));
            let moved = x.midpoint() + (at - (x.sent + half));
            let widen = half + AGREEMENT_SLACK;
            Sample {
                midpoint_us: u64::try_from(moved.nanos() / 1000).unwrap_or(0),
                radius_us: x.verified.radius_us + u64::try_from(widen.nanos() / 1000).unwrap_or(0),
            }
        })
        .collect()
}

/// What to do: the step (consensus − clock) when one is due, with the
/// status; `now` reads the daemon's clock.
pub fn decide(
    sources: &[RoughtimeSourceSettings],
    settings: &RoughtimeSettings,
    now: &dyn Fn() -> Time,
) -> (Option<Duration>, RoughtimeStartup) {
    let timeout =
        StdDuration::from_nanos(u64::try_from(settings.timeout.nanos()).unwrap_or(1_000_000_000));
    let targets = sources.iter().map(target_of).collect();
    let (chain, results) = ask_chain(targets, timeout, now);
    let statuses: Vec<RoughtimeSourceStatus> = sources
        .iter()
        .zip(&results)
        .map(|(s, r)| source_status(s, r))
        .collect();
    let names: Vec<&str> = results
        .iter()
        .zip(sources)
        .filter(|(r, _)| r.is_ok())
        .map(|(_, s)| s.address.as_str())
        .collect();
    let mut startup = RoughtimeStartup {
        sources: statuses,
        agreeing: 0,
        consensus_offset_s: None,
        stepped_s: None,
        outcome: String::new(),
        malfeasance: malfeasance_of(&chain, &names),
    };
    if startup.malfeasance.is_some() {
        startup.outcome = "not stepped: a server lied (proof kept)".into();
        return (None, startup);
    }
    let ok: Vec<&Exchange> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|(_, x)| x)
        .collect();
    let at = now();
    let config = ConsensusConfig {
        min_agree: usize::from(settings.minimum_agreeing),
        window_us: 0,
    };
    let Some(c) = consensus(&samples_at(&ok, at), &config) else {
        startup.outcome = format!(
            "not stepped: fewer than {} of {} servers agree ({} verified replies)",
            settings.minimum_agreeing,
            sources.len(),
            ok.len()
        );
        return (None, startup);
    };
    startup.agreeing = c.agreeing.len();
    let step = Duration::from_nanos(
        i64::try_from(-c.offset_us(at.nanos() / 1000) * 1000).unwrap_or(i64::MAX),
    );
    startup.consensus_offset_s = Some(step.as_secs_f64());
    if step.abs() <= settings.step_window {
        startup.outcome =
            "not stepped: the clock is within the step window of the consensus".into();
        return (None, startup);
    }
    startup.stepped_s = Some(step.as_secs_f64());
    startup.outcome = "stepped to the consensus".into();
    (Some(step), startup)
}
