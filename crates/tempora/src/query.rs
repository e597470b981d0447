//! `tempora query [--json] HOST[:PORT]...`: one NTP exchange with each
//! server, like ntpdig: offset, delay, stratum, leap, reference id,
//! precision, root delay and dispersion. T1 and T4 are the kernel's
//! software timestamps of the request and the reply.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration as StdDuration, Instant};

use serde_json::json;
use tempora_clock::{BaseClock, Time};
use tempora_daemon::dns::server_addresses;
use tempora_linux::clock::RealtimeBase;
use tempora_linux::poll::Poller;
use tempora_linux::udp_client::UdpClient;
use tempora_ntp::exchange::{Request, Sample};
use tempora_ntp::nts::{NtsError, UID_LEN, open_response, write_request};
use tempora_ntp::wire::LeapIndicator;
use tempora_ntp::wire::ntske::NextProtocol;
use tempora_nts::KE_PORT;
use tempora_nts::client::{Association, KeOptions, key_exchange_for};

/// `HOST`, `HOST:PORT`, `IPV6` or `[IPV6]:PORT` → the first address.
pub(crate) fn resolve(server: &str) -> Result<SocketAddr, String> {
    server_addresses(server)
        .map_err(|e| format!("cannot resolve {server}: {e}"))?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{server} has no address"))
}

/// An NTS exchange's state: the association and the request's unique
/// identifier.
struct NtsRequest {
    association: Association,
    uid: [u8; UID_LEN],
}

/// Key establishment with `server` (HOST or HOST:PORT, port 4460 by
/// default) for the NTP version `protocol` alone (an association for
/// another is an error), then the NTP server's address.
pub(crate) fn key_establishment(
    server: &str,
    opts: &KeOptions,
    protocol: NextProtocol,
) -> Result<(SocketAddr, Association), String> {
    let (host, port) = tempora_nts::split_host_port(server, KE_PORT);
    let association =
        key_exchange_for(&host, port, opts, &[protocol]).map_err(|e| format!("{server}: {e}"))?;
    if association.protocol != protocol {
        return Err(format!("{server}: NTS-KE agreed on another NTP version"));
    }
    Ok((resolve(&association.ntp_server())?, association))
}

/// Key establishment for NTPv4 with `server`, and the request's state.
fn nts_associate(server: &str, opts: &KeOptions) -> Result<(SocketAddr, NtsRequest), String> {
    let (addr, association) = key_establishment(server, opts, NextProtocol::Ntpv4)?;
    Ok((
        addr,
        NtsRequest {
            association,
            uid: rand::random(),
        },
    ))
}

