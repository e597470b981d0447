//! A server's Bloom filter as a client assembles it, one chunk per poll
//! (draft-ietf-ntp-ntpv5, "Reference IDs Request and Response Extension
//! Fields"), and the loop check it allows: our own reference ID in a
//! server's filter means the server gets its time from us, directly or
//! not, and must not be selected.

use super::{BLOOM_BYTES, BloomFilter, RefId120};

/// Why a chunk was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkError {
    /// Not the chunk last asked for (offset), or none was asked for.
    Unexpected,
    /// Not of the length asked for.
    WrongLength,
}

/// The filter being assembled: the chunks of the last full pass, and
/// which chunk to ask for next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFilter {
    filter: BloomFilter,
    chunk_len: u16,
    next: u16,
    asked: Option<u16>,
    complete: bool,
}

impl RemoteFilter {
    /// Assembles in chunks of `chunk_len` octets: `None` unless it is a
    /// multiple of 4 from 4 to 512 that divides 512 (so that requests have
    /// a constant length, as the draft recommends).
    pub fn new(chunk_len: u16) -> Option<Self> {
        let ok = chunk_len >= 4
            && usize::from(chunk_len) <= BLOOM_BYTES
            && chunk_len % 4 == 0
            && BLOOM_BYTES % usize::from(chunk_len) == 0;
        ok.then_some(RemoteFilter {
            filter: BloomFilter::EMPTY,
            chunk_len,
            next: 0,
            asked: None,
            complete: false,
        })
    }

    /// The chunk to ask for in the next request: (offset, length).
    pub fn next_chunk(&mut self) -> (u16, u16) {
        self.asked = Some(self.next);
        (self.next, self.chunk_len)
    }

    /// Takes the chunk answered at `offset`. After the last chunk the
    /// filter is complete; later passes refresh it chunk by chunk.
    pub fn accept(&mut self, offset: u16, chunk: &[u8]) -> Result<(), ChunkError> {
        if self.asked != Some(offset) {
            return Err(ChunkError::Unexpected);
        }
        if chunk.len() != usize::from(self.chunk_len) {
            return Err(ChunkError::WrongLength);
        }
        let start = usize::from(offset);
        let dst = self
            .filter
            .0
            .get_mut(start..start + chunk.len())
            .ok_or(ChunkError::Unexpected)?;
        dst.copy_from_slice(chunk);
        self.asked = None;
        let end = offset.saturating_add(self.chunk_len);
        if usize::from(end) >= BLOOM_BYTES {
            self.complete = true;
            self.next = 0;
        } else {
            self.next = end;
        }
        Ok(())
    }

    /// The filter, once every chunk has arrived at least once.
    pub fn full(&self) -> Option<&BloomFilter> {
        self.complete.then_some(&self.filter)
    }

    /// Whether the server's filter holds `own` (a timing loop); `None`
    /// until the filter is complete.
    pub fn is_loop(&self, own: &RefId120) -> Option<bool> {
        self.full().map(|f| f.contains(own))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes() {
        assert!(RemoteFilter::new(0).is_none());
        assert!(RemoteFilter::new(6).is_none());
        assert!(RemoteFilter::new(12).is_none()); // does not divide 512
        assert!(RemoteFilter::new(516).is_none());
        assert!(RemoteFilter::new(4).is_some());
        assert!(RemoteFilter::new(512).is_some());
    }

    #[test]
    fn assembles_over_polls_and_detects_a_loop() {
        let own = RefId120([7; 15]);
        let mut server = BloomFilter::EMPTY;
        server.insert(&RefId120([9; 15]));
        server.insert(&own);
        let mut f = RemoteFilter::new(128).unwrap();
        for i in 0..4u16 {
            assert_eq!(f.is_loop(&own), None);
            let (off, len) = f.next_chunk();
            assert_eq!((off, len), (i * 128, 128));
            let r = usize::from(off)..usize::from(off + len);
            f.accept(off, &server.0[r]).unwrap();
        }
        assert_eq!(f.is_loop(&own), Some(true));
        assert_eq!(f.is_loop(&RefId120([1; 15])), Some(false));
        assert_eq!(f.next_chunk(), (0, 128));
    }

    #[test]
    fn wrong_chunks_are_refused() {
        let mut f = RemoteFilter::new(16).unwrap();
        assert_eq!(f.accept(0, &[0; 16]), Err(ChunkError::Unexpected));
        let (off, _) = f.next_chunk();
        assert_eq!(f.accept(off, &[0; 15]), Err(ChunkError::WrongLength));
        assert_eq!(f.accept(16, &[0; 16]), Err(ChunkError::Unexpected));
        assert_eq!(f.accept(off, &[0; 16]), Ok(()));
        // Answered once only.
        assert_eq!(f.accept(off, &[0; 16]), Err(ChunkError::Unexpected));
    }
}
