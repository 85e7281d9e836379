//! The one integration-test binary. Each module is one layer or one peer.

mod support;

mod bytecode;
mod chat;
mod check;
mod cli;
mod device;
mod docs;
mod examples;
mod matcher;
mod ports;
mod props;
mod run;
mod secrets;
mod signals;
mod sim;
mod syntax;
mod repl;
