//! `tempora query --ntpv5 [--draft N] [--timescale utc|tai] HOST...`: one
//! NTPv5 exchange (draft-ietf-ntp-ntpv5 -08 or -09, "Client Operation")
//! with each server, through the sans-IO [`V5Request`]: offset and delay in
//! the timescale of the reply, stratum, leap, era, precision, root delay
//! and dispersion, and the versions the server announces if it does. With
//! `--nts`, key establishment first offers draft NTPv5 (next protocol
//! 0x8001, as ntpd-rs does) and the exchange is NTS-protected
//! ([`NtsV5Request`], RFC 8915 §5.7 over the draft's extension fields).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration as StdDuration;

use serde_json::json;
use tempora_ntp::nts::NtsError;
use tempora_ntp::nts::v5::{NtsParams, NtsV5Request, V5Params};
use tempora_ntp::v5::{Draft, Timescale, V5Reply, V5Request};
use tempora_ntp::wire::ntske::NextProtocol;
use tempora_nts::client::{Association, KeOptions};

use crate::query::{exchange, key_establishment, report, resolve, sample_json};

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

/// One NTPv5 exchange with `addr`, NTS-protected under `nts`: replies
/// that do not authenticate are ignored while the wait lasts.
fn exchange_nts<'p>(
    addr: SocketAddr,
    timeout: StdDuration,
    v5: V5Params,
    nts: &Association,
    reply: &'p mut Vec<u8>,
) -> Result<V5Reply<'p>, String> {
    let cookie = nts.cookies.first().ok_or("no NTS cookie")?;
    let params = NtsParams {
        uid: rand::random(),
        cookie,
        placeholders: 0,
        c2s: &nts.keys.c2s,
        nonce: rand::random(),
    };
    let mut out = [0u8; 1280];
    let (request, len) =
        NtsV5Request::new(v5, &params, &mut out).map_err(|e| format!("NTS request: {e:?}"))?;
    let bytes = out.get(..len).unwrap_or_default();
    let mut plain = [0u8; 2048];
    let (data, t1, t4) = exchange(addr, timeout, bytes, |data| {
        match request.open(data, &nts.keys.s2c, &mut [0u8; 2048], |_| {}) {
            Ok(_) => Ok(true),
            Err(NtsError::Nak) => Err(format!("{addr}: NTS NAK")),
            Err(_) => Ok(false),
        }
    })?;
    *reply = data;
    request
        .complete(reply, t1, t4, &nts.keys.s2c, &mut plain, |_| {})
        .map_err(|e| format!("{addr}: {e:?}"))
}

/// One NTPv5 exchange with `server` (NTS-protected with `nts`): its
/// address and the reply's fields.
fn ask(
    server: &str,
    timeout: StdDuration,
    draft: Draft,
    timescale: Timescale,
    nts: Option<&KeOptions>,
) -> Result<serde_json::Value, String> {
    let v5 = V5Params {
        cookie: rand::random(),
        draft,
        timescale,
        chunk: None,
    };
    let mut data = Vec::new();
    let (addr, reply) = match nts {
        Some(opts) => {
            let (addr, association) = key_establishment(server, opts, NextProtocol::DraftNtpv5)?;
            let reply = exchange_nts(addr, timeout, v5, &association, &mut data)?;
            (addr, reply)
        }
        None => {
            let addr = resolve(server)?;
            let mut out = [0u8; 256];
            let (request, len) = V5Request::new(v5.cookie, draft, timescale, None, &mut out)
                .map_err(|e| format!("request: {e:?}"))?;
            let bytes = out.get(..len).unwrap_or_default();
            let (d, t1, t4) = exchange(addr, timeout, bytes, |_| Ok(true))?;
            data = d;
            let reply: V5Reply<'_> = request
                .complete(&data, t1, t4)
                .map_err(|e| format!("{addr}: {e}"))?;
            (addr, reply)
        }
    };
    let versions: Option<Vec<u8>> = reply
        .server_info
        .map(|i| (1..=16).filter(|v| i.supports(*v)).collect());
    let mut json = sample_json(server, addr, &reply.sample);
    let extra = json!({
        "version": 5,
        "draft": draft.id(),
        "timescale": reply.timescale.to_string(),
        "era": reply.era,
        "server_versions": versions,
        "nts": nts.is_some(),
    });
    if let serde_json::Value::Object(extra) = extra {
        json.extend(extra);
    }
    Ok(serde_json::Value::Object(json))
}

/// One line of text for a reply.
fn line(v: &serde_json::Value) -> String {
    format!(
        "{} ({}): offset {:+.6} s, delay {:.6} s, stratum {}, leap {}, NTPv5 {}{} timescale {} \
         era {}, precision 2^{} s, root delay {:.6} s, root dispersion {:.6} s",
        v["server"].as_str().unwrap_or(""),
        v["address"].as_str().unwrap_or(""),
        v["offset_s"].as_f64().unwrap_or(f64::NAN),
        v["delay_s"].as_f64().unwrap_or(f64::NAN),
        v["stratum"],
        v["leap"].as_str().unwrap_or(""),
        v["draft"].as_str().unwrap_or(""),
        if v["nts"] == true { " NTS" } else { "" },
        v["timescale"].as_str().unwrap_or(""),
        v["era"],
        v["precision_log2_s"],
        v["root_delay_s"].as_f64().unwrap_or(f64::NAN),
        v["root_dispersion_s"].as_f64().unwrap_or(f64::NAN),
    )
}

/// Runs the queries (NTS-protected with `nts`); exit status 0 if every
/// server answered, 1 otherwise, 2 for a bad `--draft` or `--timescale`.
pub fn query_v5(
    servers: &[String],
    json_out: bool,
    timeout: StdDuration,
    (draft, timescale): (u8, &str),
    nts: Option<&KeOptions>,
) -> ExitCode {
    let (draft, timescale) = match (draft_of(draft), timescale_of(timescale)) {
        (Ok(d), Ok(t)) => (d, t),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("tempora query: {e}");
            return ExitCode::from(2);
        }
    };
    report(servers, json_out, |server| {
        let v = ask(server, timeout, draft, timescale, nts)?;
        let text = line(&v);
        Ok((v, text))
    })
}
