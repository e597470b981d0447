//! Reading packets from pcap and pcapng files with the `pcap-parser` crate,
//! with their capture time and link type.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use pcap_parser::{Block, PcapBlockOwned, PcapError, create_reader};

/// The largest record the reader accepts; larger ones are reported as errors.
const BUFFER_CAPACITY: usize = 1 << 20;

/// One captured packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Capture time in nanoseconds since the Unix epoch.
    pub time_ns: i128,
    /// The link type (`LINKTYPE_*` value of the capture format).
    pub linktype: i32,
    /// The captured bytes.
    pub data: Vec<u8>,
}

/// Why a capture file could not be read to the end.
#[derive(Debug)]
pub enum CaptureError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The file is neither pcap nor pcapng.
    NotACapture,
    /// The file ends inside a record.
    Truncated,
    /// A record is malformed or larger than the reader's buffer.
    Malformed(String),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Io(e) => write!(f, "{e}"),
            CaptureError::NotACapture => write!(f, "not a pcap or pcapng file"),
            CaptureError::Truncated => write!(f, "capture ends inside a record"),
            CaptureError::Malformed(m) => write!(f, "malformed capture: {m}"),
        }
    }
}

impl std::error::Error for CaptureError {}

/// An interface of a pcapng section: its link type and time base.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: i32,
    /// Timestamp units per second (`if_tsresol`).
    units_per_second: u64,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset_s: i64,
}

/// Timestamp units per second for a pcapng `if_tsresol` value: 10^n, or 2^n
/// when the top bit is set (pcapng §4.2). Unrepresentable values fall back to
/// the default, microseconds.
fn units_per_second(tsresol: u8) -> u64 {
    let n = u32::from(tsresol & 0x7f);
    let units = if tsresol & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n)
    };
    units.filter(|u| *u > 0).unwrap_or(1_000_000)
}

/// Nanoseconds for a count of `units` at `units_per_second`.
fn to_nanos(units: u64, units_per_second: u64) -> i128 {
    let per = u128::from(units_per_second.max(1));
    let units = u128::from(units);
    let secs = units / per;
    let frac = (units % per) * 1_000_000_000 / per;
    (secs * 1_000_000_000 + frac) as i128
}

/// Reads every packet of the pcap or pcapng file at `path`, handing each to
/// `each` in file order.
pub fn read_capture(path: &Path, each: impl FnMut(Frame)) -> Result<(), CaptureError> {
    let file = File::open(path).map_err(CaptureError::Io)?;
    read_capture_from(file, each)
}

/// Reads every packet of a pcap or pcapng stream, handing each to `each` in
/// order.
pub fn read_capture_from(
    input: impl Read + Send,
    mut each: impl FnMut(Frame),
) -> Result<(), CaptureError> {
    let mut reader = match create_reader(BUFFER_CAPACITY, input) {
        Ok(r) => r,
        Err(PcapError::Eof | PcapError::HeaderNotRecognized) => {
            return Err(CaptureError::NotACapture);
        }
        Err(PcapError::Incomplete(_) | PcapError::UnexpectedEof) => {
            return Err(CaptureError::Truncated);
        }
        Err(e) => return Err(CaptureError::Malformed(format!("{e:?}"))),
    };
    // Legacy pcap state.
    let mut legacy_linktype = 1;
    let mut legacy_units = 1_000_000u64;
    // pcapng state, per section.
    let mut interfaces: Vec<Interface> = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy_linktype = h.network.0;
                        legacy_units = if h.is_nanosecond_precision() {
                            1_000_000_000
                        } else {
                            1_000_000
                        };
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let frac = to_nanos(u64::from(b.ts_usec), legacy_units);
                        each(Frame {
                            time_ns: i128::from(b.ts_sec) * 1_000_000_000 + frac,
                            linktype: legacy_linktype,
                            data: b.data.to_vec(),
                        });
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => interfaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push(Interface {
                            linktype: idb.linktype.0,
                            units_per_second: units_per_second(idb.if_tsresol),
                            offset_s: idb.if_tsoffset,
                        });
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let iface =
                            interfaces.get(epb.if_id as usize).copied().ok_or_else(|| {
                                CaptureError::Malformed(format!(
                                    "packet on unknown interface {}",
                                    epb.if_id
                                ))
                            })?;
                        let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let caplen = (epb.caplen as usize).min(epb.data.len());
                        each(Frame {
                            time_ns: to_nanos(units, iface.units_per_second)
                                + i128::from(iface.offset_s) * 1_000_000_000,
                            linktype: iface.linktype,
                            data: epb.data.get(..caplen).unwrap_or_default().to_vec(),
                        });
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let iface = interfaces.first().copied().ok_or_else(|| {
                            CaptureError::Malformed("simple packet before any interface".into())
                        })?;
                        let len = (spb.origlen as usize).min(spb.data.len());
                        each(Frame {
                            time_ns: 0,
                            linktype: iface.linktype,
                            data: spb.data.get(..len).unwrap_or_default().to_vec(),
                        });
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => return Ok(()),
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    return Err(CaptureError::Truncated);
                }
                reader
                    .refill()
                    .map_err(|e| CaptureError::Malformed(format!("{e:?}")))?;
            }
            Err(PcapError::UnexpectedEof) => return Err(CaptureError::Truncated),
            Err(e) => return Err(CaptureError::Malformed(format!("{e:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        assert_eq!(units_per_second(6), 1_000_000);
        assert_eq!(units_per_second(9), 1_000_000_000);
        assert_eq!(units_per_second(0x80 | 10), 1024);
        assert_eq!(units_per_second(0x7f), 1_000_000);
        assert_eq!(to_nanos(1_500_000, 1_000_000), 1_500_000_000);
        assert_eq!(to_nanos(1536, 1024), 1_500_000_000);
    }
}
