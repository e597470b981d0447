//! Numbers of the management protocol: `actionField`, `managementId`,
//! `managementErrorId` and the `portState` enumeration, with the names
//! linuxptp's `pmc` prints for them.

/// `actionField` of a Management message (IEEE 1588-2019 §15.4.1.6):
/// the low nibble of its octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// 0: read a value.
    Get,
    /// 1: write a value.
    Set,
    /// 2: the answer to GET or SET.
    Response,
    /// 3: start an action.
    Command,
    /// 4: the answer to COMMAND.
    Acknowledge,
    /// 5–15, reserved.
    Reserved(u8),
}

impl Action {
    /// The action for the nibble `v` (any high bits are ignored).
    pub fn from_u8(v: u8) -> Self {
        match v & 0x0f {
            0 => Action::Get,
            1 => Action::Set,
            2 => Action::Response,
            3 => Action::Command,
            4 => Action::Acknowledge,
            other => Action::Reserved(other),
        }
    }

    /// The 4-bit wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Action::Get => 0,
            Action::Set => 1,
            Action::Response => 2,
            Action::Command => 3,
            Action::Acknowledge => 4,
            Action::Reserved(v) => v & 0x0f,
        }
    }

    /// The name the standard and `pmc` use, e.g. `RESPONSE`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Get => "GET",
            Action::Set => "SET",
            Action::Response => "RESPONSE",
            Action::Command => "COMMAND",
            Action::Acknowledge => "ACKNOWLEDGE",
            Action::Reserved(_) => "RESERVED",
        }
    }
}

