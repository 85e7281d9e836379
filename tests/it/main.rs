//! The one integration-test binary. Each module is one layer or one peer.

mod support;

mod chat;
mod check;
mod examples;
mod ports;
mod props;
mod run;
mod sim;
mod syntax;
