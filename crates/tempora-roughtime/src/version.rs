//! The Roughtime versions Tempora speaks and everything that differs
//! between them, in one table ([`Params`]), so that a new draft or version
//! is one more row.
//!
//! - [`Version::Rfc`]: RFC 10049 (version 1, RFC 10049 §5 and §12.2); wire
//!   identical to draft-ietf-ntp-roughtime-19 apart from the number.
//! - [`Version::Draft14`]: 0x8000000c, which drafts 12 to 19 all send
//!   (draft-ietf-ntp-roughtime-14 §5), exactly as roughenough
//!   1.3.0-draft14 speaks it: its Merkle tree keeps the full 64-byte
//!   SHA-512 values in the interior and in PATH and truncates only the
//!   root to 32 bytes (the draft's text truncates every node; replies
//!   with either PATH layout are accepted, see [`Params::alt_node_len`]).
//! - [`Version::Google`]: the original protocol of
//!   roughtime.googlesource.com PROTOCOL.md, as roughenough 1.1.8 speaks
//!   it: no framing, no VER, 64-byte nonces and hashes, times in
//!   microseconds, a different delegation context.

use core::fmt;

use crate::tag::Tag;

/// A Roughtime protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// The original Google protocol (no version number on the wire).
    Google,
    /// draft-ietf-ntp-roughtime-14 (wire number 0x8000000c).
    Draft14,
    /// RFC 10049, Roughtime version 1.
    Rfc,
}

/// What the leaves of the Merkle tree hash (RFC 10049 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafInput {
    /// The request's nonce (Google PROTOCOL.md "Merkle tree").
    Nonce,
    /// The whole request packet, "ROUGHTIM" header included (RFC 10049 §5.3).
    Packet,
}

/// Everything that differs between versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// A short name for logs and status.
    pub name: &'static str,
    /// The VER value (RFC 10049 §5.1.1); `None`: the version has no VER.
    pub wire: Option<u32>,
    /// Packets carry the "ROUGHTIM" header and length (RFC 10049 §5).
    pub framed: bool,
    /// NONC length in bytes (RFC 10049 §5.1.2: 32; Google: 64).
    pub nonce_len: usize,
    /// How many bytes of SHA-512 the Merkle tree's nodes keep, which is
    /// also the width of a PATH entry (RFC 10049 §5.3: 32).
    pub node_len: usize,
    /// Another PATH entry width a verifier accepts (draft 14's text, for
    /// servers other than roughenough); `None`: only `node_len`.
    pub alt_node_len: Option<usize>,
    /// How many bytes of the root hash go in ROOT (RFC 10049 §5.2.5: 32).
    pub root_len: usize,
    /// What a Merkle leaf hashes.
    pub leaf: LeafInput,
    /// Prefix of a leaf hash (RFC 10049 §5.3: 0x00).
    pub leaf_tweak: u8,
    /// Prefix of an interior node hash (RFC 10049 §5.3: 0x01).
    pub node_tweak: u8,
    /// Microseconds per unit of MIDP, RADI, MINT and MAXT (RFC 10049 §4.1.4
    /// and §5.2.5: seconds; Google: microseconds).
    pub time_unit_us: u64,
    /// Context of the CERT signature over DELE (RFC 10049 §5.2.6),
    /// terminating zero included.
    pub dele_context: &'static [u8],
    /// Context of the reply's signature over SREP (RFC 10049 §5.2.1),
    /// terminating zero included.
    pub srep_context: &'static [u8],
    /// TYPE in requests (0) and replies (1) (RFC 10049 §5.1.3, §5.2.3).
    pub type_tag: bool,
    /// SREP carries VER and VERS (RFC 10049 §5.2.5).
    pub srep_versions: bool,
    /// The reply carries NONC at its top level (RFC 10049 §5.2.2).
    pub reply_nonce: bool,
    /// The tag that pads a request to its minimum size (RFC 10049 §5.1.5:
    /// ZZZZ; Google: PAD\xff).
    pub pad_tag: Tag,
    /// The SRV tag binds a request to a long-term key (RFC 10049 §5.1.4).
    pub srv: bool,
}

const CONTEXT_SREP: &[u8] = b"RoughTime v1 response signature\0";
const CONTEXT_DELE: &[u8] = b"RoughTime v1 delegation signature\0";
const CONTEXT_DELE_GOOGLE: &[u8] = b"RoughTime v1 delegation signature--\0";

/// The table. Rows in [`Version`]'s order.
const TABLE: [Params; 3] = [
    Params {
        name: "google",
        wire: None,
        framed: false,
        nonce_len: 64,
        node_len: 64,
        alt_node_len: None,
        root_len: 64,
        leaf: LeafInput::Nonce,
        leaf_tweak: 0x00,
        node_tweak: 0x01,
        time_unit_us: 1,
        dele_context: CONTEXT_DELE_GOOGLE,
        srep_context: CONTEXT_SREP,
        type_tag: false,
        srep_versions: false,
        reply_nonce: false,
        pad_tag: Tag::PAD,
        srv: false,
    },
    Params {
        name: "draft-14",
        wire: Some(0x8000_000c),
        framed: true,
        nonce_len: 32,
        node_len: 64,
        alt_node_len: Some(32),
        root_len: 32,
        leaf: LeafInput::Packet,
        leaf_tweak: 0x00,
        node_tweak: 0x01,
        time_unit_us: 1_000_000,
        dele_context: CONTEXT_DELE,
        srep_context: CONTEXT_SREP,
        type_tag: true,
        srep_versions: true,
        reply_nonce: true,
        pad_tag: Tag::ZZZZ,
        srv: true,
    },
    Params {
        name: "rfc10049",
        wire: Some(1),
        framed: true,
        nonce_len: 32,
        node_len: 32,
        alt_node_len: None,
        root_len: 32,
        leaf: LeafInput::Packet,
        leaf_tweak: 0x00,
        node_tweak: 0x01,
        time_unit_us: 1_000_000,
        dele_context: CONTEXT_DELE,
        srep_context: CONTEXT_SREP,
        type_tag: true,
        srep_versions: true,
        reply_nonce: true,
        pad_tag: Tag::ZZZZ,
        srv: true,
    },
];

