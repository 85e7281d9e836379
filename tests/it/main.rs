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
mod matrix_hayes;
mod matcher;
mod messages;
mod matrix_gsm;
mod port_listing;
mod ports;
mod print;
mod pppd;
mod progress;
mod props;
mod replay;
mod run;
mod secrets;
mod security;
mod session;
mod signals;
mod sim;
mod syntax;
mod repl;
