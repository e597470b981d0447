//! What the engine asks of its caller: the outputs of the sans-IO contract.

use alloc::vec::Vec;
use core::net::IpAddr;

use tempora_clock::{Duration, Time};

use crate::datasets::{PortState, TimePropertiesDs};
use crate::wire::PortIdentity;

/// Index of a port in the instance, 0-based (the PTP port number is index + 1).
pub type PortIndex = usize;

/// A transport address of a peer: an IP address (UDP, Annex C/D) or a MAC
/// address (IEEE 802.3, Annex E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Address {
    /// UDP over IPv4 or IPv6.
    Ip(IpAddr),
    /// Ethernet.
    Mac([u8; 6]),
}

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// The port's multicast address for all but peer delay messages
    /// (224.0.1.129, FF0X::181, 01-1B-19-00-00-00; Annexes C–E).
    Multicast,
    /// The peer delay multicast address (224.0.0.107, FF02::6B,
    /// 01-80-C2-00-00-0E).
    PdelayMulticast,
    /// One peer (unicast, IEEE 1588-2019 §16.1).
    Unicast(Address),
}

/// A token identifying a sent event message whose transmit timestamp the
/// engine needs back through [`PtpInstance::handle_tx_timestamp`](super::PtpInstance::handle_tx_timestamp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TxToken(pub u64);

/// The engine's timers. Each is one-shot; setting it again moves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// ANNOUNCE_RECEIPT_TIMEOUT of a port (§9.2.6.12).
    AnnounceReceipt(PortIndex),
    /// QUALIFICATION_TIMEOUT of a port in PRE_MASTER (§9.2.6.11).
    Qualification(PortIndex),
    /// Time to send the next Announce (§7.7.2.2).
    Announce(PortIndex),
    /// Time to send the next Sync (§7.7.2.3).
    Sync(PortIndex),
    /// Time to send the next Delay_Req (§9.5.11.2).
    DelayReq(PortIndex),
    /// Time to send the next Pdelay_Req (§9.5.13.2).
    PdelayReq(PortIndex),
    /// Unicast negotiation has something to send or renew (§16.1).
    Unicast(PortIndex),
}

/// A measurement of the offset from the master, for the servo (§11.2, §11.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measurement {
    /// The port that measured it.
    pub port: PortIndex,
    /// When the Sync arrived (t2), on the local clock.
    pub ingress: Time,
    /// `offsetFromMaster`: local time minus master time (§11.2).
    pub offset: Duration,
    /// `meanPathDelay` or `meanLinkDelay` used for it (§11.3, §11.4).
    pub delay: Duration,
    /// Whether `delay` is this measurement's own (the delay request-response
    /// exchange it was computed from) rather than an estimate from other
    /// exchanges (peer delay). Only an own delay tells a servo how much
    /// queueing this very measurement met.
    pub own_delay: bool,
}

/// Something the caller must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send `data` on `port` to `destination`. Event messages go to UDP port
    /// 319, general ones to 320. When `timestamp` is set, report the transmit
    /// time with [`PtpInstance::handle_tx_timestamp`](super::PtpInstance::handle_tx_timestamp).
    Send {
        /// The port.
        port: PortIndex,
        /// Event message (timestamped, port 319) or general (port 320).
        event: bool,
        /// Where to.
        destination: Destination,
        /// The encoded message.
        data: Vec<u8>,
        /// Token to report the transmit timestamp with, for event messages
        /// whose timestamp the engine needs.
        timestamp: Option<TxToken>,
        /// One-step: the platform writes the transmit time into the
        /// message's originTimestamp (octets 34–43) as it leaves, as
        /// hardware with one-step support does (§9.5.9.2, §11.3.2 a).
        one_step: bool,
    },
    /// Arm `timer` to fire at `at` (replacing any earlier setting).
    SetTimer {
        /// Which timer.
        timer: Timer,
        /// When, on the local clock.
        at: Time,
    },
    /// Disarm `timer`.
    CancelTimer(Timer),
    /// A new offset measurement for the clock servo.
    Measurement(Measurement),
    /// A port changed state (§9.2.5).
    StateChange {
        /// The port.
        port: PortIndex,
        /// Its previous state.
        from: PortState,
        /// Its new state.
        to: PortState,
    },
    /// The time properties (UTC offset, leap flags, timescale) changed: the
    /// clock layer should apply them (§9.4, §7.2).
    TimeProperties(TimePropertiesDs),
    /// The instance selected a new parent (or became grandmaster when
    /// `parent` is its own identity).
    ParentChanged {
        /// The new parent port identity.
        parent: PortIdentity,
    },
}
