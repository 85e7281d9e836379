//! Helpers shared by the integration tests.

pub mod fake_modem;
pub mod golden;
pub mod pty;