/// `managementId` values (IEEE 1588-2019 §15.5.2.3), with the
/// implementation-specific ones of linuxptp (range 0xC000–0xDFFF).
pub mod management_id {
    /// NULL_PTP_MANAGEMENT (§15.5.3.1.1); `pmc` calls it NULL_MANAGEMENT.
    pub const NULL_MANAGEMENT: u16 = 0x0000;
    /// CLOCK_DESCRIPTION (§15.5.3.1.2).
    pub const CLOCK_DESCRIPTION: u16 = 0x0001;
    /// USER_DESCRIPTION (§15.5.3.1.3).
    pub const USER_DESCRIPTION: u16 = 0x0002;
    /// SAVE_IN_NON_VOLATILE_STORAGE (§15.5.3.1.4).
    pub const SAVE_IN_NON_VOLATILE_STORAGE: u16 = 0x0003;
    /// RESET_NON_VOLATILE_STORAGE (§15.5.3.1.5).
    pub const RESET_NON_VOLATILE_STORAGE: u16 = 0x0004;
    /// INITIALIZE (§15.5.3.1.6).
    pub const INITIALIZE: u16 = 0x0005;
    /// FAULT_LOG (§15.5.3.1.7).
    pub const FAULT_LOG: u16 = 0x0006;
    /// FAULT_LOG_RESET (§15.5.3.1.8).
    pub const FAULT_LOG_RESET: u16 = 0x0007;
    /// DEFAULT_DATA_SET (§15.5.3.3.1).
    pub const DEFAULT_DATA_SET: u16 = 0x2000;
    /// CURRENT_DATA_SET (§15.5.3.4.1).
    pub const CURRENT_DATA_SET: u16 = 0x2001;
    /// PARENT_DATA_SET (§15.5.3.5.1).
    pub const PARENT_DATA_SET: u16 = 0x2002;
    /// TIME_PROPERTIES_DATA_SET (§15.5.3.6.1).
    pub const TIME_PROPERTIES_DATA_SET: u16 = 0x2003;
    /// PORT_DATA_SET (§15.5.3.7.1).
    pub const PORT_DATA_SET: u16 = 0x2004;
    /// PRIORITY1 (§15.5.3.3.2).
    pub const PRIORITY1: u16 = 0x2005;
    /// PRIORITY2 (§15.5.3.3.3).
    pub const PRIORITY2: u16 = 0x2006;
    /// DOMAIN (§15.5.3.3.4).
    pub const DOMAIN: u16 = 0x2007;
    /// SLAVE_ONLY (§15.5.3.3.5).
    pub const SLAVE_ONLY: u16 = 0x2008;
    /// LOG_ANNOUNCE_INTERVAL (§15.5.3.7.2).
    pub const LOG_ANNOUNCE_INTERVAL: u16 = 0x2009;
    /// ANNOUNCE_RECEIPT_TIMEOUT (§15.5.3.7.3).
    pub const ANNOUNCE_RECEIPT_TIMEOUT: u16 = 0x200A;
    /// LOG_SYNC_INTERVAL (§15.5.3.7.4).
    pub const LOG_SYNC_INTERVAL: u16 = 0x200B;
    /// VERSION_NUMBER (§15.5.3.7.7).
    pub const VERSION_NUMBER: u16 = 0x200C;
    /// ENABLE_PORT (§15.5.3.2.3).
    pub const ENABLE_PORT: u16 = 0x200D;
    /// DISABLE_PORT (§15.5.3.2.4).
    pub const DISABLE_PORT: u16 = 0x200E;
    /// TIME (§15.5.3.2.1).
    pub const TIME: u16 = 0x200F;
    /// CLOCK_ACCURACY (§15.5.3.2.2).
    pub const CLOCK_ACCURACY: u16 = 0x2010;
    /// UTC_PROPERTIES (§15.5.3.6.2).
    pub const UTC_PROPERTIES: u16 = 0x2011;
    /// TRACEABILITY_PROPERTIES (§15.5.3.6.3).
    pub const TRACEABILITY_PROPERTIES: u16 = 0x2012;
    /// TIMESCALE_PROPERTIES (§15.5.3.6.4).
    pub const TIMESCALE_PROPERTIES: u16 = 0x2013;
    /// UNICAST_NEGOTIATION_ENABLE.
    pub const UNICAST_NEGOTIATION_ENABLE: u16 = 0x2014;
    /// PATH_TRACE_LIST.
    pub const PATH_TRACE_LIST: u16 = 0x2015;
    /// PATH_TRACE_ENABLE.
    pub const PATH_TRACE_ENABLE: u16 = 0x2016;
    /// GRANDMASTER_CLUSTER_TABLE.
    pub const GRANDMASTER_CLUSTER_TABLE: u16 = 0x2017;
    /// UNICAST_MASTER_TABLE.
    pub const UNICAST_MASTER_TABLE: u16 = 0x2018;
    /// UNICAST_MASTER_MAX_TABLE_SIZE.
    pub const UNICAST_MASTER_MAX_TABLE_SIZE: u16 = 0x2019;
    /// ACCEPTABLE_MASTER_TABLE.
    pub const ACCEPTABLE_MASTER_TABLE: u16 = 0x201A;
    /// ACCEPTABLE_MASTER_TABLE_ENABLED.
    pub const ACCEPTABLE_MASTER_TABLE_ENABLED: u16 = 0x201B;
    /// ACCEPTABLE_MASTER_MAX_TABLE_SIZE.
    pub const ACCEPTABLE_MASTER_MAX_TABLE_SIZE: u16 = 0x201C;
    /// ALTERNATE_MASTER.
    pub const ALTERNATE_MASTER: u16 = 0x201D;
    /// ALTERNATE_TIME_OFFSET_ENABLE.
    pub const ALTERNATE_TIME_OFFSET_ENABLE: u16 = 0x201E;
    /// ALTERNATE_TIME_OFFSET_NAME.
    pub const ALTERNATE_TIME_OFFSET_NAME: u16 = 0x201F;
    /// ALTERNATE_TIME_OFFSET_MAX_KEY.
    pub const ALTERNATE_TIME_OFFSET_MAX_KEY: u16 = 0x2020;
    /// ALTERNATE_TIME_OFFSET_PROPERTIES.
    pub const ALTERNATE_TIME_OFFSET_PROPERTIES: u16 = 0x2021;
    /// EXTERNAL_PORT_CONFIGURATION_ENABLED (new in 2019).
    pub const EXTERNAL_PORT_CONFIGURATION_ENABLED: u16 = 0x3000;
    /// MASTER_ONLY (new in 2019).
    pub const MASTER_ONLY: u16 = 0x3001;
    /// HOLDOVER_UPGRADE_ENABLE (new in 2019).
    pub const HOLDOVER_UPGRADE_ENABLE: u16 = 0x3002;
    /// EXT_PORT_CONFIG_PORT_DATA_SET (new in 2019).
    pub const EXT_PORT_CONFIG_PORT_DATA_SET: u16 = 0x3003;
    /// TRANSPARENT_CLOCK_DEFAULT_DATA_SET.
    pub const TRANSPARENT_CLOCK_DEFAULT_DATA_SET: u16 = 0x4000;
    /// TRANSPARENT_CLOCK_PORT_DATA_SET.
    pub const TRANSPARENT_CLOCK_PORT_DATA_SET: u16 = 0x4001;
    /// PRIMARY_DOMAIN.
    pub const PRIMARY_DOMAIN: u16 = 0x4002;
    /// DELAY_MECHANISM (§15.5.3.7.5).
    pub const DELAY_MECHANISM: u16 = 0x6000;
    /// LOG_MIN_PDELAY_REQ_INTERVAL (§15.5.3.7.6).
    pub const LOG_MIN_PDELAY_REQ_INTERVAL: u16 = 0x6001;
    /// linuxptp TIME_STATUS_NP.
    pub const TIME_STATUS_NP: u16 = 0xC000;
    /// linuxptp GRANDMASTER_SETTINGS_NP.
    pub const GRANDMASTER_SETTINGS_NP: u16 = 0xC001;
    /// linuxptp PORT_DATA_SET_NP.
    pub const PORT_DATA_SET_NP: u16 = 0xC002;
    /// linuxptp SUBSCRIBE_EVENTS_NP.
    pub const SUBSCRIBE_EVENTS_NP: u16 = 0xC003;
    /// linuxptp PORT_PROPERTIES_NP.
    pub const PORT_PROPERTIES_NP: u16 = 0xC004;
    /// linuxptp PORT_STATS_NP.
    pub const PORT_STATS_NP: u16 = 0xC005;
    /// linuxptp SYNCHRONIZATION_UNCERTAIN_NP.
    pub const SYNCHRONIZATION_UNCERTAIN_NP: u16 = 0xC006;
    /// linuxptp PORT_SERVICE_STATS_NP.
    pub const PORT_SERVICE_STATS_NP: u16 = 0xC007;
    /// linuxptp UNICAST_MASTER_TABLE_NP.
    pub const UNICAST_MASTER_TABLE_NP: u16 = 0xC008;
    /// linuxptp PORT_HWCLOCK_NP.
    pub const PORT_HWCLOCK_NP: u16 = 0xC009;
    /// linuxptp POWER_PROFILE_SETTINGS_NP.
    pub const POWER_PROFILE_SETTINGS_NP: u16 = 0xC00A;
    /// linuxptp CMLDS_INFO_NP.
    pub const CMLDS_INFO_NP: u16 = 0xC00B;
    /// linuxptp PORT_CORRECTIONS_NP.
    pub const PORT_CORRECTIONS_NP: u16 = 0xC00C;
    /// linuxptp EXTERNAL_GRANDMASTER_PROPERTIES_NP.
    pub const EXTERNAL_GRANDMASTER_PROPERTIES_NP: u16 = 0xC00D;

