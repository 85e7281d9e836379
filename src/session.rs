//! The library's front door: compile a script once as a [`Script`], then run it as many
//! [`Session`]s as there are modems, each with its own params, port, transcript and clock.
//!
//! A session is the sans-I/O [`Machine`] and nothing else, so it can be run two ways:
//!
//! - [`Session::run`] on a plain thread: the driver performs every effect on a blocking
//!   [`Port`] until the script ends. `atchat run` does exactly this, once per port.
//! - step by step, from any event loop or async runtime: [`Session::resume`] returns the
//!   next [`Effect`] (write these bytes, wait until this time for input, set DTR, ...); the
//!   caller performs it however it likes, hands arriving bytes to [`Session::feed`] and
//!   resumes with the [`Reply`]. Nothing blocks, nothing sleeps; a session waiting for its
//!   modem is a struct in memory.
//!
//! ```no_run
//! use atchat::{port, Script, Session, Transcript};
//!
//! let script = Script::load("examples/hayes-dial.atc".as_ref())?;
//! let mut session = Session::new(&script, [("number", "5551234")])?;
//! let mut modem = port::open(&"sim:hayes".parse()?, &Default::default())?;
//! let outcome = session.run(modem.as_mut(), &mut Transcript::default());
//! assert_eq!(outcome.code, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

use crate::bytecode::compiler::{self, CompileError};
use crate::bytecode::{encoding, Program};
use crate::check::{self, CheckError, CheckOptions};
use crate::driver::{self, Transcript};
use crate::port::Port;
use crate::syntax::{LoadError, Sources};
use crate::vm::matcher::PatternSet;
use crate::vm::{Effect, ExitStatus, Machine, Note, Reply, SetupError};

/// A checked and compiled script, ready to run any number of times. Cloning it is cheap:
/// every clone and every session started from it share one copy of the bytecode and of the
/// compiled patterns.
#[derive(Clone)]
pub struct Script {
    program: Arc<Program>,
    patterns: Arc<PatternSet>,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script").field("params", &self.params().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

/// Why a script could not be made ready to run.
#[derive(Debug)]
pub enum ScriptError {
    /// The script file could not be read.
    Load(LoadError),
    /// The checker found mistakes: every one of them, with the sources they point into
    /// (`atchat::diagnostics::reports` turns them into miette reports).
    Check { sources: Box<Sources>, errors: Vec<CheckError> },
    /// The compiler refused a script the checker accepted (a checker bug, reported as such).
    Compile { sources: Box<Sources>, error: CompileError },
    /// A compiled program (`.atcb`) could not be read or is not valid.
    Compiled { path: PathBuf, reason: String },
    /// The program's patterns could not be compiled.
    Setup(SetupError),
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScriptError::Load(e) => write!(f, "cannot read `{}`: {}", e.path.display(), e.source),
            ScriptError::Check { sources, errors } => {
                write!(f, "{}", crate::diagnostics::render_plain(sources, errors).trim_end())
            }
            ScriptError::Compile { sources, error } => {
                let report = crate::diagnostics::compile_report(sources, error);
                write!(f, "{}", crate::diagnostics::render_report_plain(&report).trim_end())
            }
            ScriptError::Compiled { path, reason } => {
                write!(f, "`{}` is not a valid atchat program: {reason}", path.display())
            }
            ScriptError::Setup(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ScriptError {}

impl Script {
    /// Reads, checks and compiles a script file (`.atc`, with the modules it `use`s from its
    /// folder and the bundled stdlib), or reads and verifies a compiled program (`.atcb`).
    pub fn load(path: &Path) -> Result<Script, ScriptError> {
        if path.extension().is_some_and(|e| e == "atcb") {
            let compiled = |reason: String| ScriptError::Compiled { path: path.to_path_buf(), reason };
            let bytes = crate::input::read(path, crate::input::PROGRAM).map_err(|e| compiled(e.to_string()))?;
            let program = encoding::decode(&bytes).map_err(|e| compiled(e.to_string()))?;
            return Script::from_program(program);
        }
        Script::from_sources(Sources::load(path).map_err(ScriptError::Load)?)
    }

    /// Checks and compiles script text; `name` is the file name its messages show. Its `use`
    /// statements find the bundled stdlib only.
    pub fn from_source(name: &str, text: &str) -> Result<Script, ScriptError> {
        Script::from_sources(Sources::from_text(name, text, None))
    }

    /// Checks and compiles loaded sources.
    pub fn from_sources(sources: Sources) -> Result<Script, ScriptError> {
        let errors = check::check(&sources, &CheckOptions { params: None });
        if !errors.is_empty() {
            return Err(ScriptError::Check { sources: Box::new(sources), errors });
        }
        match compiler::compile(&sources) {
            Ok(program) => Script::from_program(program),
            Err(error) => Err(ScriptError::Compile { sources: Box::new(sources), error }),
        }
    }

    /// A program compiled already (by the compiler, or decoded from a verified `.atcb`).
    pub fn from_program(program: Program) -> Result<Script, ScriptError> {
        let patterns = Machine::patterns(&program).map_err(ScriptError::Setup)?;
        Ok(Script { program: Arc::new(program), patterns: Arc::new(patterns) })
    }

    /// The compiled program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The names of the script's params, in declaration order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.program.globals.iter().filter(|g| g.param.is_some()).map(|g| g.name.as_str())
    }

    /// Whether the param `name` is a `secret param`, which transcripts show as `***`.
    pub fn is_secret(&self, name: &str) -> bool {
        self.program.globals.iter().any(|g| g.name == name && g.param.as_ref().is_some_and(|p| p.secret))
    }

    /// The port a `port "..."` statement names, for when the caller gives none.
    pub fn port(&self) -> Option<&str> {
        self.program.port.as_deref()
    }
}

/// One run of a [`Script`] against one modem: the script's state (where it is, its variables,
/// the bytes it has not matched yet, its deadlines) and nothing else. It owns no port and no
/// thread; see the [module documentation](self) for the two ways to run it.
pub struct Session {
    machine: Machine,
}

impl Session {
    /// A session of `script` with these param values (each param without a value takes its
    /// default). A missing required param or a name the script does not declare is an error.
    pub fn new<K, V>(script: &Script, params: impl IntoIterator<Item = (K, V)>) -> Result<Session, SetupError>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let params: IndexMap<String, String> = params.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        let machine = Machine::with_patterns(Arc::clone(&script.program), Arc::clone(&script.patterns), &params)?;
        Ok(Session { machine })
    }

