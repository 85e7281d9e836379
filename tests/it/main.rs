//! The one integration-test binary. Each module is one layer or one peer.
mod matcher;
