//! The virtual machine: runs a [`crate::bytecode::Program`], performs no I/O, never sleeps.

pub mod matcher;
