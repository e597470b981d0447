//! A small deterministic pseudo-random generator (xorshift64*), seeded by the
//! caller: the engine needs randomness for timeouts and intervals
//! (§9.2.6.12, §9.5.11.2) but must not read any entropy source itself.

/// A xorshift64* generator.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        // A zero state would stay zero.
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A uniform fraction in [0, 1) with 32 bits of resolution, as
    /// numerator over 2^32.
    pub(crate) fn fraction(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}
