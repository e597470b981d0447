//! A `no_std` consumer of the protocol crates; see Cargo.toml.
#![no_std]

use tempora_ntp::wire::Packet;
use tempora_ptp::wire::Message;

/// Decodes `len` bytes at `data` as PTP, then as NTP; returns which worked.
pub extern "C" fn tempora_no_std_probe(data: &[u8; 64]) -> u32 {
    u32::from(Message::decode(data).is_ok()) | (u32::from(Packet::decode(data).is_ok()) << 1)
}

/// The allocator an embedded user would provide (here never initialised:
/// the library is only linked, not run).
#[global_allocator]
static ALLOCATOR: linked_list_allocator::LockedHeap = linked_list_allocator::LockedHeap::empty();

/// Builds a PTP ordinary clock, so that the engine is linked too.
pub extern "C" fn tempora_no_std_engine(id: &[u8; 8]) -> usize {
    let config = tempora_ptp::engine::InstanceConfig::ordinary(tempora_ptp::wire::ClockIdentity(*id));
    tempora_ptp::engine::PtpInstance::new(config, 1).port_count()
}

/// Decodes a gpsd report line, so that the reference clock parsers (and
/// serde_json without std) are linked too.
pub extern "C" fn tempora_no_std_refclock(line: &[u8; 64]) -> u32 {
    u32::from(tempora_refclock::gpsd::decode(line).is_ok())
        | (u32::from(tempora_refclock::nmea::parse(line).is_ok()) << 1)
}

/// Decodes a Roughtime request and verifies a Merkle path, so that the
/// Roughtime crate (with ed25519-dalek and sha2) is linked too.
pub extern "C" fn tempora_no_std_roughtime(data: &[u8; 64]) -> u32 {
    let versions = tempora_roughtime::VersionSet::ALL;
    let request = tempora_roughtime::request::Request::decode(data, versions).is_ok();
    let path = tempora_roughtime::merkle::verify_path(tempora_roughtime::Version::Rfc, data, 0, &[], &data[..32]);
    let key = tempora_roughtime::LongTermKey::from_seed(&[0; 32]).public()[0] == data[0];
    u32::from(request) | (u32::from(path.is_ok()) << 1) | (u32::from(key) << 2)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
