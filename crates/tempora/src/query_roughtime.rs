//! `tempora query --roughtime HOST[:PORT]... --public-key KEY...`: one
//! verified Roughtime exchange with each server (RFC 10049 §5.4), printed
//! with its midpoint, radius, offset from the system clock, version and
//! round trip; and `tempora roughtime keygen --out FILE`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration as StdDuration;

use serde_json::json;
use tempora_clock::{BaseClock, Time};
use tempora_config::{RoughtimeVersion, decode_public_key};
use tempora_daemon::dns::server_addresses;
use tempora_daemon::roughtime_client::{Exchange, Target, version_name, version_of};
use tempora_daemon::roughtime_startup::{ask_chain, malfeasance_of};
use tempora_linux::clock::RealtimeBase;
use tempora_roughtime::LongTermKey;

/// `tempora roughtime keygen --out FILE`.
pub fn keygen(out: &Path) -> ExitCode {
    match tempora_daemon::roughtime_key::create(out) {
        Ok(seed) => {
            let public = LongTermKey::from_seed(&seed).public();
            println!("wrote {} (mode 0600)", out.display());
            println!("public key (base64) {}", base64(&public));
            println!("public key (hex)    {}", hex(&public));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tempora roughtime keygen: {e}");
            ExitCode::from(2)
        }
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

use tempora_roughtime::base64::encode as base64;

/// The version named on the command line.
fn parse_version(text: &str) -> Result<RoughtimeVersion, String> {
    match text {
        "rfc" => Ok(RoughtimeVersion::Rfc),
        "draft-14" | "14" => Ok(RoughtimeVersion::Draft14),
        "google" => Ok(RoughtimeVersion::Google),
        other => Err(format!(
            "--rt-version {other}: expected rfc, draft-14 or google"
        )),
    }
}

/// The servers with their keys: a key per server (one key for one server).
fn targets(servers: &[String], keys: &[String], version: &str) -> Result<Vec<Target>, String> {
    let version = version_of(parse_version(version)?);
    if keys.len() != servers.len() {
        return Err(format!(
            "{} servers but {} --public-key: give each server's key, in order",
            servers.len(),
            keys.len()
        ));
    }
    let mut out = Vec::new();
    for (server, key) in servers.iter().zip(keys) {
        let public_key = decode_public_key(key).map_err(|e| format!("--public-key {e}"))?;
        let (host, port) = tempora_config::split_roughtime_address(server);
        let addr = server_addresses(&format!("{host}:{port}"))
            .ok()
            .and_then(|a| a.into_iter().next())
            .ok_or_else(|| format!("cannot resolve {server}"))?;
        out.push(Target {
            name: server.clone(),
            addr,
            public_key,
            version,
        });
    }
    Ok(out)
}

fn system_now() -> Time {
    RealtimeBase.now()
}

/// Runs the queries, in a chain (RFC 10049 §8.2); exit status 0 if every
/// server answered with a verified reply, 1 otherwise, 2 on a usage
/// error, 3 when the chain proves that a server lied (the proof is
/// printed).
pub fn query(
    servers: &[String],
    keys: &[String],
    version: &str,
    json_out: bool,
    timeout: StdDuration,
) -> ExitCode {
    let targets = match targets(servers, keys, version) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tempora query: {e}");
            return ExitCode::from(2);
        }
    };
    let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    let (chain, asked) = ask_chain(targets.into_iter().map(Ok).collect(), timeout, &system_now);
    let mut all_ok = true;
    let mut results = Vec::new();
    for (name, a) in names.iter().zip(&asked) {
        match a {
            Ok((t, x)) => {
                if json_out {
                    results.push(exchange_json(t, x));
                } else {
                    println!("{}", exchange_line(t, x));
                }
            }
            Err(e) => {
                all_ok = false;
                if json_out {
                    results.push(json!({ "server": name, "error": e }));
                } else {
                    eprintln!("tempora query: {e}");
                }
            }
        }
    }
    let linked: Vec<&str> = names
        .iter()
        .zip(&asked)
        .filter(|(_, a)| a.is_ok())
        .map(|(n, _)| n.as_str())
        .collect();
    if let Some(m) = malfeasance_of(&chain, &linked) {
        if json_out {
            println!(
                "{}",
                json!({ "servers": results, "malfeasance": { "summary": m.summary, "report": m.report } })
            );
        } else {
            println!("MALFEASANCE: {}", m.summary);
            println!("proof (RFC 10049 §8.4.1 malfeasance report): {}", m.report);
        }
        return ExitCode::from(3);
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

fn exchange_json(t: &Target, x: &Exchange) -> serde_json::Value {
    json!({
        "server": t.name,
        "address": t.addr.to_string(),
        "version": version_name(x.verified.version),
        "verified": true,
        "midpoint_s": x.verified.midpoint_us as f64 * 1e-6,
        "radius_s": x.verified.radius_us as f64 * 1e-6,
        "offset_s": x.offset().as_secs_f64(),
        "rtt_s": x.rtt().as_secs_f64(),
        "online_key": base64(&x.verified.online_public),
    })
}

fn exchange_line(t: &Target, x: &Exchange) -> String {
    format!(
        "{} ({}): midpoint {:.6} s, radius {} s, offset {:+.6} s, version {}, rtt {:.6} s, signature verified",
        t.name,
        t.addr,
        x.verified.midpoint_us as f64 * 1e-6,
        x.verified.radius_us as f64 * 1e-6,
        x.offset().as_secs_f64(),
        version_name(x.verified.version),
        x.rtt().as_secs_f64(),
    )
}