    /// The name `pmc` uses for `id`, e.g. `DEFAULT_DATA_SET`, if it is known.
    pub fn name(id: u16) -> Option<&'static str> {
        Some(match id {
            NULL_MANAGEMENT => "NULL_MANAGEMENT",
            CLOCK_DESCRIPTION => "CLOCK_DESCRIPTION",
            USER_DESCRIPTION => "USER_DESCRIPTION",
            SAVE_IN_NON_VOLATILE_STORAGE => "SAVE_IN_NON_VOLATILE_STORAGE",
            RESET_NON_VOLATILE_STORAGE => "RESET_NON_VOLATILE_STORAGE",
            INITIALIZE => "INITIALIZE",
            FAULT_LOG => "FAULT_LOG",
            FAULT_LOG_RESET => "FAULT_LOG_RESET",
            DEFAULT_DATA_SET => "DEFAULT_DATA_SET",
            CURRENT_DATA_SET => "CURRENT_DATA_SET",
            PARENT_DATA_SET => "PARENT_DATA_SET",
            TIME_PROPERTIES_DATA_SET => "TIME_PROPERTIES_DATA_SET",
            PORT_DATA_SET => "PORT_DATA_SET",
            PRIORITY1 => "PRIORITY1",
            PRIORITY2 => "PRIORITY2",
            DOMAIN => "DOMAIN",
            SLAVE_ONLY => "SLAVE_ONLY",
            LOG_ANNOUNCE_INTERVAL => "LOG_ANNOUNCE_INTERVAL",
            ANNOUNCE_RECEIPT_TIMEOUT => "ANNOUNCE_RECEIPT_TIMEOUT",
            LOG_SYNC_INTERVAL => "LOG_SYNC_INTERVAL",
            VERSION_NUMBER => "VERSION_NUMBER",
            ENABLE_PORT => "ENABLE_PORT",
            DISABLE_PORT => "DISABLE_PORT",
            TIME => "TIME",
            CLOCK_ACCURACY => "CLOCK_ACCURACY",
            UTC_PROPERTIES => "UTC_PROPERTIES",
            TRACEABILITY_PROPERTIES => "TRACEABILITY_PROPERTIES",
            TIMESCALE_PROPERTIES => "TIMESCALE_PROPERTIES",
            UNICAST_NEGOTIATION_ENABLE => "UNICAST_NEGOTIATION_ENABLE",
            PATH_TRACE_LIST => "PATH_TRACE_LIST",
            PATH_TRACE_ENABLE => "PATH_TRACE_ENABLE",
            GRANDMASTER_CLUSTER_TABLE => "GRANDMASTER_CLUSTER_TABLE",
            UNICAST_MASTER_TABLE => "UNICAST_MASTER_TABLE",
            UNICAST_MASTER_MAX_TABLE_SIZE => "UNICAST_MASTER_MAX_TABLE_SIZE",
            ACCEPTABLE_MASTER_TABLE => "ACCEPTABLE_MASTER_TABLE",
            ACCEPTABLE_MASTER_TABLE_ENABLED => "ACCEPTABLE_MASTER_TABLE_ENABLED",
            ACCEPTABLE_MASTER_MAX_TABLE_SIZE => "ACCEPTABLE_MASTER_MAX_TABLE_SIZE",
            ALTERNATE_MASTER => "ALTERNATE_MASTER",
            ALTERNATE_TIME_OFFSET_ENABLE => "ALTERNATE_TIME_OFFSET_ENABLE",
            ALTERNATE_TIME_OFFSET_NAME => "ALTERNATE_TIME_OFFSET_NAME",
            ALTERNATE_TIME_OFFSET_MAX_KEY => "ALTERNATE_TIME_OFFSET_MAX_KEY",
            ALTERNATE_TIME_OFFSET_PROPERTIES => "ALTERNATE_TIME_OFFSET_PROPERTIES",
            EXTERNAL_PORT_CONFIGURATION_ENABLED => "EXTERNAL_PORT_CONFIGURATION_ENABLED",
            MASTER_ONLY => "MASTER_ONLY",
            HOLDOVER_UPGRADE_ENABLE => "HOLDOVER_UPGRADE_ENABLE",
            EXT_PORT_CONFIG_PORT_DATA_SET => "EXT_PORT_CONFIG_PORT_DATA_SET",
            TRANSPARENT_CLOCK_DEFAULT_DATA_SET => "TRANSPARENT_CLOCK_DEFAULT_DATA_SET",
            TRANSPARENT_CLOCK_PORT_DATA_SET => "TRANSPARENT_CLOCK_PORT_DATA_SET",
            PRIMARY_DOMAIN => "PRIMARY_DOMAIN",
            DELAY_MECHANISM => "DELAY_MECHANISM",
            LOG_MIN_PDELAY_REQ_INTERVAL => "LOG_MIN_PDELAY_REQ_INTERVAL",
            TIME_STATUS_NP => "TIME_STATUS_NP",
            GRANDMASTER_SETTINGS_NP => "GRANDMASTER_SETTINGS_NP",
            PORT_DATA_SET_NP => "PORT_DATA_SET_NP",
            SUBSCRIBE_EVENTS_NP => "SUBSCRIBE_EVENTS_NP",
            PORT_PROPERTIES_NP => "PORT_PROPERTIES_NP",
            PORT_STATS_NP => "PORT_STATS_NP",
            SYNCHRONIZATION_UNCERTAIN_NP => "SYNCHRONIZATION_UNCERTAIN_NP",
            PORT_SERVICE_STATS_NP => "PORT_SERVICE_STATS_NP",
            UNICAST_MASTER_TABLE_NP => "UNICAST_MASTER_TABLE_NP",
            PORT_HWCLOCK_NP => "PORT_HWCLOCK_NP",
            POWER_PROFILE_SETTINGS_NP => "POWER_PROFILE_SETTINGS_NP",
            CMLDS_INFO_NP => "CMLDS_INFO_NP",
            PORT_CORRECTIONS_NP => "PORT_CORRECTIONS_NP",
            EXTERNAL_GRANDMASTER_PROPERTIES_NP => "EXTERNAL_GRANDMASTER_PROPERTIES_NP",
            _ => return None,
        })
    }
}

