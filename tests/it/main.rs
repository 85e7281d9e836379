//! The one integration-test binary. Each module is one layer or one peer.

mod support;

mod bytecode;
mod run;
mod syntax;
