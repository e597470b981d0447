//! Server Information extension field (draft-ietf-ntp-ntpv5, "Server
//! Information Extension Field"): 8 octets, a 16-bit mask of the NTP
//! versions the server answers (bit 0 = version 1 … bit 15 = version 16)
//! and 16 reserved bits. All zero in requests.

use crate::wire::Error;

/// The data of a Server Information field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ServerInfo {
    /// Supported versions: bit `v - 1` set for version `v`.
    pub versions: u16,
    /// Reserved, kept for an exact round trip (zero when sent).
    pub reserved: u16,
}

/// Length of the field's data.
pub const SERVER_INFO_DATA_LEN: usize = 4;

impl ServerInfo {
    /// A field announcing `versions` (each 1..=16; others are ignored).
    pub fn with_versions(versions: &[u8]) -> Self {
        let mask = versions
            .iter()
            .filter(|&&v| (1..=16).contains(&v))
            .fold(0u16, |m, &v| m | (1 << (v - 1)));
        ServerInfo {
            versions: mask,
            reserved: 0,
        }
    }

    /// Whether version `v` is announced.
    pub fn supports(&self, v: u8) -> bool {
        (1..=16).contains(&v) && self.versions & (1 << (v - 1)) != 0
    }

    /// Reads the field's data. Errors: [`Error::BadValue`] unless it is 4
    /// octets.
    pub fn decode(data: &[u8]) -> Result<Self, Error> {
        let [a, b, c, d] = *data else {
            return Err(Error::BadValue {
                field: "server information length",
            });
        };
        Ok(ServerInfo {
            versions: u16::from_be_bytes([a, b]),
            reserved: u16::from_be_bytes([c, d]),
        })
    }

    /// The field's 4 data octets.
    pub fn to_bytes(&self) -> [u8; SERVER_INFO_DATA_LEN] {
        let [a, b] = self.versions.to_be_bytes();
        let [c, d] = self.reserved.to_be_bytes();
        [a, b, c, d]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_bits() {
        let info = ServerInfo::with_versions(&[3, 4, 5, 0, 17]);
        assert_eq!(info.versions, 0b1_1100);
        assert!(info.supports(5) && info.supports(3) && !info.supports(2));
        assert!(!info.supports(0) && !info.supports(17));
        assert_eq!(ServerInfo::decode(&info.to_bytes()), Ok(info));
        assert!(ServerInfo::decode(&[0; 5]).is_err());
    }
}
