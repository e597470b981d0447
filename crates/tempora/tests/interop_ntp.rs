//! NTP interop (issue #6, point 4): `tempora query` against chronyd as a
//! server (`local stratum 1`, `-x`) in a network namespace, over IPv4 and
//! IPv6, beside ntpdig asking the same server. Both share the system clock
//! with the server, so the offsets must be near zero, and both tools must
//! agree on the stratum and leap indicator.
//!
//! Needs root, chrony and ntpsec-ntpdate; skipped without them, except
//! under CI=true.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, ntp_available};

/// `tempora query --json` of `servers` from namespace `ns`, retried until
/// chronyd answers (it takes a moment to start).
fn query(lab: &Lab, ns: usize, servers: &[&str]) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut args = vec!["query", "--json", "--timeout", "1"];
        args.extend_from_slice(servers);
        let out = lab.run(ns, env!("CARGO_BIN_EXE_tempora"), &args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if out.status.success() || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn tempora_query_against_chronyd_beside_ntpdig() {
    let _turn = common::beside();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nq", 2);
    lab.chronyd("server", 0, "local stratum 1\nallow all\n");
    let v = query(&lab, 1, &["10.79.0.1", "[fd79:0::1]:123"]);
    let answers = v.as_array().expect("a JSON array");
    assert_eq!(answers.len(), 2, "{v}");
    for a in answers {
        assert!(a.get("error").is_none(), "{v}");
        let offset = a["offset_s"].as_f64().unwrap();
        let delay = a["delay_s"].as_f64().unwrap();
        eprintln!(
            "tempora query {}: offset {:+.1} µs, delay {:.1} µs, stratum {}, refid {}",
            a["address"],
            offset * 1e6,
            delay * 1e6,
            a["stratum"],
            a["refid"]
        );
        assert!(offset.abs() < 1e-3, "{a}");
        assert!((0.0..0.01).contains(&delay), "{a}");
        assert_eq!(a["stratum"], 1, "{a}");
        assert_eq!(a["leap"], "none", "{a}");
        assert!(a["precision_log2_s"].as_i64().unwrap() < -10, "{a}");
    }
    // ntpdig against the same server.
    let out = lab.run(1, "ntpdig", &["-j", "10.79.0.1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let ntpdig: serde_json::Value = serde_json::from_str(text.lines().next().unwrap_or(""))
        .unwrap_or_else(|e| panic!("ntpdig: {e}: {text}"));
    eprintln!("ntpdig: {ntpdig}");
    assert_eq!(ntpdig["stratum"], answers[0]["stratum"], "{ntpdig}");
    assert_eq!(ntpdig["leap"], "no-leap", "{ntpdig}");
    let theirs = ntpdig["offset"].as_f64().unwrap();
    let ours = answers[0]["offset_s"].as_f64().unwrap();
    assert!(
        (theirs - ours).abs() < 1e-3,
        "ntpdig {theirs}, tempora {ours}"
    );

    // No server: a clear error and exit status 1.
    let out = lab.run(
        1,
        env!("CARGO_BIN_EXE_tempora"),
        &["query", "--timeout", "0.5", "10.79.0.2:9"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no reply from 10.79.0.2:9"), "{err}");
}

/// Issue #6 point 6: a Tempora NTP server (`local-stratum 1`, virtual clock
/// over the system clock) answers ntpdig, and chronyd (`-x`, 1 s polling)
/// selects it (`*` in `chronyc sources`) with |offset| < 50 µs.
#[test]
fn chronyd_and_ntpdig_against_tempora_server() {
    let _turn = common::beside();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("ns", 2);
    lab.tempora(
        "server",
        0,
        "[ptp]\npriority1 = 100\n\n[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\n\
         timestamping = \"software\"\n\n[clock]\nkind = \"virtual\"\n\n\
         [ntp-server]\nlisten = [\"0.0.0.0:123\", \"[::]:123\"]\nlocal-stratum = 1\n",
    );
    // ntpdig, once the server is up; of five answers the one nearest
    // (one exchange on a busy machine may be delayed a few ms one way).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answers = Vec::new();
    while answers.len() < 5 {
        let out = lab.run(1, "ntpdig", &["-j", "-t", "1", "10.79.0.1"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text.lines().next().unwrap_or(""))
        {
            answers.push(v);
            continue;
        }
        assert!(Instant::now() < deadline, "ntpdig got no answer: {text}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let offset = |v: &serde_json::Value| v["offset"].as_f64().unwrap_or(f64::MAX).abs();
    let ntpdig = answers
        .iter()
        .min_by(|a, b| offset(a).total_cmp(&offset(b)))
        .cloned()
        .unwrap();
    eprintln!("ntpdig: {ntpdig}");
    assert_eq!(ntpdig["stratum"], 1, "{ntpdig}");
    assert_eq!(ntpdig["leap"], "no-leap", "{ntpdig}");
    assert!(ntpdig["offset"].as_f64().unwrap().abs() < 1e-3, "{ntpdig}");
    // Over IPv6 too, with tempora query.
    let v = query(&lab, 1, &["[fd79:0::1]:123"]);
    assert_eq!(v[0]["refid"], "LOCL", "{v}");
    assert_eq!(v[0]["stratum"], 1, "{v}");

    // chronyd as a client, polling every second.
    lab.chronyd("client", 1, "server 10.79.0.1 iburst minpoll 0 maxpoll 0\n");
    let socket = lab.path("client.sock");
    let deadline = Instant::now() + Duration::from_secs(40);
    let line = loop {
        std::thread::sleep(Duration::from_secs(2));
        let out = lab.run(1, "chronyc", &["-h", &socket, "-n", "-c", "sources"]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // CSV: mode,state,name,stratum,poll,reach,lastrx,offset,measured,error
        let selected = text
            .lines()
            .find(|l| l.starts_with("^,*,10.79.0.1,"))
            .map(str::to_string);
        if let Some(l) = selected {
            if Instant::now() + Duration::from_secs(25) > deadline {
                break l;
            }
        }
        assert!(
            Instant::now() < deadline,
            "chronyd did not select the server:\n{text}"
        );
    };
    let fields: Vec<&str> = line.split(',').collect();
    // The last sample: adjusted offset, measured offset, error bound.
    let adjusted: f64 = fields[7].parse().unwrap();
    let measured: f64 = fields[8].parse().unwrap();
    eprintln!("chronyc sources: {line}");
    assert!(adjusted.abs() < 50e-6 && measured.abs() < 50e-6, "{line}");
    let s = lab.status("server").unwrap();
    eprintln!("server counters: {}", s["ntp_server"]);
    assert!(s["ntp_server"]["replied"].as_u64().unwrap() >= 5, "{s}");
}

/// Issue #6 point 5, the PTP-to-NTP bridge: a ptp4l grandmaster (clockClass
/// 6) disciplines a Tempora slave, whose NTP server then answers with
/// stratum 1 and reference id "PTP" and the grandmaster's time.
#[test]
fn ptp_to_ntp_bridge() {
    let _turn = common::beside();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nb", 2);
    lab.ptp4l(
        "gm",
        0,
        &["veth0"],
        "priority1 100\nclockClass 6\nfree_running 1\nnetwork_transport UDPv4\n",
    );
    lab.tempora(
        "bridge",
        1,
        "[ptp]\nslave-only = true\n\n[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\n\
         timestamping = \"software\"\n\n[clock]\nkind = \"virtual\"\ninitial-offset = \"3ms\"\n\n\
         [ntp-server]\nlisten = [\"0.0.0.0:123\"]\n",
    );
    // Before the servo locks the server says it is unsynchronised.
    let (s, took) = lab.wait_status("bridge", Duration::from_secs(60), |s| {
        s["servo_state"] == "locked" && s["ports"][0]["state"] == "SLAVE"
    });
    let s = s.expect("no status");
    assert_eq!(s["servo_state"], "locked", "{s}");
    eprintln!("bridge locked after {took:?}");
    std::thread::sleep(Duration::from_secs(10));
    // The least-delayed of three exchanges, as any NTP client filters: over
    // veth the server's software receive timestamp is the client's send
    // time (the skb keeps the sender's stamp), so an exchange whose reply
    // was held up reads about −delay/2 (seen: −468 µs at 937 µs of delay
    // beside the other interop tests, −17 to −42 µs alone).
    let v = (0..3)
        .map(|_| query(&lab, 0, &["10.79.0.2"]))
        .min_by(|a, b| {
            let d = |v: &serde_json::Value| v[0]["delay_s"].as_f64().unwrap_or(f64::MAX);
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    eprintln!("tempora query of the bridge: {v}");
    assert_eq!(v[0]["stratum"], 1, "{v}");
    assert_eq!(v[0]["refid"], "PTP", "{v}");
    assert_eq!(v[0]["leap"], "none", "{v}");
    // The grandmaster serves the system clock; so does the bridge, within
    // what software timestamps allow.
    assert!(v[0]["offset_s"].as_f64().unwrap().abs() < 100e-6, "{v}");
}

/// Issue #6 point 6: floods. 100,000 malformed datagrams, then valid
/// requests from one address far over its rate (rate limiting on): the
/// server stays up, answers the flooder only within its burst (plus a RATE
/// kiss at most once per interval), and a legitimate client at another
/// address is served throughout.
#[test]
fn floods_do_not_take_the_server_down() {
    let _turn = common::alone();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nf", 2);
    assert!(
        lab.run(1, "ip", &["addr", "add", "10.79.0.3/24", "dev", "veth0"])
            .status
            .success()
    );
    lab.tempora(
        "server",
        0,
        "[ptp]\npriority1 = 100\n\n[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\n\
         timestamping = \"software\"\n\n[clock]\nkind = \"virtual\"\n\n\
         [ntp-server]\nlisten = [\"0.0.0.0:123\"]\nlocal-stratum = 1\nrate-limit = true\n\
         rate-limit-interval = 0\nrate-limit-burst = 4\n",
    );
    let legit = |lab: &Lab| {
        let v = query(lab, 1, &["10.79.0.1"]);
        assert_eq!(v[0]["stratum"], 1, "legitimate client not served: {v}");
    };
    legit(&lab);
    let load = env!("CARGO_BIN_EXE_tempora-ntp-load");
    let flood = |lab: &Lab, extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["10.79.0.1:123", "--bind", "10.79.0.3", "--wait", "0.5"];
        args.extend_from_slice(extra);
        let out = lab.run(1, load, &args);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    // 1. Malformed: nothing comes back.
    let m = flood(&lab, &["--count", "100000", "--malformed"]);
    eprintln!("malformed flood: {m}");
    assert_eq!(m["sent"], 100000, "{m}");
    assert_eq!(m["replies"], 0, "{m}");
    legit(&lab);
    // 2. Valid requests from one address at 20,000/s for 3 s, while the
    // legitimate client asks.
    let handle = {
        let ns = lab.ns[1].clone();
        std::thread::spawn(move || {
            std::process::Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &ns,
                    load,
                    "10.79.0.1:123",
                    "--bind",
                    "10.79.0.3",
                ])
                .args(["--count", "60000", "--rate", "20000", "--wait", "0.5"])
                .output()
                .unwrap()
        })
    };
    std::thread::sleep(Duration::from_secs(1));
    legit(&lab);
    let out = handle.join().unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("rate-limited flood: {r}");
    // Burst 4, one token a second, a kiss at most once a second: over about
    // 3 s a handful of kisses out of 60,000; replies: with the default leak
    // of 2 (issue 13), about one request in four over the rate is still
    // answered (15,000 expected), so a flood spoofing this address could
    // not cut its owner off; never more than the requests sent.
    let replies = r["replies"].as_u64().unwrap();
    assert!((7_500..=22_500).contains(&replies), "{r}");
    assert!(r["kisses"].as_u64().unwrap() <= 8, "{r}");
    legit(&lab);
    let s = lab.status("server").expect("the server is down");
    eprintln!("server counters: {}", s["ntp_server"]);
    assert!(
        s["ntp_server"]["ignored"].as_u64().unwrap() >= 50_000,
        "{s}"
    );
    assert!(
        s["ntp_server"]["rate_limited"].as_u64().unwrap() >= 30_000,
        "{s}"
    );
}

/// Issue #6 point 1: a pool member that lies (a server 200 ms off) among
/// two that agree is a falseticker; after eight of its samples in a row it
/// is dropped, and the pool keeps the two truechimers.
#[test]
fn pool_drops_the_member_that_lies() {
    let _turn = common::beside();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nl", 2);
    for a in ["10.79.0.4/24", "10.79.0.5/24"] {
        assert!(
            lab.run(0, "ip", &["addr", "add", a, "dev", "veth0"])
                .status
                .success()
        );
    }
    lab.hosts(
        1,
        "10.79.0.1 pool.tempora.test\n10.79.0.4 pool.tempora.test\n10.79.0.5 pool.tempora.test\n",
    );
    for (name, addr, offset) in [
        ("true1", "10.79.0.1", "0s"),
        ("true2", "10.79.0.4", "0s"),
        ("liar", "10.79.0.5", "200ms"),
    ] {
        lab.tempora(
            name,
            0,
            &format!(
                "[clock]\nkind = \"virtual\"\ninitial-offset = \"{offset}\"\n\n\
                 [ntp-server]\nlisten = [\"{addr}:123\"]\nlocal-stratum = 1\n"
            ),
        );
    }
    lab.tempora(
        "client",
        1,
        "[[ntp-source]]\naddress = \"pool.tempora.test\"\nkind = \"pool\"\nminpoll = 0\nmaxpoll = 0\n\n\
         [clock]\nkind = \"virtual\"\n",
    );
    let (s, took) = lab.wait_status("client", Duration::from_secs(60), |s| {
        s["ntp_sources"]
            .as_array()
            // Dropped, and a system peer chosen again among the two left.
            .is_some_and(|a| {
                a.len() == 2
                    && a.iter().all(|x| x["address"] != "10.79.0.5:123")
                    && a.iter().any(|x| x["system_peer"] == true)
            })
    });
    let s = s.expect("no status from the client");
    eprintln!("pool after {took:?}: {}", s["ntp_sources"]);
    let sources = s["ntp_sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2, "the liar was not dropped: {s}");
    assert!(
        sources.iter().all(|x| x["address"] != "10.79.0.5:123"),
        "{s}"
    );
    assert!(sources.iter().any(|x| x["system_peer"] == true), "{s}");
}

/// CPU ticks (utime + stime) of each thread of `pid` named `ntp-worker-*`.
fn worker_ticks(pid: u32) -> Vec<u64> {
    let mut ticks = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with("ntp-worker-") {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the ")" that closes the name: utime and stime are
        // the 12th and 13th.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let f: Vec<u64> = rest
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|x| x.parse().ok())
            .collect();
        ticks.push(f.iter().sum());
    }
    ticks
}

/// Issue #6 point 3: `workers = 2` starts two worker loops on SO_REUSEPORT
/// sockets. A load from 16 source ports is shared by both (each worker
/// thread uses CPU), every request is answered, the status sums the
/// workers' counters, and the rate limit is one per client across workers.
#[test]
fn worker_loops_share_the_load() {
    let _turn = common::alone();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nw", 2);
    assert!(
        lab.run(1, "ip", &["addr", "add", "10.79.0.3/24", "dev", "veth0"])
            .status
            .success()
    );
    // The leak off (issue 13): the count of replies then shows the one
    // limiter shared by both workers (8, not 16).
    lab.tempora(
        "server",
        0,
        "[clock]\nkind = \"virtual\"\n\n\
         [ntp-server]\nlisten = [\"0.0.0.0:123\"]\nlocal-stratum = 1\nworkers = 2\n\
         rate-limit = true\nrate-limit-interval = 0\nrate-limit-burst = 8\n\
         rate-limit-leak = 0\n",
    );
    let v = query(&lab, 1, &["10.79.0.1"]);
    assert_eq!(v[0]["stratum"], 1, "not served: {v}");
    let pid = lab.pid("server").unwrap();
    let before = worker_ticks(pid);
    assert_eq!(before.len(), 2, "two worker threads: {before:?}");
    let load = env!("CARGO_BIN_EXE_tempora-ntp-load");
    let run = |bind: &str, count: &str, window: &str| -> serde_json::Value {
        let args = [
            "10.79.0.1:123",
            "--bind",
            bind,
            "--count",
            count,
            "--window",
            window,
            "--sockets",
            "16",
            "--wait",
            "0",
        ];
        let out = lab.run(1, load, &args);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    // One client address, 16 source ports, far over its rate: the shared
    // limiter answers about its burst of 8, wherever the requests land.
    let flood = run("10.79.0.3", "100000", "256");
    eprintln!("flood from one address: {flood}");
    assert!(flood["replies"].as_u64().unwrap() <= 14, "{flood}");
    let after = worker_ticks(pid);
    eprintln!("worker CPU ticks: {before:?} -> {after:?}");
    for (b, a) in before.iter().zip(&after) {
        assert!(a > b, "a worker took no share: {before:?} -> {after:?}");
    }
    let s = lab.status("server").expect("the server is down");
    eprintln!("server counters: {}", s["ntp_server"]);
    let received = s["ntp_server"]["received"].as_u64().unwrap();
    let limited = s["ntp_server"]["rate_limited"].as_u64().unwrap();
    assert!(received >= 100_000, "{s}");
    assert!(limited >= 99_000, "{s}");
    // The legitimate client (another address) is still served.
    let v = query(&lab, 1, &["10.79.0.1"]);
    assert_eq!(v[0]["stratum"], 1, "not served: {v}");
}

/// Issue #6 point 6: a Tempora NTP client on a virtual clock started 50 ms
/// and 20 ppm off, against chronyd as server (`local stratum 1`, `-x`):
/// after 60 s, `error_vs_system_ns` stays within ±100 µs.
#[test]
fn tempora_client_follows_chronyd() {
    let _turn = common::beside();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nc", 2);
    lab.chronyd("server", 0, "local stratum 1\nallow all\n");
    lab.tempora(
        "client",
        1,
        "[[ntp-source]]\naddress = \"10.79.0.1\"\nminpoll = 0\nmaxpoll = 0\n\n\
         [clock]\nkind = \"virtual\"\ninitial-offset = \"50ms\"\nfrequency-offset-ppm = 20.0\n",
    );
    std::thread::sleep(Duration::from_secs(60));
    let mut worst = 0.0f64;
    for _ in 0..10 {
        let s = lab.status("client").expect("no status from the client");
        let e = s["error_vs_system_ns"].as_f64().unwrap();
        worst = worst.max(e.abs());
        std::thread::sleep(Duration::from_secs(1));
    }
    let s = lab.status("client").unwrap();
    eprintln!(
        "NTP client: worst |error_vs_system| {worst:.0} ns over 10 s after 60 s; source {}",
        s["ntp_sources"][0]
    );
    // The last request may be in flight, its reach bit not yet set.
    let reach = s["ntp_sources"][0]["reach"].as_u64().unwrap_or(0);
    assert_eq!(reach | 1, 255, "{s}");
    assert_eq!(s["ntp_sources"][0]["system_peer"], true, "{s}");
    assert!(
        worst <= 100_000.0,
        "|error_vs_system_ns| reached {worst:.0}: {s}"
    );
}

/// Issue #6 point 1: a pool whose name resolves to a live chronyd and to an
/// address where nobody answers (the namespace's own /etc/hosts, which
/// `ip netns exec` mounts over /etc/hosts): the dead member is dropped
/// after eight unanswered polls, and the live one is the system peer.
#[test]
fn pool_drops_the_member_that_never_answers() {
    let _turn = common::beside();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("np", 2);
    lab.hosts(
        1,
        "10.79.0.1 pool.tempora.test\n10.79.0.77 pool.tempora.test\n",
    );
    lab.chronyd("server", 0, "local stratum 1\nallow all\n");
    lab.tempora(
        "client",
        1,
        "[[ntp-source]]\naddress = \"pool.tempora.test\"\nkind = \"pool\"\nminpoll = 0\nmaxpoll = 0\n\n\
         [clock]\nkind = \"virtual\"\n",
    );
    let (s, took) = lab.wait_status("client", Duration::from_secs(40), |s| {
        s["ntp_sources"].as_array().is_some_and(|a| {
            a.len() == 1 && a[0]["address"] == "10.79.0.1:123" && a[0]["system_peer"] == true
        })
    });
    let s = s.expect("no status from the client");
    eprintln!("pool after {took:?}: {}", s["ntp_sources"]);
    let sources = s["ntp_sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{s}");
    assert_eq!(sources[0]["address"], "10.79.0.1:123", "{s}");
    assert_eq!(sources[0]["system_peer"], true, "{s}");
}

/// Issue #6 point 2 (server side): chronyd as an interleaved client
/// (`xleave`) against a Tempora server with `interleaved = true`: chronyd
/// reports the exchange as interleaved (`chronyc ntpdata`), and the server
/// counts its interleaved replies.
#[test]
fn chronyd_interleaved_client_against_tempora_server() {
    let _turn = common::beside();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nx", 2);
    lab.tempora(
        "server",
        0,
        "[ptp]\npriority1 = 100\n\n[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\n\
         timestamping = \"software\"\n\n[clock]\nkind = \"virtual\"\n\n\
         [ntp-server]\nlisten = [\"0.0.0.0:123\"]\nlocal-stratum = 1\ninterleaved = true\n",
    );
    std::thread::sleep(Duration::from_secs(2));
    lab.chronyd(
        "client",
        1,
        "server 10.79.0.1 iburst minpoll 0 maxpoll 0 xleave\n",
    );
    let socket = lab.path("client.sock");
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        std::thread::sleep(Duration::from_secs(2));
        let out = lab.run(1, "chronyc", &["-h", &socket, "ntpdata", "10.79.0.1"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let interleaved = text
            .lines()
            .any(|l| l.starts_with("Interleaved") && l.trim_end().ends_with("Yes"));
        if interleaved || Instant::now() > deadline {
            break text;
        }
    };
    let s = lab.status("server").unwrap();
    eprintln!(
        "chronyc ntpdata:\n{text}\nserver counters: {}",
        s["ntp_server"]
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("Interleaved") && l.trim_end().ends_with("Yes")),
        "{text}"
    );
    assert!(s["ntp_server"]["interleaved"].as_u64().unwrap() >= 3, "{s}");
    let offset = text
        .lines()
        .find(|l| l.starts_with("Offset"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap();
    assert!(offset.abs() < 50e-6, "{text}");
}

/// Issue #6 point 2 (client side): a Tempora client with `xleave = true`
/// against chronyd (which answers interleaved requests by default) uses
/// interleaved samples (status `interleaved_samples`) and keeps its virtual
/// clock, started 10 ms off, within ±100 µs of the system clock.
#[test]
fn tempora_interleaved_client_against_chronyd() {
    let _turn = common::beside();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("ni", 2);
    lab.chronyd("server", 0, "local stratum 1\nallow all\n");
    lab.tempora(
        "client",
        1,
        "[[ntp-source]]\naddress = \"10.79.0.1\"\nminpoll = 0\nmaxpoll = 0\nxleave = true\n\n\
         [clock]\nkind = \"virtual\"\ninitial-offset = \"10ms\"\n",
    );
    std::thread::sleep(Duration::from_secs(30));
    let mut worst = 0.0f64;
    for _ in 0..5 {
        let s = lab.status("client").expect("no status");
        worst = worst.max(s["error_vs_system_ns"].as_f64().unwrap().abs());
        std::thread::sleep(Duration::from_secs(1));
    }
    let s = lab.status("client").unwrap();
    let source = &s["ntp_sources"][0];
    eprintln!("interleaved client: worst |error_vs_system| {worst:.0} ns; source {source}");
    assert!(source["interleaved_samples"].as_u64().unwrap() >= 10, "{s}");
    assert!(worst <= 100_000.0, "{s}");
}

/// A Tempora server that follows an NTP source announces one stratum
/// below it with the source's address as its reference ID (RFC 5905
/// §7.3, §11.2.3), as a chain of chrony servers does, not stratum 16:
/// chronyd at `local stratum 3`, Tempora its client and a server, ntpdig
/// and `tempora query` a hop further.
#[test]
fn tempora_serves_one_stratum_below_its_ntp_source() {
    let _turn = common::beside();
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nu", 3);
    lab.chronyd("upstream", 0, "local stratum 3\nallow all\n");
    lab.tempora(
        "middle",
        1,
        "[[ntp-source]]\naddress = \"10.79.0.1\"\nminpoll = 0\nmaxpoll = 0\n\n\
         [clock]\nkind = \"virtual\"\n\n[ntp-server]\nlisten = [\"0.0.0.0:123\"]\n",
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    let ntpdig = loop {
        let out = lab.run(2, "ntpdig", &["-j", "-t", "1", "10.79.1.1"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let v = serde_json::from_str::<serde_json::Value>(text.lines().next().unwrap_or(""))
            .unwrap_or_default();
        if v["stratum"] == 4 || Instant::now() > deadline {
            break v;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    eprintln!("ntpdig of the middle server: {ntpdig}");
    assert_eq!(ntpdig["stratum"], 4, "{ntpdig}");
    assert_eq!(ntpdig["leap"], "no-leap", "{ntpdig}");
    let v = query(&lab, 2, &["10.79.1.1"]);
    assert_eq!(v[0]["refid"], "10.79.0.1", "{v}");
    assert_eq!(v[0]["stratum"], 4, "{v}");
    assert!(v[0]["root_delay_s"].as_f64().unwrap() > 0.0, "{v}");
}
