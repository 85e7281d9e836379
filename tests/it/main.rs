//! The one integration-test binary. Each module is one layer or one peer.

mod support;

mod bytecode;
mod check;
mod cli;
mod docs;
mod examples;
mod ports;
mod props;
mod run;
mod sim;
mod syntax;
