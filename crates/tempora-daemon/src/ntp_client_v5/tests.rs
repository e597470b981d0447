//! A `V5Source` against the daemon's own `NtpServer` (the core behind
//! it): the upgrade, NTPv5 samples, the Bloom filter assembled chunk by
//! chunk and the loop test, TAI brought back to UTC.

use super::*;

use tempora_config::NtpServerSettings;
use tempora_ntp::server::ServerClock;
use tempora_ntp::wire::{LeapIndicator, ReferenceId};

use crate::ntp_loop::LoopGuard;
use crate::ntp_server::{NtpServer, ServedTime};

const T: Time = Time::from_secs_nanos(1_800_000_000, 0);

/// The server's clock: 3 ms ahead of the client's.
struct Ahead;

impl ServedTime for Ahead {
    fn ntp_time(&self, raw: Option<Time>) -> Time {
        raw.unwrap_or(T) + Duration::from_millis(3)
    }
}

fn settings(version: NtpVersionSetting, timescale: NtpTimescaleSetting) -> NtpSourceSettings {
    let text = format!(
        "[[ntp-source]]\naddress = \"192.0.2.1\"\nversion = \"{}\"\ntimescale = \"{}\"\n\
         [clock]\nkind = \"virtual\"\n",
        version.as_str(),
        timescale.as_str()
    );
    let config = tempora_config::Config::parse(&text, "t.toml").unwrap();
    config.ntp_sources[0].clone()
}

fn server(guard: &LoopGuard) -> NtpServer {
    let mut settings = NtpServerSettings::default();
    settings.versions = vec![4, 5];
    NtpServer::new(&settings, -20, 1).with_loop_guard(guard.clone())
}

const STATE: ServerClock = ServerClock {
    leap: LeapIndicator::NoWarning,
    stratum: 1,
    precision: -20,
    reference_id: ReferenceId(*b"LOCL"),
    reference_time: T,
    root_delay: Duration::ZERO,
    root_dispersion: Duration::ZERO,
    tai_offset: Some(37),
    smear_offset: Duration::ZERO,
};

/// One exchange: the v4 request a source would make, what `v5` sends in
/// its place, the server's reply, and `v5`'s verdict.
fn exchange(v5: &mut V5Source, server: &mut NtpServer, tai: Option<i16>) -> V5Outcome {
    let (request, v4) = tempora_ntp::exchange::Request::new(42);
    let mut out = [0u8; 1024];
    let len = v5.request(&v4, 7, &mut out).unwrap();
    let from: SocketAddr = "192.0.2.9:40000".parse().unwrap();
    let mut reply = [0u8; 2048];
    let n = server
        .handle(
            &Ahead,
            &STATE,
            &out[..len],
            Some(T + Duration::from_micros(50)),
            from,
            &mut reply,
        )
        .expect("the server answers");
    let t4 = T + Duration::from_micros(100);
    let outcome = v5.reply(&reply[..n], Some(T), t4, tai);
    let taken = match outcome {
        V5Outcome::V5(Ok(sample)) => ReplyOutcome::Sample(sample),
        V5Outcome::V5(Err(e)) => ReplyOutcome::Rejected(e),
        V5Outcome::V4 { .. } => match request.complete(&reply[..n], T, t4) {
            Ok(sample) => ReplyOutcome::Sample(sample),
            Err(e) => ReplyOutcome::Rejected(e),
        },
    };
    v5.accepted(&outcome, &taken);
    outcome
}

/// The server is 3 ms ahead; its receive time is 50 µs after T1 on its
/// clock, T4 100 µs after T1: θ = ((3.05 ms) + (3 ms − 0.1 ms)) / 2.
fn assert_near_3ms(offset: Duration) {
    let err = offset - Duration::from_micros(2975);
    assert!(
        err.abs() < Duration::from_nanos(10),
        "{} ns",
        offset.as_nanos_f64()
    );
}

#[test]
fn auto_upgrades_then_measures_and_finds_the_loop() {
    let guard = LoopGuard::new(RefId120([9; 15]));
    let mut srv = server(&guard);
    let mut v5 = V5Source::new(&settings(NtpVersionSetting::Auto, NtpTimescaleSetting::Utc))
        .expect("auto has NTPv5 state");
    assert_eq!(v5.version(), 4);
    let first = exchange(&mut v5, &mut srv, None);
    assert_eq!(
        first,
        V5Outcome::V4 {
            upgrade_echoed: true
        }
    );
    assert_eq!(v5.version(), 5);
    assert_eq!(srv.counters.upgrade_replied, 1);
    for i in 0..8 {
        assert_eq!(
            v5.is_loop(&guard.own(), 0),
            None,
            "filter incomplete after {i}"
        );
        let V5Outcome::V5(Ok(sample)) = exchange(&mut v5, &mut srv, None) else {
            panic!("no NTPv5 sample");
        };
        assert_near_3ms(sample.offset);
    }
    assert_eq!((v5.samples, srv.counters.v5_replied), (8, 8));
    // The server's filter holds its own id: to a client with that id (the
    // same daemon), a loop; to another, none.
    assert_eq!(v5.is_loop(&RefId120([1; 15]), 0), Some(false));
    // Seen (hold 8 + 3 = 11 clean looks): held while the filter looks
    // clean 10 times, cleared at the 11th.
    assert_eq!(v5.is_loop(&guard.own(), 3), Some(true));
    for _ in 0..10 {
        assert_eq!(v5.is_loop(&RefId120([1; 15]), 0), Some(true));
    }
    assert_eq!(v5.is_loop(&RefId120([1; 15]), 0), Some(false));
    assert_eq!(v5.draft(), Draft::Draft08);
}

#[test]
fn tai_replies_come_back_to_utc() {
    let guard = LoopGuard::random();
    let mut srv = server(&guard);
    let mut v5 = V5Source::new(&settings(NtpVersionSetting::V5, NtpTimescaleSetting::Tai)).unwrap();
    assert_eq!(v5.version(), 5);
    let V5Outcome::V5(Ok(sample)) = exchange(&mut v5, &mut srv, Some(37)) else {
        panic!("no NTPv5 sample");
    };
    assert_near_3ms(sample.offset);
    // TAI − UTC unknown here: the TAI reply cannot be used.
    let outcome = exchange(&mut v5, &mut srv, None);
    assert_eq!(outcome, V5Outcome::V5(Err(ReplyError::Bogus)));
}

#[test]
fn version_4_has_no_v5_state() {
    assert!(V5Source::new(&settings(NtpVersionSetting::V4, NtpTimescaleSetting::Utc)).is_none());
}

/// An unsynchronised NTPv4 reply echoing the upgrade signal still upgrades
/// (ntpd-rs 2.0-alpha answers NTPv4 that way with `local-stratum` alone);
/// a bogus one does not.
#[test]
fn an_unsynchronised_echo_upgrades() {
    let mut v5 =
        V5Source::new(&settings(NtpVersionSetting::Auto, NtpTimescaleSetting::Utc)).unwrap();
    let (_, v4) = tempora_ntp::exchange::Request::new(42);
    let mut out = [0u8; 1024];
    v5.request(&v4, 7, &mut out).unwrap();
    let echoed = V5Outcome::V4 {
        upgrade_echoed: true,
    };
    v5.accepted(&echoed, &ReplyOutcome::Rejected(ReplyError::Bogus));
    assert_eq!(v5.version(), 4);
    v5.accepted(&echoed, &ReplyOutcome::Rejected(ReplyError::Unsynchronized));
    assert_eq!(v5.version(), 5);
}
