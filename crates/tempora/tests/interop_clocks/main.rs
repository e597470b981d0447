//! Tempora's boundary and transparent clocks between ptp4l nodes (issue
//! #5, 7c and 7e), in one test binary so that the two labs run at once:
//! they mostly wait for ptp4l and the daemon to settle.

#[path = "../common/mod.rs"]
mod common;

mod boundary;
mod transparent;