/// The fields of a sample both versions print: the server, its address,
/// offset, delay, stratum, leap, precision, root delay, dispersion and
/// distance (JSON, seconds).
pub(crate) fn sample_json(
    server: &str,
    addr: SocketAddr,
    s: &Sample,
) -> serde_json::Map<String, serde_json::Value> {
    let secs = |d: tempora_clock::Duration| d.as_secs_f64();
    let json = json!({
        "server": server,
        "address": addr.to_string(),
        "offset_s": secs(s.offset),
        "delay_s": secs(s.delay),
        "stratum": s.stratum,
        "leap": leap_name(s.leap),
        "precision_log2_s": s.precision,
        "root_delay_s": secs(s.root_delay),
        "root_dispersion_s": secs(s.root_dispersion),
        "root_distance_s": secs(s.root_distance),
    });
    match json {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// The request of one NTPv4 exchange: the header, NTS-protected
/// (RFC 8915 §5.7) with `nts`.
fn v4_request(header: &[u8; 48], nts: Option<&NtsRequest>) -> Result<Vec<u8>, String> {
    let Some(n) = nts else {
        return Ok(header.to_vec());
    };
    let cookie = n.association.cookies.first().ok_or("no NTS cookie")?;
    let mut protected = [0u8; 1024];
    let len = write_request(
        &mut protected,
        header,
        &n.uid,
        cookie,
        0,
        &n.association.keys.c2s,
        &rand::random::<[u8; 16]>(),
    )
    .map_err(|e| format!("NTS request: {e:?}"))?;
    Ok(protected.get(..len).unwrap_or_default().to_vec())
}

/// One NTPv4 exchange with `addr`; with `nts`, NTS-protected: replies that
/// do not authenticate are counted and ignored while the wait lasts.
fn exchange_v4(
    addr: SocketAddr,
    timeout: StdDuration,
    nts: Option<&NtsRequest>,
) -> Result<Sample, String> {
    let (request, header) = Request::new(rand::random());
    let bytes = v4_request(&header, nts)?;
    exchange(addr, timeout, &bytes, |data| match nts {
        None => Ok(true),
        Some(n) => {
            let mut plain = [0u8; 2048];
            match open_response(data, &n.uid, &n.association.keys.s2c, &mut plain, |_| {}) {
                Ok(_) => Ok(true),
                Err(NtsError::Nak) => Err(format!("{addr}: NTS NAK")),
                Err(_) => Ok(false),
            }
        }
    })
    .and_then(|(data, t1, t4)| {
        request
            .complete(&data, t1, t4)
            .map_err(|e| format!("{addr}: {e}"))
    })
}

/// Sends `request` to `addr` and waits at most `timeout` for a reply that
/// `accept` takes (`Ok(false)`: ignore it and wait on; `Err`: give up);
/// returns it with T1 and T4, the kernel's software timestamps of the
/// request and the reply.
pub(crate) fn exchange(
    addr: SocketAddr,
    timeout: StdDuration,
    request: &[u8],
    accept: impl Fn(&[u8]) -> Result<bool, String>,
) -> Result<(Vec<u8>, Time, Time), String> {
    let mut socket = UdpClient::open_for(addr).map_err(|e| format!("socket: {e}"))?;
    let mut rejected = 0u32;
    let before = RealtimeBase.now();
    socket
        .send_to(request, addr)
        .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut poller = Poller::new();
    poller.register_raw(socket.fd());
    let mut t1: Option<Time> = None;
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(if rejected > 0 {
                format!("no authentic reply from {addr} within {timeout:?} ({rejected} rejected)")
            } else {
                format!("no reply from {addr} within {timeout:?}")
            });
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
            let data = buf.get(..d.len).unwrap_or_default();
            if !accept(data)? {
                rejected += 1;
                continue;
            }
            let t4 = d.rx.unwrap_or_else(|| RealtimeBase.now());
            // The transmit timestamp may still be queued behind the reply.
            if t1.is_none() {
                if let Ok(Some(tx)) = socket.recv_tx_timestamp() {
                    t1 = Some(tx.time);
                }
            }
            return Ok((data.to_vec(), t1.unwrap_or(before), t4));
        }
    }
}

pub(crate) fn leap_name(l: LeapIndicator) -> &'static str {
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
pub fn query(
    servers: &[String],
    json_out: bool,
    timeout: StdDuration,
    nts: Option<&KeOptions>,
) -> ExitCode {
    report(servers, json_out, |server| {
        let (addr, s, group) = match nts {
            None => resolve(server)
                .and_then(|addr| exchange_v4(addr, timeout, None).map(|s| (addr, s, None))),
            Some(opts) => nts_associate(server, opts).and_then(|(addr, n)| {
                exchange_v4(addr, timeout, Some(&n))
                    .map(|s| (addr, s, Some(n.association.kx_group.clone())))
            }),
        }?;
        let secs = |d: tempora_clock::Duration| d.as_secs_f64();
        let mut json = sample_json(server, addr, &s);
        json.insert("refid".into(), refid(&s).into());
        json.insert("poll_log2_s".into(), s.poll.into());
        json.insert("version".into(), s.version.into());
        json.insert("nts".into(), nts.is_some().into());
        json.insert("nts_tls_group".into(), json!(group));
        let json = serde_json::Value::Object(json);
        let text = format!(
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
        Ok((json, text))
    })
}

/// Asks each server with `ask` (its answer as JSON and as a line of
/// text) and prints the answers or errors, a JSON array with `json_out`;
/// exit status 0 if every server answered, 1 otherwise.
pub(crate) fn report(
    servers: &[String],
    json_out: bool,
    mut ask: impl FnMut(&str) -> Result<(serde_json::Value, String), String>,
) -> ExitCode {
    let mut all_ok = true;
    let mut results = Vec::new();
    for server in servers {
        match ask(server) {
            Ok((json, _)) if json_out => results.push(json),
            Ok((_, text)) => println!("{text}"),
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
