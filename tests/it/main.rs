//! The one integration-test binary. Each module is one layer or one peer.

mod support;

mod architecture;
mod bytecode;
mod chat;
mod check;
mod cli;
mod docs;
mod examples;
mod fuzz;
mod matcher;
mod ports;
mod pppd;
mod props;
mod replay;
mod run;
mod security;
mod sim;
mod syntax;
mod repl;
