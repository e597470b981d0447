//! The reference-ID Bloom filter (draft-ietf-ntp-ntpv5, "Reference IDs
//! Request and Response Extension Fields"): 4096 bits; a 120-bit reference
//! ID sets the 10 bits whose positions are its 10 12-bit parts. A filter
//! holding all 10 bits of an ID probably contains it; one missing any
//! certainly does not.
//!
//! Bit `p` is bit `p % 8` (least significant first) of octet `p / 8`, and
//! the 12-bit parts are read most significant first, as ntpd-rs does.
//! NTPv4 sources and reference clocks stand in the filter by the MD5-based
//! IDs the draft defines ([`RefId120::from_address`],
//! [`RefId120::from_refclock`]).

/// Octets in the filter.
pub const BLOOM_BYTES: usize = 512;

/// A 120-bit NTPv5 reference ID (a server's own, random; or derived from
/// an NTPv4 source as the draft describes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RefId120(pub [u8; 15]);

impl RefId120 {
    /// The ID standing for an NTPv4 (or older) source: the first 120 bits
    /// of the MD5 sum of its address in network order.
    pub fn from_address(ip: core::net::IpAddr) -> Self {
        match ip {
            core::net::IpAddr::V4(a) => Self::md5(&a.octets()),
            core::net::IpAddr::V6(a) => Self::md5(&a.octets()),
        }
    }

    /// The ID standing for a reference clock: the first 120 bits of the
    /// MD5 sum of its 4-octet zero-padded ASCII code ("GPS\0", "PPS\0",
    /// or an "X…" private code).
    pub fn from_refclock(code: [u8; 4]) -> Self {
        Self::md5(&code)
    }

    fn md5(data: &[u8]) -> Self {
        use md5::Digest as _;
        let sum: [u8; 16] = md5::Md5::digest(data).into();
        RefId120(core::array::from_fn(|i| sum[i]))
    }

    /// The 10 bit positions (0..4096) the ID sets.
    pub fn positions(&self) -> [u16; 10] {
        core::array::from_fn(|i| {
            let bit = i * 12;
            let (byte, shift) = (bit / 8, bit % 8);
            let hi = u16::from(self.0[byte]);
            let lo = u16::from(self.0.get(byte + 1).copied().unwrap_or(0));
            let two = (hi << 8) | lo;
            if shift == 0 { two >> 4 } else { two & 0x0fff }
        })
    }
}

/// The 512-octet Bloom filter.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BloomFilter(pub [u8; BLOOM_BYTES]);

impl core::fmt::Debug for BloomFilter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "BloomFilter({} bits set)", self.count_ones())
    }
}

impl Default for BloomFilter {
    fn default() -> Self {
        BloomFilter::EMPTY
    }
}

impl BloomFilter {
    /// The empty filter.
    pub const EMPTY: BloomFilter = BloomFilter([0; BLOOM_BYTES]);

    /// Adds an ID.
    pub fn insert(&mut self, id: &RefId120) {
        for p in id.positions() {
            let p = usize::from(p);
            self.0[p / 8] |= 1 << (p % 8);
        }
    }

    /// Whether all the ID's bits are set (a probable member).
    pub fn contains(&self, id: &RefId120) -> bool {
        id.positions().iter().all(|&p| {
            let p = usize::from(p);
            self.0[p / 8] & (1 << (p % 8)) != 0
        })
    }

    /// Adds every ID of `other` (bitwise OR).
    pub fn union(&mut self, other: &BloomFilter) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a |= b;
        }
    }

    /// Number of bits set.
    pub fn count_ones(&self) -> u32 {
        self.0.iter().map(|b| b.count_ones()).sum()
    }

    /// The octets in `range`, or `None` when it is not inside the filter.
    pub fn chunk(&self, range: core::ops::Range<usize>) -> Option<&[u8]> {
        self.0.get(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_twelve_bit_parts() {
        let mut id = [0u8; 15];
        id[0] = 0xAB;
        id[1] = 0xCD;
        id[2] = 0xEF;
        id[14] = 0x21;
        let p = RefId120(id).positions();
        assert_eq!(&p[..3], &[0xABC, 0xDEF, 0]);
        assert_eq!(p[9], 0x021);
    }

    #[test]
    fn md5_ids() {
        // md5sum of the 4 octets "GPS\0": 9e887a87…; of 192.0.2.1
        // (c0 00 02 01): b201f143….
        let gps = RefId120::from_refclock(*b"GPS\0");
        assert_eq!(gps.0[..4], [0x9e, 0x88, 0x7a, 0x87]);
        let v4 = RefId120::from_address("192.0.2.1".parse().unwrap());
        assert_eq!(v4.0[..4], [0xb2, 0x01, 0xf1, 0x43]);
        assert_ne!(
            v4,
            RefId120::from_address("::ffff:192.0.2.1".parse().unwrap())
        );
    }

    #[test]
    fn insert_contains_union() {
        let a = RefId120([1; 15]);
        let b = RefId120(core::array::from_fn(|i| i as u8 * 17));
        let mut f = BloomFilter::EMPTY;
        assert!(!f.contains(&a));
        f.insert(&a);
        assert!(f.contains(&a) && !f.contains(&b));
        let mut g = BloomFilter::EMPTY;
        g.insert(&b);
        g.union(&f);
        assert!(g.contains(&a) && g.contains(&b));
        // [1; 15] repeats 0x010, 0x101: two distinct bits.
        assert_eq!(f.count_ones(), 2);
        assert_eq!(f.0[0x10 / 8], 1 << (0x10 % 8));
        assert!(f.chunk(500..513).is_none());
        assert_eq!(f.chunk(0..4).map(<[u8]>::len), Some(4));
    }
}
