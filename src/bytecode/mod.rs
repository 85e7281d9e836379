//! AST → [`Program`]: opcodes, constants and the tables they index.

pub mod compiler;
pub mod opcode;
pub mod program;

pub use opcode::{Comparison, DurArg, Op, VarRef};
pub use program::*;
