//! Management in the engine (IEEE 1588-2019 §15): answers built by
//! [`crate::management`] from the live data sets, forwarded copies for
//! boundary clocks (§15.3.4), and SET and COMMAND changes applied.

use alloc::vec::Vec;

use tempora_clock::Time;

use crate::datasets::{ParentDs, PortDs, PortState};
use crate::management::{
    self, Change, ClockInfo, ManagementState, PortInfo, PortStats, Reply, SetLimits, TimeStatus,
};
use crate::wire::tlv::management::{Action as MgmtAction, PortAddress};
use crate::wire::{Flags, Message, MessageType};

use super::{Address, Destination, NetworkManagement, PortIndex, PtpInstance};

/// profileIdentity of the delay request-response default profile (Annex I.3).
const DEFAULT_PROFILE_ID: [u8; 6] = [0x00, 0x1b, 0x19, 0x00, 0x01, 0x00];

impl PtpInstance {
    /// Builds the management answer to `msg`, received on 1-based
    /// `receiving_port` (0: a local management channel); SET and COMMAND
    /// are carried out only with `accept_set_and_command`.
    fn management_reply(
        &self,
        msg: &Message<'_>,
        receiving_port: u16,
        accept_set_and_command: bool,
    ) -> Reply {
        let ports: Vec<PortDs> = self.ports.iter().map(|p| p.ds).collect();
        let infos: Vec<PortInfo<'_>> = self
            .ports
            .iter()
            .zip(&self.counters)
            .map(|(p, c)| PortInfo {
                physical_layer_protocol: b"IEEE 802.3",
                physical_address: &p.config.physical_address,
                protocol_address: PortAddress {
                    network_protocol: p.config.protocol_address.0,
                    address: &p.config.protocol_address.1,
                },
                timestamping: 0,
                interface: &p.config.interface,
                stats: PortStats { rx: c.rx, tx: c.tx },
            })
            .collect();
        let clock_info = ClockInfo {
            manufacturer_identity: [0; 3],
            product_description: b"Tempora;tempora;",
            revision_data: b";;",
            user_description: &self.user_description,
            profile_identity: DEFAULT_PROFILE_ID,
        };
        let grandmaster =
            self.parent_ds.parent_port_identity.clock_identity == self.default_ds.clock_identity;
        let time_status = TimeStatus {
            master_offset: self.current_ds.offset_from_master,
            gm_present: !grandmaster,
            ..TimeStatus::default()
        };
        let state = ManagementState {
            default_ds: &self.default_ds,
            current_ds: &self.current_ds,
            parent_ds: &self.parent_ds,
            time_properties_ds: &self.time_properties_ds,
            ports: &ports,
            port_info: &infos,
            clock_info: &clock_info,
            time_status: &time_status,
            limits: SetLimits::default(),
            accept_set_and_command,
        };
        management::handle(&state, msg, receiving_port)
    }

    /// A Management message from the network (§15.3), answered as
    /// [`NetworkManagement`] allows.
    pub(super) fn on_management(
        &mut self,
        now: Time,
        port: PortIndex,
        msg: &Message<'_>,
        source: Option<Address>,
    ) {
        let Some(counters) = self.counters.get_mut(port) else {
            return;
        };
        if self.network_management == NetworkManagement::Off {
            counters.management_ignored += 1;
            return;
        }
        let number = u16::try_from(port + 1).unwrap_or(u16::MAX);
        let read_write = self.network_management == NetworkManagement::ReadWrite;
        let reply = self.management_reply(msg, number, read_write);
        if self.network_management == NetworkManagement::ReadOnly
            && changes_state(msg)
            && !reply.responses.is_empty()
        {
            if let Some(c) = self.counters.get_mut(port) {
                c.management_refused += 1;
            }
        }
        let destination = match source {
            Some(a) if msg.header.flags.contains(Flags::UNICAST) => Destination::Unicast(a),
            _ => Destination::Multicast,
        };
        for response in reply.responses {
            self.send(port, MessageType::Management, destination, response, None);
        }
        self.apply_management(now, reply.forwards, reply.changes);
    }

    /// Answers a management message from a local channel (the daemon's
    /// Unix socket, like ptp4l's), which may SET and COMMAND. Returns the
    /// responses to send back on that channel; forwards and changes are
    /// carried out through the usual actions.
    pub fn handle_local_management(&mut self, now: Time, data: &[u8]) -> Vec<Vec<u8>> {
        let Ok(msg) = Message::decode(data) else {
            return Vec::new();
        };
        let reply = self.management_reply(&msg, 0, true);
        self.apply_management(now, reply.forwards, reply.changes);
        reply.responses
    }

