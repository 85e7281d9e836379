//! atchat: a declarative language and interpreter for automating modems.
//!
//! The crate is a pipeline; each module is one stage and data flows one way
//! (see ARCHITECTURE.md):
//!
//! - [`input`]: every file read as input, with a size limit per kind
//! - [`lang`]: what every stage knows: result codes, how bytes and durations are written
//! - [`syntax`]: source text → AST (pest grammar in `grammar/atchat.pest`)
//! - [`check`]: static checks on the AST → diagnostics
//! - [`bytecode`]: AST → [`bytecode::Program`] (opcodes, constants, pattern tables)
//! - [`vm`]: runs a program; performs no I/O, yields effects
//! - [`port`]: the devices: serial, stdio, TCP, the simulated modem, a replayed transcript
//! - [`record`]: transcripts of sessions: `--record` writes them, `replay:` plays them
//! - [`driver`]: the one loop where the VM and a port meet
//! - [`sim`]: the simulated Hayes/GSM modem, an engine with no I/O
//! - [`serve`]: `atchat sim`: the simulated modem on a pty, TCP or RFC 2217
//! - [`repl`]: `atchat repl` and the step debugger
//! - [`chat`]: the chat(8) front end: chat scripts → the same bytecode
//! - [`session`]: the library's front door: [`Script`] (compile once) and [`Session`] (one
//!   run on one modem, on a thread or step by step from an event loop)
//! - [`bank`]: one script on many ports at once (`atchat run --port A --port B ...`)
//!
//! Embedding atchat in a Rust program starts at [`Script`] and [`Session`]; docs/embedding.md
//! walks through it, and `examples/embed/main.rs` runs many sessions both ways.

pub mod bank;
pub mod bytecode;
pub mod chat;
pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod driver;
pub mod input;
pub mod lang;
pub mod port;
pub mod record;
pub mod repl;
pub mod serve;
pub mod session;
pub mod sim;
pub mod syntax;
pub mod vm;

pub use driver::Transcript;
pub use session::{Script, ScriptError, Session};
pub use vm::{Control, Effect, ExitStatus, Failure, Reply};