/// `managementErrorId` values (IEEE 1588-2019 §15.5.4.3).
pub mod management_error_id {
    /// The response would not fit in one message.
    pub const RESPONSE_TOO_BIG: u16 = 0x0001;
    /// The `managementId` is not recognized.
    pub const NO_SUCH_ID: u16 = 0x0002;
    /// The data field has the wrong length.
    pub const WRONG_LENGTH: u16 = 0x0003;
    /// A value in the data field is out of range.
    pub const WRONG_VALUE: u16 = 0x0004;
    /// SET or COMMAND is not allowed for this `managementId`.
    pub const NOT_SETABLE: u16 = 0x0005;
    /// The `managementId` is recognized but not supported.
    pub const NOT_SUPPORTED: u16 = 0x0006;
    /// Any other error.
    pub const GENERAL_ERROR: u16 = 0xFFFE;

    /// The name of `id`, e.g. `NOT_SUPPORTED`, if it is known.
    pub fn name(id: u16) -> Option<&'static str> {
        Some(match id {
            RESPONSE_TOO_BIG => "RESPONSE_TOO_BIG",
            NO_SUCH_ID => "NO_SUCH_ID",
            WRONG_LENGTH => "WRONG_LENGTH",
            WRONG_VALUE => "WRONG_VALUE",
            NOT_SETABLE => "NOT_SETABLE",
            NOT_SUPPORTED => "NOT_SUPPORTED",
            GENERAL_ERROR => "GENERAL_ERROR",
            _ => return None,
        })
    }
}

