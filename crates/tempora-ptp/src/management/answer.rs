//! The answer to each `managementId` (IEEE 1588-2019 §15.5.3): which level
//! it applies to, what a GET returns, what a SET or COMMAND changes.

use alloc::vec::Vec;

use tempora_clock::{Duration, Time};

use super::{Change, ManagementState, PortInfo, Source, UserDescription, error_tlv};
use crate::datasets::{DelayMechanism, InstanceType, PortDs};
use crate::wire::tlv::ScaledNs;
use crate::wire::tlv::management::{
    Action, ClockDescription, CurrentDataSet, DefaultDataSet, ManagementData, Padded,
    ParentDataSet, PortDataSet, PortPropertiesNp, PortStatsNp, TimePropertiesDataSet, TimeStatusNp,
    delay_mechanism, management_error_id as err, management_id as id,
};
use crate::wire::{Header, PortIdentity, PtpText, TimeInterval};

/// Whether a `managementId` addresses the clock or a port (§15.5.2.3, the
/// "applies to" column of the managementId table; linuxptp for its `_NP`
/// IDs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Answered once.
    Clock,
    /// Answered per addressed port (§15.3.3).
    Port,
}

/// The scope of `management_id`, or `None` if it is not a known ID.
pub(super) fn scope(management_id: u16) -> Option<Scope> {
    Some(match management_id {
        id::NULL_MANAGEMENT
        | id::CLOCK_DESCRIPTION
        | id::PORT_DATA_SET
        | id::LOG_ANNOUNCE_INTERVAL
        | id::ANNOUNCE_RECEIPT_TIMEOUT
        | id::LOG_SYNC_INTERVAL
        | id::VERSION_NUMBER
        | id::ENABLE_PORT
        | id::DISABLE_PORT
        | id::UNICAST_NEGOTIATION_ENABLE
        | id::UNICAST_MASTER_TABLE
        | id::UNICAST_MASTER_MAX_TABLE_SIZE
        | id::ACCEPTABLE_MASTER_TABLE_ENABLED
        | id::ALTERNATE_MASTER
        | id::MASTER_ONLY
        | id::EXT_PORT_CONFIG_PORT_DATA_SET
        | id::TRANSPARENT_CLOCK_PORT_DATA_SET
        | id::DELAY_MECHANISM
        | id::LOG_MIN_PDELAY_REQ_INTERVAL
        | id::PORT_DATA_SET_NP
        | id::PORT_PROPERTIES_NP
        | id::PORT_STATS_NP
        | id::PORT_SERVICE_STATS_NP
        | id::UNICAST_MASTER_TABLE_NP
        | id::PORT_HWCLOCK_NP
        | id::POWER_PROFILE_SETTINGS_NP
        | id::CMLDS_INFO_NP
        | id::PORT_CORRECTIONS_NP => Scope::Port,
        other => {
            id::name(other)?;
            Scope::Clock
        }
    })
}

/// IDs that only GET may use (§15.5.2.3: the allowed actions of each ID):
/// SET or COMMAND of them is NOT_SETABLE (§15.5.4.3).
fn get_only(management_id: u16) -> bool {
    matches!(
        management_id,
        id::CLOCK_DESCRIPTION
            | id::FAULT_LOG
            | id::DEFAULT_DATA_SET
            | id::CURRENT_DATA_SET
            | id::PARENT_DATA_SET
            | id::TIME_PROPERTIES_DATA_SET
            | id::PORT_DATA_SET
            | id::PATH_TRACE_LIST
            | id::UNICAST_MASTER_MAX_TABLE_SIZE
            | id::ACCEPTABLE_MASTER_MAX_TABLE_SIZE
            | id::ALTERNATE_TIME_OFFSET_MAX_KEY
            | id::TRANSPARENT_CLOCK_DEFAULT_DATA_SET
            | id::TRANSPARENT_CLOCK_PORT_DATA_SET
            | id::TIME_STATUS_NP
            | id::PORT_PROPERTIES_NP
            | id::PORT_STATS_NP
    )
}

