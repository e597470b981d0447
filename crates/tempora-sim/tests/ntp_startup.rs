//! The NTP start-up through the daemon's system process, on virtual time:
//! a liar answering first steps nothing, the clock is stepped once, and
//! nothing swings afterwards (issue 12). Seeds 1–3 of the shipped start-up
//! scenarios; the bounds are about twice the worst seen in
//! docs/accuracy.md, far below the milliseconds of a swinging servo.

use tempora_sim::{Scenario, ServoKind, run_one};

fn scenario(name: &str) -> Scenario {
    let path = format!("{}/../../scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    Scenario::parse(&text, &path).unwrap()
}

#[test]
fn three_lan_servers_with_a_liar_listed_first() {
    let s = scenario("ntp-startup-lan");
    for seed in 1..=3 {
        let r = run_one(&s, ServoKind::Kalman, seed, &mut |_| {});
        // One step, to the truthful majority (a step to the liar would
        // leave 5 ms to slew, and a second step).
        assert_eq!(r.steps, 1, "seed {seed}: {r:?}");
        assert!(r.stats.worst_after_60s_ns < 30_000.0, "seed {seed}: {r:?}");
    }
}

#[test]
fn one_wan_server_at_64_s_polls() {
    let s = scenario("ntp-startup-wan");
    for seed in 1..=3 {
        let r = run_one(&s, ServoKind::Kalman, seed, &mut |_| {});
        assert_eq!(r.steps, 1, "seed {seed}: {r:?}");
        assert!(
            r.stats.worst_after_60s_ns < 4_000_000.0,
            "seed {seed}: {r:?}"
        );
        assert!(r.stats.rms_ns < 1_000_000.0, "seed {seed}: {r:?}");
    }
}
