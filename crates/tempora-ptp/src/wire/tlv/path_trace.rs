//! PATH_TRACE (IEEE 1588-2019 §16.2.5).

use crate::wire::ClockIdentity;
use crate::wire::cursor::Writer;
use crate::wire::error::{Error, Result};

/// PATH_TRACE (IEEE 1588-2019 §16.2.5, Table 115): the clock identities an
/// Announce message has passed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PathTrace<'a> {
    /// `pathSequence`, eight octets per clock identity.
    path_sequence: &'a [u8],
}

impl<'a> PathTrace<'a> {
    /// A path trace over `path_sequence`, which must be a whole number of
    /// eight-octet identities.
    pub fn new(path_sequence: &'a [u8]) -> Result<Self> {
        if path_sequence.len() % 8 != 0 {
            return Err(Error::ValueOutOfRange);
        }
        Ok(PathTrace { path_sequence })
    }

    /// The clock identities in order.
    pub fn identities(&self) -> impl Iterator<Item = ClockIdentity> + use<'a> {
        self.path_sequence.chunks_exact(8).map(|c| {
            let mut id = [0u8; 8];
            id.copy_from_slice(c);
            ClockIdentity(id)
        })
    }

    /// Length of the value field.
    pub fn value_len(&self) -> usize {
        self.path_sequence.len()
    }

    pub(crate) fn read_value(value: &'a [u8]) -> Result<Self> {
        PathTrace::new(value)
    }

    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        w.bytes(self.path_sequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities() {
        let seq = [
            1, 2, 3, 0xff, 0xfe, 4, 5, 6, 7, 8, 9, 0xff, 0xfe, 10, 11, 12,
        ];
        let p = PathTrace::new(&seq).unwrap();
        let ids: [ClockIdentity; 2] = {
            let mut it = p.identities();
            [it.next().unwrap(), it.next().unwrap()]
        };
        assert_eq!(ids[1], ClockIdentity([7, 8, 9, 0xff, 0xfe, 10, 11, 12]));
        assert!(PathTrace::new(&seq[..9]).is_err());
    }
}