/// IDs that only COMMAND may use (§15.5.3.1.4–§15.5.3.1.8, §15.5.3.2.3,
/// §15.5.3.2.4).
fn command_only(management_id: u16) -> bool {
    matches!(
        management_id,
        id::SAVE_IN_NON_VOLATILE_STORAGE
            | id::RESET_NON_VOLATILE_STORAGE
            | id::INITIALIZE
            | id::FAULT_LOG_RESET
            | id::ENABLE_PORT
            | id::DISABLE_PORT
    )
}

/// A request being answered.
pub(super) struct Request<'s, 'r> {
    pub(super) state: &'s ManagementState<'s>,
    pub(super) header: &'r Header,
    pub(super) action: Action,
    pub(super) response_action: Action,
    pub(super) reply_hops: u8,
    pub(super) id: u16,
    pub(super) data: &'r [u8],
}

/// The data field of an answer, owned so that the TLV can borrow it.
enum Value<'x> {
    /// No data field: NULL_PTP_MANAGEMENT (§15.5.3.1.1).
    Null,
    /// No data field: the acknowledgement of ENABLE_PORT or DISABLE_PORT.
    Empty,
    /// A short fixed field (the one-value IDs, UTC_PROPERTIES, INITIALIZE).
    Bytes([u8; 4], usize),
    Default(DefaultDataSet),
    Current(CurrentDataSet),
    Parent(ParentDataSet),
    TimeProperties(TimePropertiesDataSet),
    Port(PortDataSet),
    ClockDescription(ClockDescription<'x>),
    UserDescription(PtpText<'x>),
    TimeStatus(TimeStatusNp),
    PortProperties(PortPropertiesNp<'x>),
    PortStats(PortIdentity, [u8; PortStatsNp::COUNTERS_LEN]),
}

impl Value<'_> {
    /// A value octet and a reserved zero octet (§15.5.3.3.2 and the other
    /// one-value IDs).
    fn datum(value: u8) -> Self {
        Value::Bytes([value, 0, 0, 0], 2)
    }

    /// The data field, padded to an even length (§15.5.3).
    fn data(&self) -> ManagementData<'_> {
        match self {
            Value::Null => ManagementData::NullManagement,
            Value::Empty => ManagementData::Empty,
            Value::Bytes(bytes, len) => ManagementData::Raw(bytes.get(..*len).unwrap_or(&[])),
            Value::Default(v) => ManagementData::DefaultDataSet(Padded::new(*v)),
            Value::Current(v) => ManagementData::CurrentDataSet(Padded::new(*v)),
            Value::Parent(v) => ManagementData::ParentDataSet(Padded::new(*v)),
            Value::TimeProperties(v) => ManagementData::TimePropertiesDataSet(Padded::new(*v)),
            Value::Port(v) => ManagementData::PortDataSet(Padded::new(*v)),
            Value::ClockDescription(v) => ManagementData::ClockDescription(Padded::new(*v)),
            Value::UserDescription(v) => ManagementData::UserDescription(Padded::new(*v)),
            Value::TimeStatus(v) => ManagementData::TimeStatusNp(Padded::new(*v)),
            Value::PortProperties(v) => ManagementData::PortPropertiesNp(Padded::new(*v)),
            Value::PortStats(port_identity, counters) => {
                ManagementData::PortStatsNp(Padded::new(PortStatsNp {
                    port_identity: *port_identity,
                    counters,
                }))
            }
        }
        .with_even_padding()
    }
}

type Answer<'x> = Result<Value<'x>, u16>;

/// Answers a clock-level request from `source` (the receiving port).
pub(super) fn clock(
    request: &Request<'_, '_>,
    source: Source,
    changes: &mut Vec<Change>,
) -> Option<Vec<u8>> {
    let answer = match request.action {
        Action::Get => clock_get(request.state, request.id),
        Action::Set => clock_set(request, changes),
        _ => clock_command(request, changes),
    };
    finish(request, source, answer)
}

