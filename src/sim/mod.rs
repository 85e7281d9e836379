//! The simulated Hayes/GSM modem (see DESIGN.md §5): a V.250 engine with no I/O of its own.

pub mod cli;
