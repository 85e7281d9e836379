//! The virtual machine: runs a [`crate::bytecode::Program`], performs no I/O, never sleeps.
//!
//! [`Machine`] yields [`Effect`]s and is resumed with [`Reply`]s; bytes from the modem go in
//! through [`Machine::feed`]. The [`matcher`] finds patterns in the byte stream; [`redact`]
//! decides what of the conversation may be shown, so secrets never are.

pub mod effect;
pub mod machine;
pub mod matcher;
pub mod monitor;
pub mod redact;
pub mod value;

pub use effect::{Control, Effect, ExitStatus, Failure, Reply};
pub use machine::{Machine, Note, Pending, SetupError};
pub use redact::{Redactor, SecretText, Spans};
pub use value::Value;
