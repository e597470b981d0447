//! The leap indicator a reference clock reports with its time.

/// A leap second warning, as RFC 5905 §7.3's LI field and the `leap`
/// fields of chrony's SOCK sample and ntpd's SHM segment encode it
/// (0 none, 1 insert, 2 delete, 3 not synchronized).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leap {
    /// No leap second pending (LI 0).
    None,
    /// The last minute of the day has 61 seconds (LI 1).
    Insert,
    /// The last minute of the day has 59 seconds (LI 2).
    Delete,
    /// The source is not synchronized (LI 3, "alarm").
    Unsynchronized,
}

impl Leap {
    /// The leap indicator with wire value `value`, or `None` if outside
    /// 0..=3.
    pub fn from_code(value: i32) -> Option<Leap> {
        match value {
            0 => Some(Leap::None),
            1 => Some(Leap::Insert),
            2 => Some(Leap::Delete),
            3 => Some(Leap::Unsynchronized),
            _ => None,
        }
    }

    /// The wire value (RFC 5905 §7.3).
    pub fn code(self) -> i32 {
        match self {
            Leap::None => 0,
            Leap::Insert => 1,
            Leap::Delete => 2,
            Leap::Unsynchronized => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in 0..4 {
            assert_eq!(Leap::from_code(c).map(Leap::code), Some(c));
        }
        assert_eq!(Leap::from_code(4), None);
        assert_eq!(Leap::from_code(-1), None);
    }
}