impl Version {
    /// All versions, oldest first.
    pub const ALL: [Version; 3] = [Version::Google, Version::Draft14, Version::Rfc];

    /// This version's row of the table.
    pub const fn params(self) -> &'static Params {
        &TABLE[self as usize]
    }

    /// The version with VER value `wire`, if Tempora speaks it.
    pub fn from_wire(wire: u32) -> Option<Version> {
        Version::ALL
            .into_iter()
            .find(|v| v.params().wire == Some(wire))
    }

    /// The VER value, `None` for Google.
    pub const fn wire(self) -> Option<u32> {
        self.params().wire
    }

    /// A time in this version's units (MIDP, RADI, MINT, MAXT) as
    /// microseconds, saturating.
    pub const fn to_micros(self, value: u64) -> u64 {
        value.saturating_mul(self.params().time_unit_us)
    }

    /// Microseconds in this version's units, rounded down.
    pub const fn from_micros(self, micros: u64) -> u64 {
        micros / self.params().time_unit_us
    }

    /// Microseconds in this version's units, rounded to the nearest (halves
    /// up): the MIDP a server sends, off the true time by at most half a
    /// unit (RFC 10049 §5.2.5 then asks RADI to cover that error too).
    pub const fn from_micros_round(self, micros: u64) -> u64 {
        let unit = self.params().time_unit_us;
        micros / unit + (micros % unit >= unit.div_ceil(2)) as u64
    }

    /// Microseconds in this version's units, rounded up (radii: never
    /// claim more accuracy than there is).
    pub const fn from_micros_ceil(self, micros: u64) -> u64 {
        micros.div_ceil(self.params().time_unit_us)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.params().name)
    }
}

/// A set of versions (e.g. those a server answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VersionSet(u8);

impl VersionSet {
    /// Every version.
    pub const ALL: VersionSet = VersionSet(0b111);

    /// The empty set.
    pub const fn empty() -> Self {
        VersionSet(0)
    }

    /// This set with `v` added.
    pub const fn with(self, v: Version) -> Self {
        VersionSet(self.0 | 1 << v as u8)
    }

    /// Whether `v` is in the set.
    pub const fn contains(self, v: Version) -> bool {
        self.0 & (1 << v as u8) != 0
    }

    /// The VER values of the set's versions, ascending (VERS, RFC 10049
    /// §5.2.5).
    pub fn wire_values(self) -> impl Iterator<Item = u32> {
        let mut values = [0u32; 3];
        let mut n = 0;
        for v in Version::ALL {
            if let (true, Some(w)) = (self.contains(v), v.wire()) {
                values[n] = w;
                n += 1;
            }
        }
        values[..n].sort_unstable();
        values.into_iter().take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_enum_order() {
        assert_eq!(Version::Google.params().name, "google");
        assert_eq!(Version::Draft14.params().name, "draft-14");
        assert_eq!(Version::Rfc.params().name, "rfc10049");
    }

    #[test]
    fn wire_numbers() {
        assert_eq!(Version::from_wire(1), Some(Version::Rfc));
        assert_eq!(Version::from_wire(0x8000_000c), Some(Version::Draft14));
        assert_eq!(Version::from_wire(0), None);
        assert_eq!(Version::from_wire(0x8000_000b), None);
    }

    #[test]
    fn units() {
        assert_eq!(Version::Rfc.to_micros(5), 5_000_000);
        assert_eq!(Version::Google.to_micros(5), 5);
        assert_eq!(Version::Rfc.from_micros_ceil(1_000_001), 2);
        assert_eq!(Version::Rfc.from_micros(1_999_999), 1);
        assert_eq!(Version::Rfc.from_micros_round(1_499_999), 1);
        assert_eq!(Version::Rfc.from_micros_round(1_500_000), 2);
        assert_eq!(Version::Draft14.from_micros_round(1_999_999), 2);
        assert_eq!(Version::Google.from_micros_round(1_999_999), 1_999_999);
        assert_eq!(
            Version::Rfc.from_micros_round(u64::MAX),
            u64::MAX / 1_000_000 + 1
        );
    }

    #[test]
    fn version_set_wire_values_ascending() {
        let all: alloc::vec::Vec<u32> = VersionSet::ALL.wire_values().collect();
        assert_eq!(all, [1, 0x8000_000c]);
        let one = VersionSet::empty().with(Version::Draft14);
        assert!(one.contains(Version::Draft14) && !one.contains(Version::Rfc));
        assert_eq!(one.wire_values().count(), 1);
    }
}
