//! AST → [`Program`]: opcodes, constants, patterns and the tables they index; the program's
//! listing ([`disassembler`]), its binary form ([`encoding`]) and the [`verify`]er that every
//! program read from a file passes before it runs.

pub mod compiler;
pub mod disassembler;
mod duration_use;
pub mod encoding;
mod flow;
pub mod opcode;
pub mod pattern;
pub mod program;
pub mod verify;
mod verify_error;

pub use duration_use::{duration_globals, DurationUse};
pub use opcode::{Comparison, DurArg, Op, OpInfo, Operand, VarRef};
pub use program::*;
