//! The one integration-test binary. Each module is one layer or one peer.

mod support;

mod bytecode;
mod chat;
mod check;
mod cli;
mod docs;
mod examples;
mod matcher;
mod ports;
mod props;
mod replay;
mod run;
mod sim;
mod syntax;
mod repl;
