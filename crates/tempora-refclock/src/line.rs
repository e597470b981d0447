//! Lines out of a byte stream that arrives in pieces (serial reads, TCP
//! reads): NMEA 0183 sentences end in CR LF (NMEA 0183 §5.3), gpsd's JSON
//! reports in LF or CR LF (`gpsd_json(5)`). A line longer than the bound is
//! dropped whole, so that one runaway line cannot grow the buffer.

use alloc::vec::Vec;

/// What the assembler hands out for each line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// A complete line without its CR LF / LF.
    Complete(&'a [u8]),
    /// A line longer than the bound was seen and dropped up to its end.
    TooLong,
}

/// Splits a byte stream into lines of at most `max` bytes.
#[derive(Debug, Clone)]
pub struct LineAssembler {
    buf: Vec<u8>,
    max: usize,
    discarding: bool,
}

impl LineAssembler {
    /// An assembler that keeps lines of at most `max` bytes (not counting
    /// the line end).
    pub fn new(max: usize) -> Self {
        LineAssembler {
            buf: Vec::new(),
            max,
            discarding: false,
        }
    }

    /// Feeds the next piece of the stream; calls `out` for every line it
    /// completes, in order. A partial line is kept for the next call.
    pub fn push(&mut self, data: &[u8], mut out: impl FnMut(Line<'_>)) {
        for &b in data {
            if b == b'\n' {
                if self.discarding {
                    out(Line::TooLong);
                } else {
                    let line = match self.buf.split_last() {
                        Some((b'\r', rest)) => rest,
                        _ => &self.buf[..],
                    };
                    out(Line::Complete(line));
                }
                self.buf.clear();
                self.discarding = false;
            } else if self.discarding {
                // Skip to the end of the overlong line.
            } else if self.buf.len() < self.max || (self.buf.len() == self.max && b == b'\r') {
                // The CR of a CR LF may follow a line of exactly `max` bytes.
                self.buf.push(b);
            } else {
                self.buf.clear();
                self.discarding = true;
            }
        }
    }

    /// Bytes of the partial line held.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Forgets any partial line (after a reconnect or a reopened device).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.discarding = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;

    fn collect(a: &mut LineAssembler, data: &[u8]) -> Vec<Option<String>> {
        let mut v = vec![];
        a.push(data, |l| {
            v.push(match l {
                Line::Complete(b) => Some(String::from_utf8(b.to_vec()).unwrap()),
                Line::TooLong => None,
            })
        });
        v
    }

    #[test]
    fn pieces_make_lines() {
        let mut a = LineAssembler::new(82);
        assert!(collect(&mut a, b"$GPZDA,12").is_empty());
        assert_eq!(a.pending(), 9);
        let v = collect(&mut a, b"3456*00\r\n$GP");
        assert_eq!(v, vec![Some("$GPZDA,123456*00".into())]);
        let v = collect(&mut a, b"X\n\n");
        assert_eq!(v, vec![Some("$GPX".into()), Some(String::new())]);
    }

    #[test]
    fn overlong_lines_are_dropped_whole() {
        let mut a = LineAssembler::new(4);
        assert_eq!(collect(&mut a, b"abcd\r\n"), vec![Some("abcd".into())]);
        assert_eq!(collect(&mut a, b"abcde"), vec![]);
        assert_eq!(a.pending(), 0);
        assert_eq!(collect(&mut a, b"fgh\nok\n"), vec![None, Some("ok".into())]);
        // A line over the bound by more than the CR is dropped too.
        assert_eq!(collect(&mut a, b"abcdef\r\n"), vec![None]);
        a.push(b"partial", |_| {});
        a.reset();
        assert_eq!(collect(&mut a, b"x\n"), vec![Some("x".into())]);
    }
}
