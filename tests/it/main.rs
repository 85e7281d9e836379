//! The one integration-test binary. Each module is one layer or one peer.

mod support;

mod architecture;
mod bank;
mod bytecode;
mod chat;
mod check;
mod cli;
mod docs;
mod editors;
mod examples;
mod fuzz;
mod manual;
mod matcher;
mod port_listing;
mod ports;
mod pppd;
mod props;
mod replay;
mod run;
mod security;
mod session;
mod sim;
mod syntax;
mod repl;
