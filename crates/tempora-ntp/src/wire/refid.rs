//! Reference identifier and kiss codes (RFC 5905 §7.3 "Reference ID" and
//! §7.4, Figure 12 and Figure 13; RFC 8915 §5.7 for `NTSN`).

use core::fmt;
use core::net::Ipv4Addr;

/// The 32-bit reference identifier of the header (RFC 5905 §7.3).
///
/// Its meaning depends on the stratum: a kiss code at stratum 0
/// (RFC 5905 §7.4), a left-justified zero-padded ASCII source name at
/// stratum 1 (Figure 12), and at stratum 2 and above the IPv4 address of the
/// upstream server, or the first four octets of the MD5 hash of its IPv6
/// address (which cannot be told apart from an IPv4 address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ReferenceId(pub [u8; 4]);

impl ReferenceId {
    /// Builds a reference ID from its 32-bit big-endian value.
    pub const fn from_u32(v: u32) -> Self {
        ReferenceId(v.to_be_bytes())
    }

    /// The 32-bit big-endian value.
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes(self.0)
    }

    /// The four raw octets.
    pub const fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }

    /// Reads the octets as a kiss code (RFC 5905 §7.4); meaningful when
    /// the stratum is 0.
    pub const fn kiss_code(self) -> KissCode {
        KissCode::from_bytes(self.0)
    }

    /// Reads the octets as a printable ASCII source name with trailing NUL
    /// padding removed (RFC 5905 §7.3, Figure 12); meaningful at stratum 0
    /// and 1. `None` when any other octet is not printable ASCII.
    pub fn ascii(&self) -> Option<&str> {
        let len = self
            .0
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i.saturating_add(1));
        let text = self.0.get(..len)?;
        if text.iter().all(|&b| (0x20..0x7f).contains(&b)) {
            core::str::from_utf8(text).ok()
        } else {
            None
        }
    }

    /// Reads the octets as an IPv4 address; meaningful at stratum 2 and
    /// above (RFC 5905 §7.3).
    pub const fn ipv4(self) -> Ipv4Addr {
        let [a, b, c, d] = self.0;
        Ipv4Addr::new(a, b, c, d)
    }

    /// Builds the reference ID for an IPv4 upstream server.
    pub const fn from_ipv4(addr: Ipv4Addr) -> Self {
        ReferenceId(addr.octets())
    }

    /// The reference ID a server announces for its upstream server at
    /// `addr` (RFC 5905 §7.3): the IPv4 address itself, or the first four
    /// octets of the MD5 hash of the IPv6 address.
    pub fn of_upstream(addr: core::net::IpAddr) -> Self {
        use md5::Digest as _;
        match addr {
            core::net::IpAddr::V4(a) => ReferenceId(a.octets()),
            core::net::IpAddr::V6(a) => {
                let sum: [u8; 16] = md5::Md5::digest(a.octets()).into();
                ReferenceId([sum[0], sum[1], sum[2], sum[3]])
            }
        }
    }

    /// Interprets the octets according to `stratum` (RFC 5905 §7.3).
    pub const fn interpret(self, stratum: u8) -> ReferenceIdKind {
        match stratum {
            0 => ReferenceIdKind::Kiss(self.kiss_code()),
            1 => ReferenceIdKind::Source(self),
            _ => ReferenceIdKind::Upstream(self.ipv4()),
        }
    }
}

impl From<KissCode> for ReferenceId {
    fn from(code: KissCode) -> Self {
        ReferenceId(code.to_bytes())
    }
}

impl fmt::Display for ReferenceId {
    /// Without the stratum the meaning is unknown: shows printable ASCII
    /// as text and anything else as a dotted quad. Use
    /// [`ReferenceId::interpret`] for a stratum-aware display.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ascii() {
            Some(text) if !text.is_empty() => f.write_str(text),
            _ => fmt::Display::fmt(&self.ipv4(), f),
        }
    }
}

/// A reference ID interpreted with the stratum (RFC 5905 §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceIdKind {
    /// Stratum 0: a kiss code (RFC 5905 §7.4).
    Kiss(KissCode),
    /// Stratum 1: the reference source, normally ASCII such as `GPS` or
    /// `PPS` (see [`ReferenceId::ascii`]).
    Source(ReferenceId),
    /// Stratum 2 and above: the upstream server's IPv4 address, or a hash
    /// of its IPv6 address.
    Upstream(Ipv4Addr),
}

impl fmt::Display for ReferenceIdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReferenceIdKind::Kiss(code) => write!(f, "kiss {code}"),
            ReferenceIdKind::Source(id) => match id.ascii() {
                Some(text) => f.write_str(text),
                None => write!(f, "{:#010x}", id.to_u32()),
            },
            ReferenceIdKind::Upstream(addr) => fmt::Display::fmt(addr, f),
        }
    }
}

