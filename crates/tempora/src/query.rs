//! `tempora query [--json] HOST[:PORT]...`: one NTP exchange with each
//! server, like ntpdig: offset, delay, stratum, leap, reference id,
//! precision, root delay and dispersion. T1 and T4 are the kernel's
//! software timestamps of the request and the reply.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration as StdDuration, Instant};

use serde_json::json;
use tempora_clock::{BaseClock, Time};
use tempora_daemon::ntp_client::server_addresses;
use tempora_linux::clock::RealtimeBase;
use tempora_linux::poll::Poller;
use tempora_linux::udp_client::UdpClient;
use tempora_ntp::exchange::{Request, Sample};
use tempora_ntp::wire::LeapIndicator;

/// `HOST`, `HOST:PORT`, `IPV6` or `[IPV6]:PORT` → the first address.
fn resolve(server: &str) -> Result<SocketAddr, String> {
    server_addresses(server)
        .map_err(|e| format!("cannot resolve {server}: {e}"))?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{server} has no address"))
}

/// One exchange with `addr`, waiting at most `timeout` for the reply.
fn exchange(addr: SocketAddr, timeout: StdDuration) -> Result<Sample, String> {
    let mut socket = UdpClient::open_for(addr).map_err(|e| format!("socket: {e}"))?;
    let (request, bytes) = Request::new(rand::random());
    let before = RealtimeBase.now();
    socket
        .send_to(&bytes, addr)
        .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut poller = Poller::new();
    poller.register_raw(socket.fd());
    let mut t1: Option<Time> = None;
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("no reply from {addr} within {timeout:?}"));
        }
        let ready = poller.wait(left).map_err(|e| format!("poll: {e}"))?;
        for r in ready {
            if r.error_queue {
                if let Ok(Some(tx)) = socket.recv_tx_timestamp() {
                    t1 = Some(tx.time);
                }
            }
            if !r.readable {
                continue;
            }
            let Ok(Some(d)) = socket.recv(&mut buf) else {
                continue;
            };
            if d.source != Some(addr) || d.truncated {
                continue;
            }
            let t4 = d.rx.unwrap_or_else(|| RealtimeBase.now());
            // The transmit timestamp may still be queued behind the reply.
            if t1.is_none() {
                if let Ok(Some(tx)) = socket.recv_tx_timestamp() {
                    t1 = Some(tx.time);
                }
            }
            return request
                .complete(
                    buf.get(..d.len).unwrap_or_default(),
                    t1.unwrap_or(before),
                    t4,
                )
                .map_err(|e| format!("{addr}: {e}"));
        }
    }
}

fn leap_name(l: LeapIndicator) -> &'static str {
    match l {
        LeapIndicator::NoWarning => "none",
        LeapIndicator::AddSecond => "add-second",
        LeapIndicator::DeleteSecond => "delete-second",
        LeapIndicator::Unsynchronized => "unsynchronized",
    }
}

fn refid(s: &Sample) -> String {
    match (s.stratum, s.reference_id.ascii()) {
        (1, Some(name)) => name.to_string(),
        _ => s.reference_id.ipv4().to_string(),
    }
}

/// Runs the queries; exit status 0 if every server answered, 1 otherwise.
pub fn query(servers: &[String], json_out: bool, timeout: StdDuration) -> ExitCode {
    let mut all_ok = true;
    let mut results = Vec::new();
    for server in servers {
        let outcome = resolve(server).and_then(|addr| exchange(addr, timeout).map(|s| (addr, s)));
        match outcome {
            Ok((addr, s)) => {
                let secs = |d: tempora_clock::Duration| d.as_secs_f64();
                if json_out {
                    results.push(json!({
                        "server": server,
                        "address": addr.to_string(),
                        "offset_s": secs(s.offset),
                        "delay_s": secs(s.delay),
                        "stratum": s.stratum,
                        "leap": leap_name(s.leap),
                        "refid": refid(&s),
                        "precision_log2_s": s.precision,
                        "root_delay_s": secs(s.root_delay),
                        "root_dispersion_s": secs(s.root_dispersion),
                        "root_distance_s": secs(s.root_distance),
                        "poll_log2_s": s.poll,
                        "version": s.version,
                    }));
                } else {
                    println!(
                        "{server} ({addr}): offset {:+.6} s, delay {:.6} s, stratum {}, leap {}, refid {}, \
                         precision 2^{} s, root delay {:.6} s, root dispersion {:.6} s",
                        secs(s.offset),
                        secs(s.delay),
                        s.stratum,
                        leap_name(s.leap),
                        refid(&s),
                        s.precision,
                        secs(s.root_delay),
                        secs(s.root_dispersion),
                    );
                }
            }
            Err(e) => {
                all_ok = false;
                if json_out {
                    results.push(json!({ "server": server, "error": e }));
                } else {
                    eprintln!("tempora query: {e}");
                }
            }
        }
    }
    if json_out {
        println!("{}", serde_json::Value::Array(results));
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
