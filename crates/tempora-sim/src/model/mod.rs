//! The models the simulator draws from: delays on the network and the
//! slave's oscillator.

pub mod delay;
pub mod oscillator;
