//! The simulated modem: conformance cases, GSM flows, scenarios, the in-process port and
//! the exposures (pty, TCP, RFC 2217) checked from outside the process.

mod cases;
mod docs;
mod exposure;
mod fuzz;
mod port;
mod profiles;
