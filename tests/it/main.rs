//! The one integration-test binary. Each module is one layer or one peer.

mod support;

mod run;
mod syntax;