/// Kiss-o'-Death codes carried in the reference ID of stratum-0 packets
/// (RFC 5905 §7.4, Figure 13; `NTSN` from RFC 8915 §5.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KissCode {
    /// `ACST`: the association belongs to a unicast server.
    Acst,
    /// `AUTH`: server authentication failed.
    Auth,
    /// `AUTO`: Autokey sequence failed.
    Auto,
    /// `BCST`: the association belongs to a broadcast server.
    Bcst,
    /// `CRYP`: cryptographic authentication or identification failed.
    Cryp,
    /// `DENY`: access denied by remote server.
    Deny,
    /// `DROP`: lost peer in symmetric mode.
    Drop,
    /// `RSTR`: access denied due to local policy.
    Rstr,
    /// `INIT`: the association has not yet synchronized for the first time.
    Init,
    /// `MCST`: the association belongs to a dynamically discovered server.
    Mcst,
    /// `NKEY`: no key found.
    Nkey,
    /// `NTSN`: NTS negative acknowledgment (RFC 8915 §5.7).
    Ntsn,
    /// `RATE`: rate exceeded; reduce the polling rate.
    Rate,
    /// `RMOT`: alteration of association from a remote host running ntpdc.
    Rmot,
    /// `STEP`: a step change in system time has occurred.
    Step,
    /// Any other four octets, kept verbatim.
    Other([u8; 4]),
}

impl KissCode {
    /// Decodes four octets.
    pub const fn from_bytes(bytes: [u8; 4]) -> Self {
        match &bytes {
            b"ACST" => KissCode::Acst,
            b"AUTH" => KissCode::Auth,
            b"AUTO" => KissCode::Auto,
            b"BCST" => KissCode::Bcst,
            b"CRYP" => KissCode::Cryp,
            b"DENY" => KissCode::Deny,
            b"DROP" => KissCode::Drop,
            b"RSTR" => KissCode::Rstr,
            b"INIT" => KissCode::Init,
            b"MCST" => KissCode::Mcst,
            b"NKEY" => KissCode::Nkey,
            b"NTSN" => KissCode::Ntsn,
            b"RATE" => KissCode::Rate,
            b"RMOT" => KissCode::Rmot,
            b"STEP" => KissCode::Step,
            _ => KissCode::Other(bytes),
        }
    }

    /// The four wire octets.
    pub const fn to_bytes(self) -> [u8; 4] {
        match self {
            KissCode::Acst => *b"ACST",
            KissCode::Auth => *b"AUTH",
            KissCode::Auto => *b"AUTO",
            KissCode::Bcst => *b"BCST",
            KissCode::Cryp => *b"CRYP",
            KissCode::Deny => *b"DENY",
            KissCode::Drop => *b"DROP",
            KissCode::Rstr => *b"RSTR",
            KissCode::Init => *b"INIT",
            KissCode::Mcst => *b"MCST",
            KissCode::Nkey => *b"NKEY",
            KissCode::Ntsn => *b"NTSN",
            KissCode::Rate => *b"RATE",
            KissCode::Rmot => *b"RMOT",
            KissCode::Step => *b"STEP",
            KissCode::Other(b) => b,
        }
    }
}

impl fmt::Display for KissCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = ReferenceId(self.to_bytes());
        match id.ascii() {
            Some(text) => f.write_str(text),
            None => write!(f, "{:#010x}", id.to_u32()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    #[test]
    fn kiss_codes() {
        let all = [
            "ACST", "AUTH", "AUTO", "BCST", "CRYP", "DENY", "DROP", "RSTR", "INIT", "MCST", "NKEY",
            "NTSN", "RATE", "RMOT", "STEP",
        ];
        for name in all {
            let mut b = [0u8; 4];
            b.copy_from_slice(name.as_bytes());
            let code = ReferenceId(b).kiss_code();
            assert!(!matches!(code, KissCode::Other(_)), "{name}");
            assert_eq!(code.to_bytes(), b);
            assert_eq!(code.to_string(), name);
            assert_eq!(ReferenceId::from(code), ReferenceId(b));
        }
        assert_eq!(ReferenceId(*b"RATE").kiss_code(), KissCode::Rate);
        assert_eq!(ReferenceId(*b"XYZW").kiss_code(), KissCode::Other(*b"XYZW"));
        assert_eq!(KissCode::Other([1, 2, 3, 4]).to_string(), "0x01020304");
        assert_eq!(ReferenceId(*b"DENY").interpret(0).to_string(), "kiss DENY");
    }

    #[test]
    fn ascii_and_ipv4() {
        let gps = ReferenceId(*b"GPS\0");
        assert_eq!(gps.ascii(), Some("GPS"));
        assert_eq!(gps.to_string(), "GPS");
        assert_eq!(gps.interpret(1), ReferenceIdKind::Source(gps));
        assert_eq!(gps.interpret(1).to_string(), "GPS");
        // chrony's local reference 127.127.1.1 as seen in the golden capture.
        let local = ReferenceId([0x7f, 0x7f, 0x01, 0x01]);
        assert_eq!(local.ascii(), None);
        assert_eq!(local.to_string(), "127.127.1.1");
        assert_eq!(local.interpret(2).to_string(), "127.127.1.1");
        assert_eq!(local.ipv4(), Ipv4Addr::new(127, 127, 1, 1));
        assert_eq!(ReferenceId::from_ipv4(local.ipv4()), local);
        assert_eq!(local.to_u32(), 0x7f7f_0101);
        assert_eq!(ReferenceId::from_u32(0x7f7f_0101), local);
        assert_eq!(ReferenceId([0; 4]).ascii(), Some(""));
        assert_eq!(ReferenceId([0; 4]).to_string(), "0.0.0.0");
        assert_eq!(ReferenceId([b'A', 0, b'B', 0]).ascii(), None);
        assert_eq!(local.interpret(1).to_string(), "0x7f7f0101");
    }
}
