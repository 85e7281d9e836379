//! `:record FILE`: the live session written as `atchat run --record` writes a transcript, so
//! `--port replay:FILE` plays the modem's side back, against the `:save`d session or any
//! script that talks to the modem the same way. A user's session with a real modem becomes
//! a test.
//!
//! The REPL hands it what it shows, already masked (a secret's bytes and their echo as
//! `***`), as the driver hands `--record` what `-v` shows.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::driver;
use crate::lang::literal::escape_bytes;
use crate::record::Recorder;
use crate::vm::Control;

/// A transcript being written from the REPL.
pub struct SessionRecording {
    recorder: Recorder,
    path: PathBuf,
    /// The port's clock when recording began: the transcript's times count from there.
    origin: Duration,
}

impl SessionRecording {
    /// Creates `path` and writes the transcript's top: `port` is the port's name as a
    /// recording may show it, `now` the port's clock.
    pub fn start(path: &Path, port: &str, now: Duration) -> io::Result<SessionRecording> {
        let header = vec![format!("recorded by atchat {} (repl :record)", env!("CARGO_PKG_VERSION"))];
        let mut recorder = Recorder::create(path, header)?;
        let header = recorder.take_header();
        recorder.begin(port, &header);
        Ok(SessionRecording { recorder, path: path.to_path_buf(), origin: now })
    }

    /// Where the transcript goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn at(&self, now: Duration) -> Duration {
        now.saturating_sub(self.origin)
    }

    /// Bytes written to the modem, as they may be shown.
    pub fn sent(&mut self, now: Duration, bytes: &[u8]) {
        let at = self.at(now);
        self.recorder.wrote(at, &escape_bytes(bytes), Ok(()));
    }

    /// Bytes from the modem, as they may be shown.
    pub fn received(&mut self, now: Duration, bytes: &[u8]) {
        let at = self.at(now);
        self.recorder.received(at, &escape_bytes(bytes));
    }

    /// A `say`: a comment for the reader, ignored on replay.
    pub fn said(&mut self, now: Duration, text: &str) {
        let at = self.at(now);
        self.recorder.comment(at, &format!("say: {text}"));
    }

    /// A line operation (DTR, RTS, break, speed, flush).
    pub fn control(&mut self, now: Duration, control: Control) {
        let Some(action) = driver::recorded_action(control) else { return };
        let at = self.at(now);
        self.recorder.action(at, action, Ok(()));
    }

    /// Ends the transcript (`end exit 0`: the REPL session itself did not fail) and closes
    /// the file; the first write error met, if any.
    pub fn stop(mut self, now: Duration) -> io::Result<PathBuf> {
        let at = self.at(now);
        self.recorder.end(at, 0, None);
        self.recorder.finish()?;
        Ok(self.path)
    }
}
