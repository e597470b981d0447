//! The engine's side of the AUTHENTICATION TLV (IEEE 1588-2019 §16.14,
//! Annex P; immediate processing as in linuxptp 4.x): a port with an SPP
//! appends a TLV to every message it sends and accepts only messages whose
//! TLVs check out, with a sequenceId replay window for the parent's Sync
//! and Follow_Up. Transparent clocks recompute the ICVs of the messages
//! they forward after changing correctionField, when they hold the key.

use alloc::vec::Vec;

use crate::auth::{self, AuthError, SaDatabase};
use crate::datasets::PortState;
use crate::wire::{Header, MessageType, PortIdentity};

use super::{PortIndex, PtpInstance};

/// A port's authentication settings (linuxptp's `spp`, `active_key_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortAuth {
    /// The security association the port uses, by SPP (§16.14.3.2).
    pub spp: u8,
    /// The key of that association that outgoing messages are signed with.
    pub active_key_id: u32,
}

/// The last Sync and Follow_Up sequenceIds used from the parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Replay {
    source: PortIdentity,
    sync: Option<u16>,
    follow_up: Option<u16>,
}

/// The instance's security associations and per-port replay state.
#[derive(Debug, Clone, Default)]
pub(super) struct AuthState {
    pub db: SaDatabase,
    replay: Vec<Option<Replay>>,
}

impl AuthState {
    pub(super) fn new(db: SaDatabase, ports: usize) -> Self {
        AuthState {
            db,
            replay: alloc::vec![None; ports],
        }
    }

    /// Forgets a port's replay state (linuxptp resets it on entering
    /// UNCALIBRATED, MASTER, FAULTY or DISABLED).
    pub(super) fn on_state(&mut self, port: PortIndex, new: PortState) {
        if matches!(
            new,
            PortState::Uncalibrated | PortState::Master | PortState::Faulty | PortState::Disabled
        ) {
            if let Some(r) = self.replay.get_mut(port) {
                *r = None;
            }
        }
    }
}

impl PtpInstance {
    /// Checks a received message on `port`: nothing to do without an SPP;
    /// otherwise its AUTHENTICATION TLVs and, for the parent's Sync and
    /// Follow_Up, the replay window.
    pub(super) fn authenticate_rx(
        &mut self,
        port: PortIndex,
        h: &Header,
        data: &[u8],
    ) -> Result<(), AuthError> {
        let Some(cfg) = self.ports.get(port).and_then(|p| p.config.auth) else {
            return Ok(());
        };
        auth::verify(&self.auth.db, Some(cfg.spp), data)?;
        let window = self.auth.db.get(cfg.spp).map_or(0, |sa| sa.seqid_window);
        let from_parent = matches!(
            self.ports[port].state(),
            PortState::Slave | PortState::Uncalibrated
        ) && h.source_port_identity == self.parent_ds.parent_port_identity;
        let follow_up = match h.message_type {
            MessageType::Sync => false,
            MessageType::FollowUp => true,
            _ => return Ok(()),
        };
        if !from_parent {
            return Ok(());
        }
        let Some(slot) = self.auth.replay.get_mut(port) else {
            return Ok(());
        };
        let mut replay = match slot {
            Some(r) if r.source == h.source_port_identity => *r,
            _ => Replay {
                source: h.source_port_identity,
                sync: None,
                follow_up: None,
            },
        };
        let last = if follow_up {
            &mut replay.follow_up
        } else {
            &mut replay.sync
        };
        if !auth::seqid_in_window(*last, h.sequence_id, window) {
            return Err(AuthError::Replay {
                last: last.unwrap_or(0),
                received: h.sequence_id,
            });
        }
        *last = Some(h.sequence_id);
        *slot = Some(replay);
        Ok(())
    }

    /// Prepares a message to send on `port`: a port with an SPP appends an
    /// AUTHENTICATION TLV, or recomputes the ICVs of one a transparent
    /// clock forwards; `None` if it cannot (no such key: fail closed).
    pub(super) fn authenticate_tx(&self, port: PortIndex, mut data: Vec<u8>) -> Option<Vec<u8>> {
        if self.auth.db.associations.is_empty() {
            return Some(data);
        }
        let forwarded = has_auth_tlv(&data);
        if forwarded {
            // A transparent clock may have changed correctionField; without
            // the key the ICV stays as received (valid under allow_mutable).
            let _ = auth::update(&self.auth.db, &mut data);
        }
        let Some(cfg) = self.ports.get(port).and_then(|p| p.config.auth) else {
            return Some(data);
        };
        if forwarded {
            return Some(data);
        }
        let sa = self.auth.db.get(cfg.spp)?;
        // A trailer (e.g. Ethernet padding kept by a transparent clock) goes:
        // the TLV follows messageLength.
        let length = data
            .get(2..4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))?;
        data.truncate(length);
        auth::append(sa, cfg.active_key_id, &mut data).ok()?;
        Some(data)
    }
}

/// Whether a message carries an AUTHENTICATION TLV.
fn has_auth_tlv(data: &[u8]) -> bool {
    crate::wire::Message::decode(data).is_ok_and(|m| {
        m.tlvs()
            .any(|t| matches!(t, Ok(crate::wire::tlv::Tlv::Authentication(_))))
    })
}
