//! The simulated Hayes/GSM modem (`docs/sim.md` says what it does).
//!
//! [`Modem`] is a V.250 engine with no I/O of its own: bytes and time go in, bytes come
//! out, like the VM. It opens nothing, starts no thread and never sleeps: `port::sim`
//! wraps it as an in-process port, `serve` serves it on a pty, TCP or RFC 2217 socket.
//! A [`ModemProfile`] (TOML data: the bundled ones in `profiles/`, or a user's file read by
//! the front end) makes it answer like a given vendor's modem.

mod command_line;
mod engine;
mod execute;
mod gsm;
mod modem;
mod modem_profile;
mod result;
mod scenario;
mod settings;
mod voice;

pub use engine::{LinkEvent, LinkRequest};
pub use gsm::PUK;
pub use modem::Modem;
pub use modem_profile::{ModemProfile, Profile, ProfileError, MAX_PROFILE_BYTES};
pub use scenario::{CarrierLoss, IncomingCall, IncomingSms, OnlineData, Scenario, ScenarioError};
