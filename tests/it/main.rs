//! The one integration-test binary. Each module is one layer or one peer.

mod support;

mod architecture;
mod bank;
mod bytecode;
mod chat;
mod check;
mod cli;
mod device;
mod docs;
mod editors;
mod examples;
mod fuzz;
mod limits;
mod manual;
mod matcher;
mod matrix_gsm;
mod matrix_hayes;
mod messages;
mod port_listing;
mod ports;
mod pppd;
mod print;
mod progress;
mod props;
mod repl;
mod replay;
mod run;
mod secrets;
mod security;
mod session;
mod signals;
mod sim;
mod syntax;
