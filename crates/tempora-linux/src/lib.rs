//! # tempora-linux
//!
//! The Linux platform layer (placeholder docs; see below).

pub mod clock;
mod cmsg;
pub mod interface;
pub mod poll;
mod socket;
mod sys;
pub mod timestamping;
