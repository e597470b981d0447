//! A `no_std` consumer of the protocol crates; see Cargo.toml.
#![no_std]

use tempora_ntp::wire::Packet;
use tempora_ptp::wire::Message;

/// Decodes `len` bytes at `data` as PTP, then as NTP; returns which worked.
#[unsafe(no_mangle)]
pub extern "C" fn tempora_no_std_probe(data: &[u8; 64]) -> u32 {
    u32::from(Message::decode(data).is_ok()) | (u32::from(Packet::decode(data).is_ok()) << 1)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