/// Answers a port-level request for `port`, from `port`.
pub(super) fn port(
    request: &Request<'_, '_>,
    port: &PortDs,
    info: &PortInfo<'_>,
    changes: &mut Vec<Change>,
) -> Option<Vec<u8>> {
    let answer = match request.action {
        Action::Get => port_get(request.state, port, info, request.id),
        Action::Set => port_set(request, port, changes),
        _ => port_command(request, port, changes),
    };
    finish(request, Source::port(port), answer)
}

fn finish(request: &Request<'_, '_>, source: Source, answer: Answer<'_>) -> Option<Vec<u8>> {
    match answer {
        Ok(value) => request.encode(source, super::management_tlv(request.id, value.data())),
        Err(error_id) => request.encode(source, error_tlv(error_id, request.id)),
    }
}

/// The error for an ID this responder recognizes but does not answer with
/// this action (§15.5.4.3): NOT_SETABLE when the action is not one the ID
/// allows (§15.5.2.3), NOT_SUPPORTED when it is but Tempora does not
/// implement it.
fn refusal(action: Action, management_id: u16) -> u16 {
    match action {
        Action::Set if get_only(management_id) || command_only(management_id) => err::NOT_SETABLE,
        Action::Command if !command_only(management_id) => err::NOT_SETABLE,
        _ => err::NOT_SUPPORTED,
    }
}

/// The one value octet of a SET of a one-value ID, which must have exactly
/// the two octets of §15.5.3.3.2 (value and reserved).
fn datum(data: &[u8]) -> Result<u8, u16> {
    match data {
        [value, _reserved] => Ok(*value),
        _ => Err(err::WRONG_LENGTH),
    }
}

fn within<T: PartialOrd>(value: T, (min, max): (T, T)) -> Result<T, u16> {
    if value >= min && value <= max {
        Ok(value)
    } else {
        Err(err::WRONG_VALUE)
    }
}

fn interval(d: Duration) -> TimeInterval {
    let v = d.scaled_nanos();
    TimeInterval(i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX }))
}

fn nanos_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

