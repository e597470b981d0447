//! NTPv5 timing loops (draft-ietf-ntp-ntpv5, "Reference IDs Request and
//! Response Extension Fields"): this daemon's own 120-bit reference ID,
//! random at start; the Bloom filter its NTP server hands out (the union
//! of the filters of the NTPv5 sources in use, the IDs standing for the
//! NTPv4 sources in use, and its own ID, as the draft asks); and the client's test: a source whose
//! filter holds our own ID takes its time from us.

use std::sync::{Arc, RwLock};

use tempora_ntp::v5::{BloomFilter, RefId120};

/// Our reference ID and the filter the server serves, shared by the
/// client (which updates it) and the server (and its workers).
#[derive(Debug, Clone)]
pub struct LoopGuard {
    own: RefId120,
    served: Arc<RwLock<BloomFilter>>,
}

impl LoopGuard {
    /// A guard with the reference ID `own`; until the first update the
    /// served filter holds `own` only.
    pub fn new(own: RefId120) -> Self {
        let mut f = BloomFilter::EMPTY;
        f.insert(&own);
        LoopGuard {
            own,
            served: Arc::new(RwLock::new(f)),
        }
    }

    /// A guard with a random reference ID.
    pub fn random() -> Self {
        LoopGuard::new(RefId120(rand::random()))
    }

    /// Our reference ID.
    pub fn own(&self) -> RefId120 {
        self.own
    }

    /// Whether a source whose Bloom filter is `filter` is in a timing loop
    /// with us (the filter holds our ID).
    pub fn is_loop(&self, filter: &BloomFilter) -> bool {
        filter.contains(&self.own)
    }

    /// Sets the served filter to the union of `upstream` (the filters of
    /// the NTPv5 sources in use), `ids` (the IDs standing for the NTPv4
    /// sources in use, [`RefId120::from_address`]) and our own ID.
    pub fn update<'a>(
        &self,
        upstream: impl IntoIterator<Item = &'a BloomFilter>,
        ids: impl IntoIterator<Item = RefId120>,
    ) {
        let mut f = BloomFilter::EMPTY;
        for u in upstream {
            f.union(u);
        }
        for id in ids {
            f.insert(&id);
        }
        f.insert(&self.own);
        let mut served = self
            .served
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *served = f;
    }

    /// A copy of the served filter.
    pub fn served(&self) -> BloomFilter {
        self.served
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_filter_is_the_upstream_union_and_our_id() {
        let guard = LoopGuard::new(RefId120([7; 15]));
        assert!(guard.served().contains(&guard.own()));
        let a = RefId120(core::array::from_fn(|i| i as u8 * 3 + 1));
        let b = RefId120(core::array::from_fn(|i| 200 - i as u8 * 5));
        let (mut fa, mut fb) = (BloomFilter::EMPTY, BloomFilter::EMPTY);
        fa.insert(&a);
        fb.insert(&b);
        let v4 = RefId120::from_address("192.0.2.4".parse().unwrap());
        guard.update([&fa, &fb], [v4]);
        let served = guard.served();
        assert!(served.contains(&a) && served.contains(&b) && served.contains(&guard.own()));
        assert!(served.contains(&v4));
        // A clone shares the filter (the server's copy).
        let server = guard.clone();
        guard.update([&fa], []);
        assert!(!server.served().contains(&b));
        // The client's test.
        assert!(!guard.is_loop(&fa));
        assert!(guard.is_loop(&served));
    }
}
