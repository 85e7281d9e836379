//! Streaming multi-pattern matcher (to be written).