fn clock_get<'x>(state: &ManagementState<'x>, management_id: u16) -> Answer<'x> {
    let dds = state.default_ds;
    let tds = state.time_properties_ds;
    let flag = |on: bool, bit: u8| if on { bit } else { 0 };
    let time_flags = flag(tds.leap61, TimePropertiesDataSet::FLAG_LEAP61)
        | flag(tds.leap59, TimePropertiesDataSet::FLAG_LEAP59)
        | flag(
            tds.current_utc_offset_valid,
            TimePropertiesDataSet::FLAG_UTC_OFFSET_VALID,
        )
        | flag(tds.ptp_timescale, TimePropertiesDataSet::FLAG_PTP_TIMESCALE)
        | flag(
            tds.time_traceable,
            TimePropertiesDataSet::FLAG_TIME_TRACEABLE,
        )
        | flag(
            tds.frequency_traceable,
            TimePropertiesDataSet::FLAG_FREQUENCY_TRACEABLE,
        );
    Ok(match management_id {
        // §15.5.3.1.3.
        id::USER_DESCRIPTION => Value::UserDescription(PtpText(state.clock_info.user_description)),
        // §15.5.3.3.1: defaultDS, TSC in bit 0 and SO in bit 1.
        id::DEFAULT_DATA_SET => Value::Default(DefaultDataSet {
            flags: flag(dds.two_step, DefaultDataSet::FLAG_TWO_STEP)
                | flag(dds.slave_only, DefaultDataSet::FLAG_SLAVE_ONLY),
            reserved0: 0,
            number_ports: dds.number_ports,
            priority1: dds.priority1,
            clock_quality: dds.clock_quality,
            priority2: dds.priority2,
            clock_identity: dds.clock_identity,
            domain_number: dds.domain_number,
            reserved1: 0,
        }),
        // §15.5.3.4.1.
        id::CURRENT_DATA_SET => Value::Current(CurrentDataSet {
            steps_removed: state.current_ds.steps_removed,
            offset_from_master: interval(state.current_ds.offset_from_master),
            mean_path_delay: interval(state.current_ds.mean_delay),
        }),
        // §15.5.3.5.1.
        id::PARENT_DATA_SET => {
            let pds = state.parent_ds;
            Value::Parent(ParentDataSet {
                parent_port_identity: pds.parent_port_identity,
                parent_stats: flag(pds.parent_stats, ParentDataSet::FLAG_PARENT_STATS),
                reserved: 0,
                observed_parent_offset_scaled_log_variance: pds
                    .observed_parent_offset_scaled_log_variance,
                observed_parent_clock_phase_change_rate: pds
                    .observed_parent_clock_phase_change_rate,
                grandmaster_priority1: pds.grandmaster_priority1,
                grandmaster_clock_quality: pds.grandmaster_clock_quality,
                grandmaster_priority2: pds.grandmaster_priority2,
                grandmaster_identity: pds.grandmaster_identity,
            })
        }
        // §15.5.3.6.1.
        id::TIME_PROPERTIES_DATA_SET => Value::TimeProperties(TimePropertiesDataSet {
            current_utc_offset: tds.current_utc_offset,
            flags: time_flags,
            time_source: tds.time_source,
        }),
        // §15.5.3.3.2–§15.5.3.3.5.
        id::PRIORITY1 => Value::datum(dds.priority1),
        id::PRIORITY2 => Value::datum(dds.priority2),
        id::DOMAIN => Value::datum(dds.domain_number),
        id::SLAVE_ONLY => Value::datum(u8::from(dds.slave_only)),
        // §15.5.3.2.2.
        id::CLOCK_ACCURACY => Value::datum(dds.clock_quality.clock_accuracy),
        // §15.5.3.6.2: currentUtcOffset, then LI-61, LI-59, UTCV.
        id::UTC_PROPERTIES => {
            let [hi, lo] = tds.current_utc_offset.to_be_bytes();
            Value::Bytes([hi, lo, time_flags & 0x07, 0], 4)
        }
        // §15.5.3.6.3: TTRA, FTRA.
        id::TRACEABILITY_PROPERTIES => Value::datum(time_flags & 0x30),
        // §15.5.3.6.4: PTP, then timeSource.
        id::TIMESCALE_PROPERTIES => Value::Bytes([time_flags & 0x08, tds.time_source, 0, 0], 2),
        // linuxptp TIME_STATUS_NP.
        id::TIME_STATUS_NP => {
            let ts = state.time_status;
            Value::TimeStatus(TimeStatusNp {
                master_offset: nanos_i64(ts.master_offset.nanos()),
                ingress_time: nanos_i64((ts.ingress_time - Time::EPOCH).nanos()),
                cumulative_scaled_rate_offset: ts.cumulative_scaled_rate_offset,
                scaled_last_gm_phase_change: ts.scaled_last_gm_phase_change,
                gm_time_base_indicator: ts.gm_time_base_indicator,
                last_gm_phase_change: ScaledNs(ts.last_gm_phase_change),
                gm_present: i32::from(ts.gm_present),
                gm_identity: state.parent_ds.grandmaster_identity,
            })
        }
        other => return Err(refusal(Action::Get, other)),
    })
}

fn clock_set<'x>(request: &Request<'x, 'x>, changes: &mut Vec<Change>) -> Answer<'x> {
    let state = request.state;
    let data = request.data;
    let (value, change) = match request.id {
        // §15.5.3.3.2, §15.5.3.3.3: any value.
        id::PRIORITY1 => {
            let v = datum(data)?;
            (Value::datum(v), Change::Priority1(v))
        }
        id::PRIORITY2 => {
            let v = datum(data)?;
            (Value::datum(v), Change::Priority2(v))
        }
        // §15.5.3.3.4.
        id::DOMAIN => {
            let v = within(datum(data)?, state.limits.domain_number)?;
            (Value::datum(v), Change::Domain(v))
        }
        // §15.5.3.3.5: SO in bit 0; §8.2.1.4.4: only an ordinary clock can
        // be slave-only.
        id::SLAVE_ONLY => {
            let on = datum(data)? & 0x01 != 0;
            if on && state.default_ds.instance_type != InstanceType::OrdinaryClock {
                return Err(err::WRONG_VALUE);
            }
            (Value::datum(u8::from(on)), Change::SlaveOnly(on))
        }
        // §15.5.3.1.3: a PTPText of at most 128 octets, padded to even.
        id::USER_DESCRIPTION => {
            let (len, rest) = data.split_first().ok_or(err::WRONG_LENGTH)?;
            let n = usize::from(*len);
            let text = rest.get(..n).ok_or(err::WRONG_LENGTH)?;
            if rest.len() > n + 1 || (rest.len() == n + 1 && data.len() % 2 != 0) {
                return Err(err::WRONG_LENGTH);
            }
            let description = UserDescription::new(text).ok_or(err::WRONG_VALUE)?;
            (
                Value::UserDescription(PtpText(text)),
                Change::UserDescription(description),
            )
        }
        other => return Err(refusal(Action::Set, other)),
    };
    changes.push(change);
    Ok(value)
}

