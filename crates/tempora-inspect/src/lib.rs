//! # tempora-inspect
//!
//! The engine of `tempora inspect`: reads pcap and pcapng captures, finds the
//! PTP and NTP messages in them, prints one line (or one JSON object) per
//! message, and re-encodes every decoded message to check that Tempora's
//! codecs reproduce it byte for byte.

mod auth_check;
pub mod capture;
mod csptp_view;
pub mod dissect;
mod ntp_view;
mod ntpv5_view;
mod ptp_view;
pub mod roundtrip;

use std::io::{self, Write};
use std::path::Path;

use serde_json::{Map, Value, json};
use tempora_ptp::wire::framing::EthernetFrame;

pub use crate::auth_check::{AuthCounts, load_sa_file};
use crate::capture::{CaptureError, Frame, read_capture};
use crate::dissect::{Dissected, Payload, dissect};
use tempora_ptp::auth::SaDatabase;

/// The outcome of decoding and re-encoding one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Decoded, and re-encoding gave the same bytes.
    Identical,
    /// Decoded, but re-encoding gave different bytes.
    Mismatch,
    /// Could not be decoded (or re-encoded), with the reason.
    Failed(String),
}

/// Counts over everything inspected; see [`Summary`]'s `Display` for the
/// closing line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Packets read from the captures.
    pub packets: u64,
    /// PTP and NTP messages decoded.
    pub decoded: u64,
    /// Decoded messages whose re-encoding was identical.
    pub identical: u64,
    /// PTP and NTP packets that failed to decode or to round-trip.
    pub failed: u64,
    /// Packets that are not PTP or NTP (NTS-KE/TLS segments included).
    pub skipped: u64,
    /// NTS-KE (TLS) segments among the skipped packets.
    pub nts_ke: u64,
    /// With an SA file: the AUTHENTICATION TLV checks.
    pub auth: Option<AuthCounts>,
}

impl Summary {
    /// Whether every PTP and NTP packet decoded and round-tripped, and with
    /// an SA file every PTP message's ICV checked out.
    pub fn all_good(&self) -> bool {
        self.failed == 0 && self.auth.is_none_or(|a| a.refused == 0)
    }
}

/// What `tempora inspect` does besides decoding.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// One JSON object per message instead of a line of text.
    pub json: bool,
    /// Security associations to check every PTP message's AUTHENTICATION
    /// TLV against (`--sa-file`).
    pub sa: Option<SaDatabase>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} packets, {} decoded, {} identical, {} failed, {} skipped",
            self.packets, self.decoded, self.identical, self.failed, self.skipped
        )?;
        if let Some(a) = self.auth {
            write!(f, ", {} ICVs verified, {} refused", a.verified, a.refused)?;
        }
        Ok(())
    }
}

/// Formats nanoseconds since the Unix epoch as RFC 3339 UTC with microseconds.
fn format_time(time_ns: i128) -> String {
    let Ok(ns) = u64::try_from(time_ns) else {
        return format!("{time_ns}ns");
    };
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns);
    humantime::format_rfc3339_micros(t).to_string()
}

/// Inspects one frame: writes its line or JSON object to `out` and updates `summary`.
pub fn inspect_frame(
    frame: &Frame,
    json: bool,
    summary: &mut Summary,
    out: &mut dyn Write,
) -> io::Result<()> {
    let options = InspectOptions { json, sa: None };
    inspect_frame_with(frame, &options, summary, out)
}