/// `portState` values (IEEE 1588-2019 §8.2.15.3.1).
pub mod port_state {
    /// INITIALIZING.
    pub const INITIALIZING: u8 = 1;
    /// FAULTY.
    pub const FAULTY: u8 = 2;
    /// DISABLED.
    pub const DISABLED: u8 = 3;
    /// LISTENING.
    pub const LISTENING: u8 = 4;
    /// PRE_MASTER (PRE_TIME_TRANSMITTER in later amendments).
    pub const PRE_MASTER: u8 = 5;
    /// MASTER (TIME_TRANSMITTER).
    pub const MASTER: u8 = 6;
    /// PASSIVE.
    pub const PASSIVE: u8 = 7;
    /// UNCALIBRATED.
    pub const UNCALIBRATED: u8 = 8;
    /// SLAVE (TIME_RECEIVER).
    pub const SLAVE: u8 = 9;

    /// The name `pmc` prints for `state`; like `pmc`, values out of range
    /// print as `NONE`.
    pub fn name(state: u8) -> &'static str {
        match state {
            INITIALIZING => "INITIALIZING",
            FAULTY => "FAULTY",
            DISABLED => "DISABLED",
            LISTENING => "LISTENING",
            PRE_MASTER => "PRE_MASTER",
            MASTER => "MASTER",
            PASSIVE => "PASSIVE",
            UNCALIBRATED => "UNCALIBRATED",
            SLAVE => "SLAVE",
            _ => "NONE",
        }
    }
}

/// `delayMechanism` values (IEEE 1588-2019 §8.2.15.4.4).
pub mod delay_mechanism {
    /// E2E, the delay request-response mechanism.
    pub const E2E: u8 = 0x01;
    /// P2P, the peer delay mechanism.
    pub const P2P: u8 = 0x02;
    /// COMMON_P2P, peer delay measured by the common mean link delay service (new in 2019).
    pub const COMMON_P2P: u8 = 0x03;
    /// SPECIAL, delay measured by means the standard does not specify (new in 2019).
    pub const SPECIAL: u8 = 0x04;
    /// NO_MECHANISM.
    pub const NO_MECHANISM: u8 = 0xFE;
}