fn clock_command<'x>(request: &Request<'x, 'x>, changes: &mut Vec<Change>) -> Answer<'x> {
    match request.id {
        // §15.5.3.1.6: initializationKey 0x0000 is INITIALIZE_EVENT; the
        // others are reserved or implementation-specific.
        id::INITIALIZE => {
            let [hi, lo] = request.data else {
                return Err(err::WRONG_LENGTH);
            };
            if (*hi, *lo) != (0, 0) {
                return Err(err::WRONG_VALUE);
            }
            changes.push(Change::Initialize);
            Ok(Value::Bytes([0, 0, 0, 0], 2))
        }
        other => Err(refusal(Action::Command, other)),
    }
}

fn port_get<'x>(
    state: &ManagementState<'x>,
    port: &PortDs,
    info: &PortInfo<'x>,
    management_id: u16,
) -> Answer<'x> {
    let version_octet = ((port.minor_version_number & 0x0f) << 4) | (port.version_number & 0x0f);
    Ok(match management_id {
        // §15.5.3.1.1: no data field.
        id::NULL_MANAGEMENT => Value::Null,
        // §15.5.3.1.2.
        id::CLOCK_DESCRIPTION => Value::ClockDescription(ClockDescription {
            clock_type: super::clock_type(state.default_ds.instance_type),
            physical_layer_protocol: PtpText(info.physical_layer_protocol),
            physical_address: info.physical_address,
            protocol_address: info.protocol_address,
            manufacturer_identity: state.clock_info.manufacturer_identity,
            reserved: 0,
            product_description: PtpText(state.clock_info.product_description),
            revision_data: PtpText(state.clock_info.revision_data),
            user_description: PtpText(state.clock_info.user_description),
            profile_identity: state.clock_info.profile_identity,
        }),
        // §15.5.3.7.1.
        id::PORT_DATA_SET => Value::Port(PortDataSet {
            port_identity: port.port_identity,
            port_state: port.port_state.to_u8(),
            log_min_delay_req_interval: port.log_min_delay_req_interval,
            peer_mean_path_delay: interval(port.mean_link_delay),
            log_announce_interval: port.log_announce_interval,
            announce_receipt_timeout: port.announce_receipt_timeout,
            log_sync_interval: port.log_sync_interval,
            delay_mechanism: port.delay_mechanism.to_u8(),
            log_min_pdelay_req_interval: port.log_min_pdelay_req_interval,
            version_number: version_octet,
        }),
        // §15.5.3.7.2–§15.5.3.7.7.
        id::LOG_ANNOUNCE_INTERVAL => Value::datum(port.log_announce_interval as u8),
        id::ANNOUNCE_RECEIPT_TIMEOUT => Value::datum(port.announce_receipt_timeout),
        id::LOG_SYNC_INTERVAL => Value::datum(port.log_sync_interval as u8),
        id::VERSION_NUMBER => Value::datum(version_octet),
        id::DELAY_MECHANISM => Value::datum(port.delay_mechanism.to_u8()),
        id::LOG_MIN_PDELAY_REQ_INTERVAL => Value::datum(port.log_min_pdelay_req_interval as u8),
        // MASTER_ONLY (new in 2019): MO in bit 0.
        id::MASTER_ONLY => Value::datum(u8::from(port.master_only)),
        // linuxptp PORT_PROPERTIES_NP.
        id::PORT_PROPERTIES_NP => Value::PortProperties(PortPropertiesNp {
            port_identity: port.port_identity,
            port_state: port.port_state.to_u8(),
            timestamping: info.timestamping,
            interface: PtpText(info.interface),
        }),
        // linuxptp PORT_STATS_NP.
        id::PORT_STATS_NP => Value::PortStats(
            port.port_identity,
            PortStatsNp::encode_counters(&info.stats.rx, &info.stats.tx),
        ),
        other => return Err(refusal(Action::Get, other)),
    })
}