/// [`inspect_frame`] with [`InspectOptions`]: with an SA file, each PTP
/// message's line says whether its ICV checked out.
pub fn inspect_frame_with(
    frame: &Frame,
    options: &InspectOptions,
    summary: &mut Summary,
    out: &mut dyn Write,
) -> io::Result<()> {
    let json = options.json;
    summary.packets += 1;
    let Dissected {
        source,
        destination,
        payload,
    } = dissect(frame.linktype, &frame.data);
    let ptp_message = match payload {
        Payload::PtpEthernet(m) | Payload::PtpUdp(m) => Some(m),
        _ => None,
    };
    let (mut text, mut obj, verdict) = match payload {
        Payload::Other => {
            summary.skipped += 1;
            return Ok(());
        }
        Payload::NtsKe(data) => {
            summary.skipped += 1;
            summary.nts_ke += 1;
            if data.is_empty() {
                return Ok(());
            }
            let mut obj = Map::new();
            obj.insert("protocol".into(), json!("NTS-KE"));
            obj.insert("tls_bytes".into(), json!(data.len()));
            (
                format!("NTS-KE TLS {} bytes (encrypted, not decoded)", data.len()),
                obj,
                None,
            )
        }
        Payload::PtpEthernet(message) => {
            // Over Ethernet the whole frame is rebuilt around the re-encoded
            // message, so that the framing codec is checked too.
            let whole_frame = frame.linktype == dissect::linktype::ETHERNET;
            let original_bytes: &[u8] = if whole_frame { &frame.data } else { message };
            let r = ptp_view::inspect_ptp(message, original_bytes, |encoded| {
                if !whole_frame {
                    return Some(encoded.to_vec());
                }
                let original = EthernetFrame::decode(&frame.data).ok()?;
                let rebuilt = EthernetFrame {
                    payload: encoded,
                    ..original
                };
                let mut buf = vec![0u8; rebuilt.encoded_len()];
                rebuilt.encode(&mut buf).ok()?;
                Some(buf)
            });
            let mut obj = r.json;
            obj.insert("transport".into(), json!("ethernet"));
            (r.text, obj, Some(r.verdict))
        }
        Payload::PtpUdp(message) => {
            let r = ptp_view::inspect_ptp(message, message, |encoded| Some(encoded.to_vec()));
            let mut obj = r.json;
            obj.insert("transport".into(), json!("udp"));
            (r.text, obj, Some(r.verdict))
        }
        Payload::Ntp(packet) => {
            let r = if tempora_ntp::v5::is_v5(packet) {
                ntpv5_view::inspect_ntpv5(packet, frame.time_ns)
            } else {
                ntp_view::inspect_ntp(packet, frame.time_ns)
            };
            (r.text, r.json, Some(r.verdict))
        }
    };
    if let (Some(db), Some(message)) = (&options.sa, ptp_message) {
        let (note, value, ok) = auth_check::check(db, message);
        text.push_str(&note);
        obj.insert("auth".into(), value);
        let counts = summary.auth.get_or_insert_with(AuthCounts::default);
        if ok {
            counts.verified += 1;
        } else {
            counts.refused += 1;
        }
    }
    let time = format_time(frame.time_ns);
    let verdict_note = match &verdict {
        None | Some(Verdict::Identical) => String::new(),
        Some(Verdict::Mismatch) => " !! re-encoding differs".to_string(),
        Some(Verdict::Failed(why)) => format!(" !! {why}"),
    };
    match &verdict {
        None => {}
        Some(Verdict::Identical) => {
            summary.decoded += 1;
            summary.identical += 1;
        }
        Some(Verdict::Mismatch) => {
            summary.decoded += 1;
            summary.failed += 1;
        }
        Some(Verdict::Failed(_)) => summary.failed += 1,
    }
    if json {
        let mut full = Map::new();
        full.insert("time".into(), json!(time));
        full.insert("source".into(), json!(source));
        full.insert("destination".into(), json!(destination));
        full.append(&mut obj);
        let roundtrip = match verdict {
            None => Value::Null,
            Some(Verdict::Identical) => json!("identical"),
            Some(Verdict::Mismatch) => json!("differs"),
            Some(Verdict::Failed(why)) => json!({ "failed": why }),
        };
        full.insert("roundtrip".into(), roundtrip);
        writeln!(out, "{}", Value::Object(full))
    } else {
        writeln!(out, "{time} {source} → {destination} {text}{verdict_note}")
    }
}

/// Inspects every packet of the capture at `path`.
pub fn inspect_file(
    path: &Path,
    json: bool,
    summary: &mut Summary,
    out: &mut dyn Write,
) -> Result<(), InspectError> {
    let options = InspectOptions { json, sa: None };
    inspect_file_with(path, &options, summary, out)
}

/// [`inspect_file`] with [`InspectOptions`].
pub fn inspect_file_with(
    path: &Path,
    options: &InspectOptions,
    summary: &mut Summary,
    out: &mut dyn Write,
) -> Result<(), InspectError> {
    if options.sa.is_some() {
        summary.auth.get_or_insert_with(AuthCounts::default);
    }
    let mut io_result = Ok(());
    read_capture(path, |frame| {
        if io_result.is_ok() {
            io_result = inspect_frame_with(&frame, options, summary, out);
        }
    })
    .map_err(|e| InspectError::Capture(path.display().to_string(), e))?;
    io_result.map_err(InspectError::Output)
}

/// Why inspection stopped early.
#[derive(Debug)]
pub enum InspectError {
    /// A capture file could not be read: its path and the reason.
    Capture(String, CaptureError),
    /// Writing the output failed.
    Output(io::Error),
}

impl std::fmt::Display for InspectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InspectError::Capture(path, e) => write!(f, "{path}: {e}"),
            InspectError::Output(e) => write!(f, "writing output: {e}"),
        }
    }
}

impl std::error::Error for InspectError {}
