//! `tempora query --ntpv5 [--draft N] [--timescale utc|tai] HOST...`: one
//! NTPv5 exchange (draft-ietf-ntp-ntpv5 -08 or -09, "Client Operation")
//! with each server, through the sans-IO [`V5Request`]: offset and delay in
//! the timescale of the reply, stratum, leap, era, precision, root delay
//! and dispersion, and the versions the server announces if it does.

use std::process::ExitCode;
use std::time::Duration as StdDuration;

use serde_json::json;
use tempora_ntp::v5::{Draft, Timescale, V5Reply, V5Request};

use crate::query::{exchange, leap_name, report, resolve};

/// The draft of `--draft N`.
fn draft_of(n: u8) -> Result<Draft, String> {
    match n {
        8 => Ok(Draft::Draft08),
        9 => Ok(Draft::Draft09),
        _ => Err(format!("--draft {n}: 8 or 9")),
    }
}

/// The timescale of `--timescale NAME`.
fn timescale_of(name: &str) -> Result<Timescale, String> {
    match name {
        "utc" => Ok(Timescale::Utc),
        "tai" => Ok(Timescale::Tai),
        _ => Err(format!("--timescale {name}: utc or tai")),
    }
}

/// One NTPv5 exchange with `server`: its address and the reply's fields.
fn ask(
    server: &str,
    timeout: StdDuration,
    draft: Draft,
    timescale: Timescale,
) -> Result<serde_json::Value, String> {
    let addr = resolve(server)?;
    let mut out = [0u8; 256];
    let (request, len) = V5Request::new(rand::random(), draft, timescale, None, &mut out)
        .map_err(|e| format!("request: {e:?}"))?;
    let bytes = out.get(..len).unwrap_or_default();
    let (data, t1, t4) = exchange(addr, timeout, bytes, |_| Ok(true))?;
    let reply: V5Reply<'_> = request
        .complete(&data, t1, t4)
        .map_err(|e| format!("{addr}: {e}"))?;
    let s = reply.sample;
    let secs = |d: tempora_clock::Duration| d.as_secs_f64();
    let versions: Option<Vec<u8>> = reply
        .server_info
        .map(|i| (1..=16).filter(|v| i.supports(*v)).collect());
    Ok(json!({
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
        "version": 5,
        "draft": draft.id(),
        "timescale": reply.timescale.to_string(),
        "era": reply.era,
        "server_versions": versions,
    }))
}

/// One line of text for a reply.
fn line(v: &serde_json::Value) -> String {
    format!(
        "{} ({}): offset {:+.6} s, delay {:.6} s, stratum {}, leap {}, NTPv5 {} timescale {} era {}, \
         precision 2^{} s, root delay {:.6} s, root dispersion {:.6} s",
        v["server"].as_str().unwrap_or(""),
        v["address"].as_str().unwrap_or(""),
        v["offset_s"].as_f64().unwrap_or(f64::NAN),
        v["delay_s"].as_f64().unwrap_or(f64::NAN),
        v["stratum"],
        v["leap"].as_str().unwrap_or(""),
        v["draft"].as_str().unwrap_or(""),
        v["timescale"].as_str().unwrap_or(""),
        v["era"],
        v["precision_log2_s"],
        v["root_delay_s"].as_f64().unwrap_or(f64::NAN),
        v["root_dispersion_s"].as_f64().unwrap_or(f64::NAN),
    )
}

/// Runs the queries; exit status 0 if every server answered, 1 otherwise,
/// 2 for a bad `--draft` or `--timescale`.
pub fn query_v5(
    servers: &[String],
    json_out: bool,
    timeout: StdDuration,
    draft: u8,
    timescale: &str,
) -> ExitCode {
    let (draft, timescale) = match (draft_of(draft), timescale_of(timescale)) {
        (Ok(d), Ok(t)) => (d, t),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("tempora query: {e}");
            return ExitCode::from(2);
        }
    };
    report(servers, json_out, |server| {
        let v = ask(server, timeout, draft, timescale)?;
        let text = line(&v);
        Ok((v, text))
    })
}