fn port_set<'x>(request: &Request<'x, 'x>, port: &PortDs, changes: &mut Vec<Change>) -> Answer<'x> {
    let limits = request.state.limits;
    let data = request.data;
    let number = port.port_identity.port_number;
    let (value, change) = match request.id {
        // §15.5.3.1.1: NULL_PTP_MANAGEMENT has no data field and changes
        // nothing.
        id::NULL_MANAGEMENT => {
            if !data.is_empty() {
                return Err(err::WRONG_LENGTH);
            }
            return Ok(Value::Null);
        }
        // §15.5.3.7.2.
        id::LOG_ANNOUNCE_INTERVAL => {
            let v = within(datum(data)? as i8, limits.log_announce_interval)?;
            (
                Value::datum(v as u8),
                Change::LogAnnounceInterval {
                    port: number,
                    value: v,
                },
            )
        }
        // §15.5.3.7.3.
        id::ANNOUNCE_RECEIPT_TIMEOUT => {
            let v = within(datum(data)?, limits.announce_receipt_timeout)?;
            (
                Value::datum(v),
                Change::AnnounceReceiptTimeout {
                    port: number,
                    value: v,
                },
            )
        }
        // §15.5.3.7.4.
        id::LOG_SYNC_INTERVAL => {
            let v = within(datum(data)? as i8, limits.log_sync_interval)?;
            (
                Value::datum(v as u8),
                Change::LogSyncInterval {
                    port: number,
                    value: v,
                },
            )
        }
        // §15.5.3.7.6.
        id::LOG_MIN_PDELAY_REQ_INTERVAL => {
            let v = within(datum(data)? as i8, limits.log_min_pdelay_req_interval)?;
            (
                Value::datum(v as u8),
                Change::LogMinPdelayReqInterval {
                    port: number,
                    value: v,
                },
            )
        }
        // §15.5.3.7.5, §8.2.15.4.4 Table 21.
        id::DELAY_MECHANISM => {
            let v = datum(data)?;
            let mechanism = match v {
                delay_mechanism::E2E => DelayMechanism::E2e,
                delay_mechanism::P2P => DelayMechanism::P2p,
                delay_mechanism::COMMON_P2P => DelayMechanism::CommonP2p,
                delay_mechanism::SPECIAL => DelayMechanism::Special,
                delay_mechanism::NO_MECHANISM => DelayMechanism::NoMechanism,
                _ => return Err(err::WRONG_VALUE),
            };
            (
                Value::datum(v),
                Change::DelayMechanism {
                    port: number,
                    value: mechanism,
                },
            )
        }
        other => return Err(refusal(Action::Set, other)),
    };
    changes.push(change);
    Ok(value)
}

fn port_command<'x>(
    request: &Request<'x, 'x>,
    port: &PortDs,
    changes: &mut Vec<Change>,
) -> Answer<'x> {
    let number = port.port_identity.port_number;
    let change = match request.id {
        // §15.5.3.1.1.
        id::NULL_MANAGEMENT => None,
        // §15.5.3.2.3, §15.5.3.2.4: no data field.
        id::ENABLE_PORT => Some(Change::EnablePort(number)),
        id::DISABLE_PORT => Some(Change::DisablePort(number)),
        other => return Err(refusal(Action::Command, other)),
    };
    if !request.data.is_empty() {
        return Err(err::WRONG_LENGTH);
    }
    Ok(match change {
        Some(change) => {
            changes.push(change);
            Value::Empty
        }
        None => Value::Null,
    })
}
