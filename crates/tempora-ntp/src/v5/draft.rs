//! The one table of what differs between the drafts of NTPv5 that real
//! peers speak: the draft identification string (draft-ietf-ntp-ntpv5,
//! "Draft Identification Extension Field"), the experimental extension
//! field type numbers ("Extension Fields" and "IANA Considerations": the
//! `[[TBD]] (draft: 0xF5xx)` values) and the reference timestamp of the
//! NTPv4 upgrade signal ("NTPv5 Negotiation in Previous NTP Versions").
//!
//! Supporting the next draft is one more row in [`TABLE`] and one more
//! [`Draft`] variant.

/// The extension field type numbers of one draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldTypes {
    /// Draft Identification (0xF5FF in -08 and -09).
    pub draft_id: u16,
    /// Padding.
    pub padding: u16,
    /// Message Authentication Code.
    pub mac: u16,
    /// Reference IDs Request.
    pub reference_ids_request: u16,
    /// Reference IDs Response.
    pub reference_ids_response: u16,
    /// Server Information.
    pub server_information: u16,
    /// Correction.
    pub correction: u16,
    /// Reference Timestamp.
    pub reference_timestamp: u16,
    /// Monotonic Receive Timestamp.
    pub monotonic_receive_timestamp: u16,
    /// Secondary Receive Timestamp.
    pub secondary_receive_timestamp: u16,
}

/// Everything that differs between drafts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DraftConstants {
    /// The draft this row describes.
    pub draft: Draft,
    /// The Draft Identification string, ASCII, not NUL-terminated.
    pub id: &'static str,
    /// Extension field type numbers.
    pub types: FieldTypes,
    /// The reference timestamp of the NTPv4 upgrade signal: "NTP5DRFT" for
    /// draft implementations ("NTP5NTP5" is [`FINAL_UPGRADE_MAGIC`]).
    pub upgrade_magic: u64,
}

/// The upgrade signal of the final specification, "NTP5NTP5" in ASCII
/// ("NTPv5 Negotiation in Previous NTP Versions").
pub const FINAL_UPGRADE_MAGIC: u64 = u64::from_be_bytes(*b"NTP5NTP5");

/// The upgrade signal of draft implementations, "NTP5DRFT" in ASCII.
pub const DRAFT_UPGRADE_MAGIC: u64 = u64::from_be_bytes(*b"NTP5DRFT");

/// The experimental type numbers, unchanged from -07 to -09.
const TYPES_0XF5: FieldTypes = FieldTypes {
    draft_id: 0xF5FF,
    padding: 0xF501,
    mac: 0xF502,
    reference_ids_request: 0xF503,
    reference_ids_response: 0xF504,
    server_information: 0xF505,
    correction: 0xF506,
    reference_timestamp: 0xF507,
    monotonic_receive_timestamp: 0xF508,
    secondary_receive_timestamp: 0xF509,
};

/// One row per supported draft, in [`Draft`] order.
pub const TABLE: [DraftConstants; 2] = [
    DraftConstants {
        draft: Draft::Draft08,
        id: "draft-ietf-ntp-ntpv5-08",
        types: TYPES_0XF5,
        upgrade_magic: DRAFT_UPGRADE_MAGIC,
    },
    DraftConstants {
        draft: Draft::Draft09,
        id: "draft-ietf-ntp-ntpv5-09",
        types: TYPES_0XF5,
        upgrade_magic: DRAFT_UPGRADE_MAGIC,
    },
];

/// A draft of draft-ietf-ntp-ntpv5 that Tempora speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Draft {
    /// -08, spoken by ntpd-rs 1.9.
    Draft08 = 0,
    /// -09, spoken by ntpd-rs 2.0-alpha.
    Draft09 = 1,
}

impl Draft {
    /// Every supported draft, oldest first.
    pub const ALL: [Draft; 2] = [Draft::Draft08, Draft::Draft09];
    /// The newest supported draft: what Tempora's client speaks unless
    /// told otherwise.
    pub const LATEST: Draft = Draft::Draft09;

    /// This draft's row of [`TABLE`].
    pub const fn constants(self) -> &'static DraftConstants {
        &TABLE[self as usize]
    }

    /// Its Draft Identification string.
    pub const fn id(self) -> &'static str {
        self.constants().id
    }

    /// Its extension field type numbers.
    pub const fn types(self) -> &'static FieldTypes {
        &self.constants().types
    }

    /// The draft whose identification is exactly `id` (compared in full
    /// length: a longer string containing a known one is no match).
    pub fn from_id(id: &[u8]) -> Option<Draft> {
        Draft::ALL.into_iter().find(|d| d.id().as_bytes() == id)
    }

    /// Whether `field_type` is the Draft Identification type of any
    /// supported draft.
    pub fn is_draft_id_type(field_type: u16) -> bool {
        TABLE.iter().any(|row| row.types.draft_id == field_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_are_in_enum_order() {
        for d in Draft::ALL {
            assert_eq!(d.constants().draft, d);
        }
    }

    #[test]
    fn ids_match_in_full_length_only() {
        assert_eq!(
            Draft::from_id(b"draft-ietf-ntp-ntpv5-09"),
            Some(Draft::Draft09)
        );
        assert_eq!(
            Draft::from_id(b"draft-ietf-ntp-ntpv5-08"),
            Some(Draft::Draft08)
        );
        assert_eq!(Draft::from_id(b"draft-ietf-ntp-ntpv5-09\0"), None);
        assert_eq!(Draft::from_id(b"draft-ietf-ntp-ntpv5-0"), None);
        assert_eq!(Draft::from_id(b"draft-ietf-ntp-ntpv5-07"), None);
    }

    #[test]
    fn magic_values_spell_ascii() {
        assert_eq!(DRAFT_UPGRADE_MAGIC, 0x4E54_5035_4452_4654);
        assert_eq!(FINAL_UPGRADE_MAGIC, 0x4E54_5035_4E54_5035);
        assert!(Draft::is_draft_id_type(0xF5FF));
        assert!(!Draft::is_draft_id_type(0xF501));
    }
}
