//! AST → [`Program`]: opcodes, constants and the tables they index; the program's listing
//! ([`disassembler`]) and binary form with its verifier ([`encoding`]).

pub mod compiler;
pub mod disassembler;
pub mod encoding;
pub mod opcode;
pub mod pattern;
pub mod program;

pub use opcode::{Comparison, DurArg, Op, VarRef};
pub use program::*;