    /// Answers a management message from a read-only local channel (like
    /// ptp4l's `uds_ro`): GETs as [`Self::handle_local_management`], SET
    /// and COMMAND refused with NOT_SUPPORTED (§15.5.4) and not carried
    /// out.
    pub fn handle_read_only_management(&mut self, now: Time, data: &[u8]) -> Vec<Vec<u8>> {
        let Ok(msg) = Message::decode(data) else {
            return Vec::new();
        };
        let reply = self.management_reply(&msg, 0, false);
        self.apply_management(now, reply.forwards, reply.changes);
        reply.responses
    }

    fn apply_management(
        &mut self,
        now: Time,
        forwards: Vec<management::Forward>,
        changes: Vec<Change>,
    ) {
        for f in forwards {
            let port = usize::from(f.port).saturating_sub(1);
            if port < self.ports.len() {
                self.send(
                    port,
                    MessageType::Management,
                    Destination::Multicast,
                    f.bytes,
                    None,
                );
            }
        }
        let mut decide = false;
        for change in changes {
            let port_of = |p: u16| usize::from(p).checked_sub(1);
            match change {
                Change::Priority1(v) => {
                    self.default_ds.priority1 = v;
                    decide = true;
                }
                Change::Priority2(v) => {
                    self.default_ds.priority2 = v;
                    decide = true;
                }
                Change::Domain(v) => {
                    self.default_ds.domain_number = v;
                    for f in &mut self.foreign {
                        f.clear();
                    }
                    decide = true;
                }
                Change::SlaveOnly(v) => {
                    self.default_ds.slave_only = v;
                    decide = true;
                }
                Change::LogAnnounceInterval { port, value } => {
                    if let Some(p) = port_of(port).and_then(|i| self.ports.get_mut(i)) {
                        p.ds.log_announce_interval = value;
                    }
                }
                Change::AnnounceReceiptTimeout { port, value } => {
                    if let Some(p) = port_of(port).and_then(|i| self.ports.get_mut(i)) {
                        p.ds.announce_receipt_timeout = value;
                    }
                }
                Change::LogSyncInterval { port, value } => {
                    if let Some(p) = port_of(port).and_then(|i| self.ports.get_mut(i)) {
                        p.ds.log_sync_interval = value;
                    }
                }
                Change::LogMinPdelayReqInterval { port, value } => {
                    if let Some(p) = port_of(port).and_then(|i| self.ports.get_mut(i)) {
                        p.ds.log_min_pdelay_req_interval = value;
                    }
                }
                Change::DelayMechanism { port, value } => {
                    if let Some(p) = port_of(port).and_then(|i| self.ports.get_mut(i)) {
                        p.ds.delay_mechanism = value;
                    }
                }
                Change::UserDescription(text) => {
                    self.user_description = text.as_bytes().to_vec();
                }
                Change::EnablePort(port) => {
                    if let Some(i) = port_of(port).filter(|i| *i < self.ports.len()) {
                        self.ports[i].ds.port_enable = true;
                        if self.ports[i].state() == PortState::Disabled {
                            self.set_state(now, i, PortState::Listening);
                        }
                    }
                }
                Change::DisablePort(port) => {
                    if let Some(i) = port_of(port).filter(|i| *i < self.ports.len()) {
                        self.ports[i].ds.port_enable = false;
                        self.foreign[i].clear();
                        self.set_state(now, i, PortState::Disabled);
                        decide = true;
                    }
                }
                Change::Initialize => {
                    // §9.2.6.3 INITIALIZE: every enabled port starts over.
                    for i in 0..self.ports.len() {
                        self.foreign[i].clear();
                        if self.ports[i].ds.port_enable {
                            self.set_state(now, i, PortState::Initializing);
                            self.set_state(now, i, PortState::Listening);
                        }
                    }
                    decide = true;
                }
            }
        }
        if decide {
            // A grandmaster announces its own (new) attributes (§9.3.5).
            if self.parent_ds.parent_port_identity.clock_identity == self.default_ds.clock_identity
            {
                self.parent_ds = ParentDs::own(&self.default_ds);
            }
            self.state_decision(now);
        }
    }
}

/// Whether `msg` is a SET or COMMAND (§15.4.1.6, Table 89): what read-only
/// network management refuses.
fn changes_state(msg: &Message<'_>) -> bool {
    match msg.body {
        crate::wire::Body::Management(m) => {
            matches!(m.action(), MgmtAction::Set | MgmtAction::Command)
        }
        _ => false,
    }
}
