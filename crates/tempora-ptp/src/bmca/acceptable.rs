//! The acceptable master table (IEEE 1588-2019 §17.6): an optional list of
//! the only ports whose Announce messages a port may use.

use crate::wire::PortIdentity;

/// One entry of the acceptable master table (IEEE 1588-2019 §17.6.3,
/// `AcceptableMaster`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AcceptableMaster {
    /// `acceptablePortIdentity`: the `sourcePortIdentity` of an acceptable
    /// master. As an extension, port number 0xFFFF (the all-ports value of
    /// §7.5.2.3) accepts every port of that clock.
    pub port_identity: PortIdentity,
    /// `alternatePriority1` (§17.6.5): when not 0, it replaces the
    /// `grandmasterPriority1` of this master's Announce messages in the BMCA.
    pub alternate_priority1: u8,
}

impl AcceptableMaster {
    /// Whether this entry accepts Announce messages from `source`.
    pub fn matches(&self, source: &PortIdentity) -> bool {
        self.port_identity.clock_identity == source.clock_identity
            && (self.port_identity.port_number == source.port_number
                || self.port_identity.port_number == PortIdentity::ALL.port_number)
    }
}

/// The table is full (IEEE 1588-2019 §17.6.2, `maxTableSize`; here
/// [`AcceptableMasterTable::CAPACITY`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableFull;

/// The acceptable master table (IEEE 1588-2019 §17.6, `acceptableMasterTableDS`)
/// with the port's `acceptableMasterTableEnabled` switch (§17.6.4): when
/// enabled, Announce messages from masters not in the table are not
/// qualified (§9.3.2.5). Fixed capacity, no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptableMasterTable {
    entries: [AcceptableMaster; AcceptableMasterTable::CAPACITY],
    len: usize,
    /// `acceptableMasterTableEnabled` (§17.6.4): when false every master is
    /// acceptable.
    pub enabled: bool,
}

impl Default for AcceptableMasterTable {
    fn default() -> Self {
        Self::new()
    }
}

impl AcceptableMasterTable {
    /// The most entries the table holds (`maxTableSize`, §17.6.2).
    pub const CAPACITY: usize = 16;

    /// An empty, disabled table.
    pub const fn new() -> Self {
        AcceptableMasterTable {
            entries: [AcceptableMaster {
                port_identity: PortIdentity {
                    clock_identity: crate::wire::ClockIdentity([0; 8]),
                    port_number: 0,
                },
                alternate_priority1: 0,
            }; AcceptableMasterTable::CAPACITY],
            len: 0,
            enabled: false,
        }
    }

    /// The entries (`acceptableMasterTable`, §17.6.2).
    pub fn entries(&self) -> &[AcceptableMaster] {
        self.entries.get(..self.len).unwrap_or(&[])
    }

    /// The number of entries.
    pub fn len_entries(&self) -> usize {
        self.len
    }

    /// Adds an entry, or replaces the one with the same port identity.
    pub fn insert(&mut self, entry: AcceptableMaster) -> Result<(), TableFull> {
        let len = self.len;
        if let Some(existing) = self
            .entries
            .iter_mut()
            .take(len)
            .find(|e| e.port_identity == entry.port_identity)
        {
            *existing = entry;
            return Ok(());
        }
        let slot = self.entries.get_mut(len).ok_or(TableFull)?;
        *slot = entry;
        self.len = len + 1;
        Ok(())
    }

    /// Removes the entry with this port identity; whether there was one.
    pub fn remove(&mut self, port_identity: &PortIdentity) -> bool {
        let len = self.len;
        let Some(pos) = self
            .entries()
            .iter()
            .position(|e| e.port_identity == *port_identity)
        else {
            return false;
        };
        if let Some(tail) = self.entries.get_mut(pos..len) {
            tail.rotate_left(1);
        }
        self.len = len.saturating_sub(1);
        true
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The first entry accepting `source`, if any.
    pub fn lookup(&self, source: &PortIdentity) -> Option<&AcceptableMaster> {
        self.entries().iter().find(|e| e.matches(source))
    }

    /// Whether Announce messages from `source` may be qualified (§17.6.4):
    /// always when the table is disabled, otherwise when an entry matches.
    pub fn is_acceptable(&self, source: &PortIdentity) -> bool {
        !self.enabled || self.lookup(source).is_some()
    }

    /// The `alternatePriority1` to use instead of the Announce's
    /// `grandmasterPriority1` (§17.6.5): only when the table is enabled and
    /// the matching entry's value is not 0.
    pub fn alternate_priority1(&self, source: &PortIdentity) -> Option<u8> {
        if !self.enabled {
            return None;
        }
        self.lookup(source)
            .map(|e| e.alternate_priority1)
            .filter(|&p| p != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bmca::compare::tests::port;

    fn entry(clock: u8, number: u16, alt: u8) -> AcceptableMaster {
        AcceptableMaster {
            port_identity: port(clock, number),
            alternate_priority1: alt,
        }
    }

    #[test]
    fn bmca_acceptable_table() {
        let mut t = AcceptableMasterTable::new();
        // Disabled: everyone is acceptable, no priority override.
        assert!(t.is_acceptable(&port(1, 1)));
        t.insert(entry(1, 1, 5)).unwrap();
        assert_eq!(t.alternate_priority1(&port(1, 1)), None);
        t.enabled = true;
        assert!(t.is_acceptable(&port(1, 1)));
        assert!(!t.is_acceptable(&port(1, 2)));
        assert!(!t.is_acceptable(&port(2, 1)));
        assert_eq!(t.alternate_priority1(&port(1, 1)), Some(5));
        // Replace the same identity; 0 means no override.
        t.insert(entry(1, 1, 0)).unwrap();
        assert_eq!(t.entries().len(), 1);
        assert_eq!(t.alternate_priority1(&port(1, 1)), None);
        // All-ports wildcard.
        t.insert(entry(2, 0xffff, 0)).unwrap();
        assert!(t.is_acceptable(&port(2, 7)));
        assert!(t.remove(&port(1, 1)));
        assert!(!t.remove(&port(1, 1)));
        assert!(!t.is_acceptable(&port(1, 1)));
        assert_eq!(t.entries(), &[entry(2, 0xffff, 0)]);
        t.clear();
        assert!(t.entries().is_empty());
        assert!(!t.is_acceptable(&port(2, 7)));
    }

    #[test]
    fn bmca_acceptable_table_capacity() {
        let mut t = AcceptableMasterTable::default();
        for n in 0..AcceptableMasterTable::CAPACITY {
            t.insert(entry(1, n as u16, 0)).unwrap();
        }
        assert_eq!(t.insert(entry(2, 0, 0)), Err(TableFull));
        // Replacing still works when full.
        assert_eq!(t.insert(entry(1, 0, 9)), Ok(()));
        assert!(t.remove(&port(1, 3)));
        assert_eq!(t.entries().len(), AcceptableMasterTable::CAPACITY - 1);
        assert!(t.entries().iter().all(|e| e.port_identity != port(1, 3)));
        assert_eq!(t.insert(entry(2, 0, 0)), Ok(()));
    }
}
