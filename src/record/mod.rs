//! Transcripts of a session with a modem: the file `atchat run --record FILE` writes and the
//! `replay:FILE` port plays back (docs/record-replay.md).
//!
//! A transcript is plain text, one event a line, meant to be read, mailed with a bug report
//! and edited by hand:
//!
//! ```text
//! atchat transcript 1
//! # comments start with `#`
//! port /dev/ttyUSB0
//!     0.000 > "ATZ\r"                the host wrote (`***`: a masked secret)
//!     0.004 < "ATZ\r\r\nOK\r\n"       the modem sent
//!     0.010 dtr off                  dtr, rts on|off; break DUR; baud N; flush
//!     0.510 carrier on               what the port said of DCD, when it changed
//!    12.000 end exit 0               the session ended (with this exit code)
//! ```
//!
//! The time (seconds since the start) may be left out: the line then happens at the time of
//! the line before. A host action that failed says so at its end: `dtr off unsupported
//! "..."`, `> "AT\r" failed "..."`; `< failed "..."` is the port going away.
//!
//! [`Recording`] is the parsed form ([`Recording::parse`]); [`Recorder`] writes one as a
//! session goes. Bytes are written as in the language's string literals
//! ([`crate::lang::literal`]), so what a transcript shows can be pasted into a script. This
//! module reads no file and knows nothing of ports or the VM: the driver feeds the recorder,
//! `port::replay` reads the file.

pub mod recorder;
pub mod recording;

pub use recorder::Recorder;
pub use recording::{Action, Entry, Event, ParseError, Piece, Recording, Refusal};

/// The first line of every transcript: the format and its version.
pub const VERSION_LINE: &str = "atchat transcript 1";

/// Stands for bytes a secret produced, wherever a transcript shows data.
pub const MASK: &str = "***";
