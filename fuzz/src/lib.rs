//! The bodies of the fuzz targets, one function per target, each taking the fuzzer's bytes.
//!
//! The targets in `fuzz_targets/` only call these, and the integration tests include this
//! file (`tests/it/fuzz.rs`) to run every seed and every crash ever found through exactly
//! the same code. So it depends on nothing the main crate's tests lack: atchat's public API,
//! `indexmap` and `libc`. A panic, an abort or a failed `assert!` here is a finding.
//!
//! Public paths in the crate move now and then; only the `use` lines here should need to.

pub mod input;
pub mod matcher;
pub mod run;
pub mod targets;

pub use matcher::matcher;
pub use targets::{bytecode, chat, check, import, sim};
