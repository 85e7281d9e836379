//! What every stage knows about the language and the modem alike: the result codes a modem
//! answers with, and how bytes and durations are written. The ground floor: it imports
//! nothing from the rest of the crate, so the parser, the checker, the compiler, the VM, the
//! REPL and the chat front end can all use it without depending on one another.

pub mod literal;
pub mod result_code;
