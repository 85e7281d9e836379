//! Helpers shared by the integration tests.

pub mod case;
pub mod cli;
pub mod diff;
pub mod fake_modem;
pub mod golden;
pub mod layer;
pub mod pty;
pub mod sim;