    /// Runs the script to its end on `port`, on the calling thread, writing the transcript
    /// to `transcript`. The outcome's code is what `atchat run` exits with (0 success, 2 a
    /// port error or a signal, 3 a timeout, 4 and up the script's `fail`).
    ///
    /// Stops cleanly (DTR dropped, exit 2) on SIGINT, SIGTERM or SIGHUP once
    /// [`crate::driver::install_signal_handlers`] routed them to the driver.
    pub fn run(&mut self, port: &mut dyn Port, transcript: &mut Transcript) -> ExitStatus {
        driver::run(&mut self.machine, port, transcript)
    }

    /// [`Session::run`], which also ends (hanging up, exit 2) once another thread sets `stop`
    /// and calls [`crate::port::wake::wake_all`]: a waiting session is blocked in its port,
    /// not polling the flag, and the wake ends its wait.
    pub fn run_until(&mut self, port: &mut dyn Port, transcript: &mut Transcript, stop: &AtomicBool) -> ExitStatus {
        driver::run_until(&mut self.machine, port, transcript, stop)
    }

    /// The step interface: runs the script until it needs the outside world and returns what
    /// it needs. `now` is the session's clock (any monotonic origin, the same for every call);
    /// `reply` answers the previous effect ([`Reply::Ok`] for the first call).
    ///
    /// What the caller does with each [`Effect`]:
    ///
    /// - `Write { bytes, pace }`: write the bytes (one at a time, `pace` apart, if paced),
    ///   then resume with `Reply::Ok`, or `Reply::Failed` if the port failed.
    /// - `Wait { until }`: wait for input from the modem or for the time `until` (none: no
    ///   deadline), whichever comes first; give what arrived to [`Session::feed`], then
    ///   resume with `Reply::Ok`. Waking early is harmless: the session asks again.
    /// - `QueryCarrier`: resume with `Reply::Carrier(dcd)`.
    /// - `Control(..)`: set DTR/RTS, send a break, change the speed, discard input; resume
    ///   with `Reply::Ok`, or `Reply::Failed` with `unsupported` set if the port cannot.
    /// - `Say(text)`: show the text; resume with `Reply::Ok`.
    /// - `Print(text)`: a result (`print`): where the caller's results go (`atchat run`
    ///   writes it on stdout); resume with `Reply::Ok`.
    /// - `Done(outcome)`: the script is over.
    pub fn resume(&mut self, now: Duration, reply: Reply) -> Effect {
        self.machine.resume(now, reply)
    }

    /// Hands bytes from the modem to the session (the step interface).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.machine.feed(bytes);
    }

    /// What the script did since the last call that a transcript shows: waits, matches,
    /// timeouts, attempts (the step interface; [`Session::run`] writes them itself).
    pub fn take_notes(&mut self) -> Vec<Note> {
        self.machine.take_notes()
    }

    /// The machine underneath, for what the step interface does not cover.
    pub fn machine(&mut self) -> &mut Machine {
        &mut self.machine
    }
}
